/* django-celery-beat's periodic task form: the crontab field's help also shows the chosen
   schedule in words. The package's inline script, as a file for the Content-Security-Policy
   (templates/admin/djcelery/change_periodictask_form.html). */
"use strict";
(function ($) {
  const readableCrontabs = JSON.parse(
    document.getElementById("readable-crontabs").textContent
  );
  const originalCrontabHelp =
    document.getElementById("periodic-task-overrides").dataset.crontabHelp;

  function updateCrontabHelp(additional) {
    $(".field-crontab .help")
      .text(originalCrontabHelp)
      .append("<br>", document.createTextNode(`Translation: ${additional}`));
  }

  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    updateCrontabHelp(readableCrontabs[$("#id_crontab").val()]);
  });
})(django.jQuery);
