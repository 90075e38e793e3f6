/* Second handling: evidence belongs to a buyer-fault claim only. */
(function () {
  "use strict";
  var form = document.getElementById("second-form");
  if (!form) return;
  var only = form.querySelector(".buyer-fault-only");
  function update() {
    var checked = form.querySelector("input[name=plan]:checked");
    only.hidden = !checked || checked.value !== "buyer_fault";
    // A hidden input is not sent, so files picked before switching to compensate are dropped.
    only.querySelectorAll("input").forEach(function (input) { input.disabled = only.hidden; });
  }
  form.addEventListener("change", update);
  update();
})();
