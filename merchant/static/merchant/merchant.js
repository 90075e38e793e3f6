/* Shared behaviour of the merchant pages: live deadline countdowns, auto-submitting
   selects and, on a phone, folded list filters. Everything works without JavaScript; this
   only makes it quicker to read. */
(function () {
  "use strict";

  var labels = document.getElementById("countdown-i18n");
  var L = labels ? labels.dataset : {};

  function fill(template, values) {
    return template.replace(/%\((\w+)\)[sd]/g, function (_, key) { return values[key]; });
  }

  function span(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60);
    if (d) return fill(L.dh || "%(d)d d %(h)d h", { d: d, h: h });
    if (h) return fill(L.hm || "%(h)d h %(m)d min", { h: h, m: m });
    if (m) return fill(L.m || "%(m)d min", { m: m });
    return fill(L.s || "%(s)d s", { s: s % 60 });
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var deadline = Date.parse(el.dataset.deadline);
      if (isNaN(deadline)) return;
      var left = (deadline - now) / 1000;
      el.classList.toggle("overdue", left <= 0);
      el.classList.toggle("soon", left > 0 && left < 2 * 3600);
      el.textContent = left > 0
        ? fill(L.left || "%(time)s left", { time: span(left) })
        : fill(L.overdue || "overdue by %(time)s", { time: span(-left) });
    });
  }

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // On a phone the list comes first: fold the filters unless one is set (open without scripts).
  var narrow = window.matchMedia("(max-width: 767px)").matches;
  var filtered = Array.from(new URLSearchParams(location.search).keys())
    .some(function (key) { return key !== "page"; });
  document.querySelectorAll("details[data-collapse-narrow]").forEach(function (panel) {
    if (narrow && !filtered) panel.open = false;
  });

  tick();
  setInterval(tick, 1000);
})();
