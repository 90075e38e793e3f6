// The decision page (§18): insert a canned note where the reviewer is typing, and zoom the
// evidence beside the decision. Without this file the page still works: the canned note is
// inserted by the server ("Insert"), and the evidence opens full size in a tab.
(function () {
  "use strict";

  function insertAtCaret(field, text) {
    var value = field.value;
    if (!value.trim()) {
      field.value = text;
    } else {
      var start = field.selectionStart, end = field.selectionEnd;
      var before = value.slice(0, start), after = value.slice(end);
      var lead = before && !before.endsWith("\n") ? "\n" : "";
      field.value = before + lead + text + after;
      start = (before + lead + text).length;
      field.setSelectionRange(start, start);
    }
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.focus();
  }

  function cannedNotes() {
    var select = document.getElementById("rv-template");
    if (!select) return;
    var note = document.getElementById(select.dataset.note);
    var button = document.getElementById("rv-template-insert");
    if (button) button.hidden = true; // chosen is inserted: no round trip
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (!option || !option.value) return;
      insertAtCaret(note, option.dataset.text);
      select.selectedIndex = 0;
    });
  }

  function viewer() {
    var stage = document.getElementById("rv-stage");
    if (!stage) return;
    var img = document.getElementById("rv-stage-img");
    var link = document.getElementById("rv-stage-link");
    var level = document.getElementById("rv-zoom-level");
    var name = document.getElementById("rv-stage-name");
    var zoom = 1;
    var steps = [1, 1.5, 2, 3, 4];
    document.getElementById("rv-zoom").hidden = false;

    function show(z) {
      zoom = z;
      img.style.width = zoom * 100 + "%";
      stage.classList.toggle("rv-zoomed", zoom > 1);
      level.textContent = Math.round(zoom * 100) + "%";
    }
    function step(direction) {
      var i = steps.indexOf(zoom);
      show(steps[Math.max(0, Math.min(steps.length - 1, i + direction))]);
    }
    // The stage zooms in place instead of opening a tab; a click zooms in, then back out.
    link.addEventListener("click", function (event) {
      event.preventDefault();
      if (zoom === steps[steps.length - 1]) { show(1); return; }
      var rect = stage.getBoundingClientRect();
      var x = (event.clientX - rect.left + stage.scrollLeft) / img.clientWidth;
      var y = (event.clientY - rect.top + stage.scrollTop) / img.clientHeight;
      step(1);
      stage.scrollLeft = x * img.clientWidth - (event.clientX - rect.left);
      stage.scrollTop = y * img.clientHeight - (event.clientY - rect.top);
    });
    document.querySelectorAll("#rv-zoom [data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var what = button.dataset.zoom;
        if (what === "fit") show(1);
        else step(what === "in" ? 1 : -1);
      });
    });
    stage.addEventListener("keydown", function (event) {
      if (event.key === "+" || event.key === "=") { step(1); event.preventDefault(); }
      if (event.key === "-") { step(-1); event.preventDefault(); }
      if (event.key === "0") { show(1); event.preventDefault(); }
    });
    document.querySelectorAll("#rv-strip .rv-strip-link").forEach(function (thumb) {
      thumb.addEventListener("click", function (event) {
        event.preventDefault();
        img.src = thumb.href;
        img.alt = thumb.dataset.name;
        link.href = thumb.href;
        if (name) name.textContent = thumb.dataset.name;
        document.querySelectorAll("#rv-strip .rv-current").forEach(function (other) {
          other.classList.remove("rv-current");
        });
        thumb.classList.add("rv-current");
        show(1);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    cannedNotes();
    viewer();
  });
})();
