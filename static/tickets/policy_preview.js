/* The publish form's "preview impact" (§19): posts the form's numbers to the preview view, shows
   the draft beside the version in force as numbers and as charts. Cancel aborts the request; the
   server stops by itself past its time bound and changes nothing either way. */
(function () {
  "use strict";
  var box = document.getElementById("pi-preview");
  if (!box) return;
  var form = box.closest("form");
  var text = box.dataset;
  var run = document.getElementById("pi-run");
  var cancel = document.getElementById("pi-cancel");
  var days = document.getElementById("pi-days");
  var status = document.getElementById("pi-status");
  var result = document.getElementById("pi-result");
  var controller = null;
  var charts = [];

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function say(message, isError) {
    status.textContent = message;
    status.classList.toggle("pi-error", !!isError);
  }

  function number(value) {
    return Number(value).toLocaleString(document.documentElement.lang || undefined);
  }

  function yuan(value) {
    return "¥" + Number(value).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function difference(draft, current, format) {
    var d = Number(draft) - Number(current);
    var cell = document.createElement("td");
    cell.className = "pi-num" + (d > 0 ? " pi-up" : d < 0 ? " pi-down" : "");
    cell.textContent = d === 0 ? "0" : (d > 0 ? "+" : "−") + format(Math.abs(d));
    return cell;
  }

  function row(body, id, label, draft, current, format) {
    var tr = document.createElement("tr");
    tr.id = id;
    var th = document.createElement("th");
    th.textContent = label;
    tr.appendChild(th);
    [draft, current].forEach(function (value) {
      var td = document.createElement("td");
      td.className = "pi-num";
      td.textContent = format(value);
      tr.appendChild(td);
    });
    if (typeof draft === "object") {  // a count with its share: the difference of the counts
      tr.appendChild(difference(draft.count, current.count, number));
    } else {
      tr.appendChild(difference(draft, current, format));
    }
    body.appendChild(tr);
  }

  function withShare(part) {
    var n = number(part.count);
    return part.share === null ? n : fill(text.withShare, { n: n, share: (part.share * 100).toFixed(1) + "%" });
  }

  function show(figures) {
    var draft = figures, current = figures.current;
    document.getElementById("pi-summary").textContent = fill(text.tickets, { n: number(figures.tickets), days: figures.days });
    document.getElementById("pi-head-draft").textContent = text.draft;
    document.getElementById("pi-head-current").textContent = fill(text.current, { version: current.version });
    document.getElementById("pi-head-difference").textContent = text.difference;
    var body = document.querySelector("#pi-table tbody");
    body.textContent = "";
    var over = { draft: draft.replies_over_cap, current: current.replies_over_cap };
    row(body, "pi-row-over", text.overTotal, over.draft, over.current, withShare);
    row(body, "pi-row-over-ordinary", text.overOrdinary, over.draft.ordinary.count, over.current.ordinary.count, number);
    row(body, "pi-row-over-fresh", text.overFresh, over.draft.fresh.count, over.current.fresh.count, number);
    row(body, "pi-row-late", text.late, draft.late_first_replies, current.late_first_replies, number);
    row(body, "pi-row-compensation", text.compensation, draft.compensation_total.yuan, current.compensation_total.yuan, yuan);
    row(body, "pi-row-late-shipment", text.lateShipment, draft.compensation_total.late_shipment.yuan,
        current.compensation_total.late_shipment.yuan, yuan);
    row(body, "pi-row-stockout", text.stockout, draft.compensation_total.stockout.yuan,
        current.compensation_total.stockout.yuan, yuan);
    if (draft.points_total.tmall || current.points_total.tmall) {
      row(body, "pi-row-tmall", text.tmall, draft.points_total.tmall, current.points_total.tmall, number);
    }
    row(body, "pi-row-penalty", text.penalty, draft.points_total.penalty, current.points_total.penalty, number);

    var shops = document.querySelector("#pi-shops tbody");
    shops.textContent = "";
    document.getElementById("pi-shops-shop").textContent = text.shop;
    document.getElementById("pi-shops-replies").textContent = text.replies;
    document.getElementById("pi-shops-over").textContent = fill(text.sideBySide, { figure: text.overTotal });
    document.getElementById("pi-shops-late").textContent = fill(text.sideBySide, { figure: text.lateShort });
    if (!draft.by_shop.length) {
      var empty = document.createElement("tr");
      var td = document.createElement("td");
      td.colSpan = 4;
      td.textContent = text.noShops;
      empty.appendChild(td);
      shops.appendChild(empty);
    }
    draft.by_shop.forEach(function (shop, i) {
      var then = current.by_shop[i] || {};
      var tr = document.createElement("tr");
      [shop.name + " (" + shop.shop + ")", number(shop.replies),
       number(shop.replies_over_cap) + " / " + number(then.replies_over_cap || 0),
       number(shop.late_first_replies) + " / " + number(then.late_first_replies || 0)].forEach(function (value, j) {
        var cell = document.createElement(j ? "td" : "th");
        if (j) cell.className = "pi-num";
        cell.textContent = value;
        tr.appendChild(cell);
      });
      shops.appendChild(tr);
    });
    result.hidden = false;
    draw(draft, current);
  }

  function draw(draft, current) {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    if (typeof Chart === "undefined") return;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    var inForce = fill(text.current, { version: current.version });
    function bars(canvas, labels, ours, theirs, money) {
      canvas.setAttribute("aria-label", labels.join(", "));
      return new Chart(canvas, {
        type: "bar",
        data: {
          labels: labels,
          datasets: [
            { label: text.draft, data: ours, backgroundColor: "#ff5000", borderRadius: 3 },
            { label: inForce, data: theirs, backgroundColor: "rgba(22, 93, 255, 0.55)", borderRadius: 3 }
          ]
        },
        options: {
          // Bars across: the figures' names read in full on the left.
          indexAxis: "y",
          responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { position: "top", align: "end", labels: { boxWidth: 12 } } },
          scales: {
            y: { grid: { display: false }, ticks: { autoSkip: false } },
            x: { beginAtZero: true, ticks: money ? { callback: function (v) { return "¥" + v; } } : { precision: 0 } }
          }
        }
      });
    }
    charts.push(bars(
      document.getElementById("pi-chart-counts"),
      [text.overOrdinary, text.overFresh, text.lateShort, text.penalty],
      [draft.replies_over_cap.ordinary.count, draft.replies_over_cap.fresh.count, draft.late_first_replies, draft.points_total.penalty],
      [current.replies_over_cap.ordinary.count, current.replies_over_cap.fresh.count, current.late_first_replies, current.points_total.penalty],
      false
    ));
    charts.push(bars(
      document.getElementById("pi-chart-money"),
      [text.lateShipment, text.stockout],
      [Number(draft.compensation_total.late_shipment.yuan), Number(draft.compensation_total.stockout.yuan)],
      [Number(current.compensation_total.late_shipment.yuan), Number(current.compensation_total.stockout.yuan)],
      true
    ));
  }

  function finish() {
    controller = null;
    run.disabled = false;
    cancel.hidden = true;
  }

  run.addEventListener("click", function () {
    if (controller) controller.abort();
    var data = new FormData(form);
    data.set("days", days.value);
    controller = new AbortController();
    var mine = controller;
    run.disabled = true;
    cancel.hidden = false;
    say(text.running);
    fetch(text.url, { method: "POST", body: data, credentials: "same-origin", signal: mine.signal })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; },
                                     function () { return { ok: false, body: {} }; });
      })
      .then(function (answer) {
        if (mine.signal.aborted) return;
        if (!answer.ok) {
          say(answer.body.error || text.failed, true);
          return;
        }
        show(answer.body);
        say(text.done);
      })
      .catch(function (error) {
        say(error && error.name === "AbortError" ? text.cancelled : text.failed, error.name !== "AbortError");
      })
      .then(function () { if (controller === mine) finish(); });
  });

  cancel.addEventListener("click", function () {
    if (controller) controller.abort();
    finish();
    say(text.cancelled);
  });
})();
