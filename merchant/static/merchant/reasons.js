/* Offer only the reasons that allow the chosen plan: each option of a reason select says its
   plans (data-plans); a group with no option left is hidden. Shared by the reply form and the
   ticket list's batch reply. The server checks the pair again. */
window.offerReasonsFor = function (select, plan) {
  "use strict";
  select.querySelectorAll("option[data-plans]").forEach(function (option) {
    var allowed = !plan || option.dataset.plans.split(" ").indexOf(plan) >= 0;
    option.hidden = !allowed;
    option.disabled = !allowed;
    if (!allowed && option.selected) select.value = "";
  });
  select.querySelectorAll("optgroup").forEach(function (group) {
    group.hidden = !group.querySelector("option:not([disabled])");
  });
};
