/* The handling-time chart: mean handling time per day (line, hours) over tickets per day (bars). */
(function () {
  "use strict";
  var canvas = document.getElementById("handling-chart");
  if (!canvas || !canvas.dataset.chart || typeof Chart === "undefined") return;
  var data = JSON.parse(canvas.dataset.chart);
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#4e5969";
  new Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        {
          type: "line", label: canvas.dataset.labelHours, data: data.mean_hours, yAxisID: "hours",
          borderColor: "#ff5000", backgroundColor: "#ff5000", cubicInterpolationMode: "monotone", spanGaps: true,
          pointRadius: 3, borderWidth: 2, order: 1
        },
        {
          type: "bar", label: canvas.dataset.labelCount, data: data.count, yAxisID: "count",
          backgroundColor: "rgba(22, 93, 255, 0.18)", borderRadius: 3, order: 2
        }
      ]
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "top", align: "end", labels: { boxWidth: 12 } } },
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        hours: { position: "left", beginAtZero: true, title: { display: true, text: canvas.dataset.labelHours } },
        count: {
          position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
          ticks: { precision: 0 }, title: { display: true, text: canvas.dataset.labelCount }
        }
      }
    }
  });
})();
