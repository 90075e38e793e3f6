/* The reply form: offer only the reasons that allow the chosen plan (each option's data-plans),
   show the date field only for dated plans, warn past the ship-by cap as soon as a date is
   typed, and preview the buyer's message. The preview comes from the server (the text the
   reply sends, built by the same function), so it can never differ from what is sent. The
   server checks everything again; without scripts the "show" button previews. */
(function () {
  "use strict";
  var form = document.getElementById("reply-form");
  if (!form) return;
  var select = form.querySelector("select[name=reason]");
  var shipBy = form.querySelector("input[name=ship_by]");
  var shipField = document.getElementById("field-ship_by");
  var advice = document.getElementById("ship-by-advice");
  var preview = document.getElementById("buyer-preview");
  var labels = document.getElementById("preview-i18n").dataset;
  var button = document.getElementById("preview-button");
  var pending = null, asked = 0;

  function plan() {
    var checked = form.querySelector("input[name=plan]:checked");
    return checked ? checked.value : "";
  }

  function filterReasons() {
    window.offerReasonsFor(select, plan());
  }

  function checkDate() {
    var value = shipBy.value;
    var late = value && value > form.dataset.latest;
    advice.hidden = !late;
    if (late) {
      form.querySelectorAll("[data-server-error]").forEach(function (el) { el.hidden = true; });
    }
  }

  function show(answer) {
    preview.classList.remove("ready", "invalid", "muted");
    if (answer.text) {
      preview.textContent = answer.text;
      preview.classList.add("ready");
    } else if (answer.error) {
      preview.textContent = labels.invalid.replace("%(error)s", answer.error);
      preview.classList.add("invalid");
    } else {
      preview.textContent = labels.empty;
      preview.classList.add("muted");
    }
  }

  function updatePreview() {
    var p = plan();
    if (!p || !select.value) { show({}); return; }
    var query = new URLSearchParams({ plan: p, reason: select.value, ship_by: shipBy.value });
    var mine = ++asked;
    fetch(form.dataset.previewUrl + "?" + query.toString(), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) { if (answer && mine === asked) show(answer); })
      .catch(function () { /* the server-side preview button still works */ });
  }

  function update() {
    filterReasons();
    shipField.hidden = plan() === "cannot_ship";
    checkDate();
    clearTimeout(pending);
    pending = setTimeout(updatePreview, 150);
  }

  button.hidden = true;  // the preview follows the form as it changes
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  filterReasons();
  shipField.hidden = plan() === "cannot_ship";
  checkDate();
})();
