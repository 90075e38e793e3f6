/* The ticket list's batch reply: tick every row of the page at once, count what is ticked,
   and offer only the reasons that allow the chosen plan (each option's data-plans). The
   server judges every ticket again; without scripts the form works as it is. */
(function () {
  "use strict";
  var form = document.getElementById("batch-form");
  if (!form) return;
  var boxes = document.querySelectorAll("input[name=tickets][form=batch-form]");
  var all = document.getElementById("select-page");
  var count = form.querySelector("[data-selected-count]");
  var plan = form.querySelector("select[name=plan]");
  var reason = form.querySelector("select[name=reason]");
  var shipField = document.getElementById("field-ship_by");

  function ticked() {
    return Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
  }

  function update() {
    var n = ticked();
    count.hidden = n === 0;
    count.textContent = count.dataset.template.replace("%(n)s", n);
    if (all) all.checked = n > 0 && n === boxes.length;
  }

  function filterReasons() {
    window.offerReasonsFor(reason, plan.value);
    if (shipField) shipField.hidden = plan.value === "cannot_ship";
  }

  if (all) {
    all.disabled = boxes.length === 0;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      update();
    });
  }
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  plan.addEventListener("change", filterReasons);
  filterReasons();
  update();
})();
