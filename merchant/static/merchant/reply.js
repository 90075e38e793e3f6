/* The reply form: offer only the reasons that allow the chosen plan, show the date field only
   for dated plans, warn past the ship-by cap as soon as a date is typed, and preview the
   message the buyer will read. The server checks everything again. */
(function () {
  "use strict";
  var form = document.getElementById("reply-form");
  if (!form) return;
  var reasons = JSON.parse(document.getElementById("reasons-data").textContent);
  var planTexts = JSON.parse(document.getElementById("plan-texts").textContent);
  var byCode = {};
  reasons.forEach(function (r) { byCode[r.code] = r; });
  var select = form.querySelector("select[name=reason]");
  var shipBy = form.querySelector("input[name=ship_by]");
  var shipField = document.getElementById("field-ship_by");
  var advice = document.getElementById("ship-by-advice");
  var preview = document.getElementById("buyer-preview");
  var emptyPreview = preview.textContent;
  var datedPlans = ["ship_later", "exchange_agreed"];

  function plan() {
    var checked = form.querySelector("input[name=plan]:checked");
    return checked ? checked.value : "";
  }

  function filterReasons() {
    var p = plan();
    select.querySelectorAll("option").forEach(function (option) {
      var reason = byCode[option.value];
      if (!reason) return;
      var allowed = !p || reason.plans.indexOf(p) >= 0;
      option.hidden = !allowed;
      option.disabled = !allowed;
      if (!allowed && option.selected) select.value = "";
    });
    select.querySelectorAll("optgroup").forEach(function (group) {
      group.hidden = !group.querySelector("option:not([disabled])");
    });
  }

  function checkDate() {
    var value = shipBy.value;
    var late = value && value > form.dataset.latest;
    advice.hidden = !late;
    if (late) {
      form.querySelectorAll("[data-server-error]").forEach(function (el) { el.hidden = true; });
    }
  }

  function updatePreview() {
    var p = plan(), reason = byCode[select.value];
    if (!p || !reason) { preview.textContent = emptyPreview; preview.classList.remove("ready"); return; }
    var shipText = "";
    if (datedPlans.indexOf(p) >= 0 && shipBy.value) {
      shipText = p === "ship_later" ? "。预计 " + shipBy.value + " 前发货" : "。换货预计 " + shipBy.value + " 前发出";
    }
    preview.textContent = form.dataset.messageTemplate
      .replace("{plan}", planTexts[p])
      .replace("{reason_text}", shipText ? reason.buyer_text.replace(/。$/, "") : reason.buyer_text)
      .replace("{ship_by_text}", shipText);
    preview.classList.add("ready");
  }

  function update() {
    filterReasons();
    shipField.hidden = plan() === "cannot_ship";
    checkDate();
    updatePreview();
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
