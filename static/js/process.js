// Draws the process evaluation's charts from the JSON the page carries (no inline scripts).
// The same numbers are in the tables beside each chart; months withheld (too few answers,
// or too few measured) are gaps, never drawn.
(function () {
  "use strict";
  var EASE_COLOURS = ["#198754", "#6c757d", "#dc3545"];

  function draw() {
    if (!window.Chart) return;
    var source = document.getElementById("process-chart-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var page = window.getComputedStyle(document.body);
    window.Chart.defaults.color = page.color;
    window.Chart.defaults.borderColor = page.getPropertyValue("--bs-border-color-translucent") || "rgba(0, 0, 0, .175)";
    var common = { animation: false, responsive: true, maintainAspectRatio: false };
    var ease = document.querySelector("canvas[data-chart='ease']");
    if (ease) {
      new window.Chart(ease, {
        type: "bar",
        data: {
          labels: data.ease.labels,
          datasets: data.ease.data.map(function (values, i) {
            // Not colour alone: each answer has its own pattern of border too, and the legend names it.
            return { label: data.ease.names[i], data: values, backgroundColor: EASE_COLOURS[i], borderWidth: i, borderColor: "#000" };
          })
        },
        options: Object.assign({
          plugins: { legend: { position: "bottom" }, tooltip: { callbacks: { label: function (item) { return item.dataset.label + ": " + item.formattedValue + "%"; } } } },
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, max: 100 } }
        }, common)
      });
    }
    var log = document.querySelector("canvas[data-chart='log_time']");
    if (log) {
      var booking = data.log_time.labels.map(function () { return data.log_time.booking; });
      new window.Chart(log, {
        type: "line",
        data: {
          labels: data.log_time.labels,
          datasets: [
            { label: data.log_time.names[0], data: data.log_time.median, borderColor: "#0d6efd", spanGaps: false },
            { label: data.log_time.names[1], data: data.log_time.p90, borderColor: "#fd7e14", borderDash: [6, 3], spanGaps: false },
            { label: data.log_time.names[2], data: booking, borderColor: "#dc3545", borderDash: [2, 2], pointRadius: 0 }
          ]
        },
        // Minutes to log beside hours to book: a logarithmic scale shows both.
        options: Object.assign({ plugins: { legend: { position: "bottom" } }, scales: { y: { type: "logarithmic" } } }, common)
      });
    }
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
