// Draws the dashboard's charts from the JSON the page carries (no inline scripts).
// The same numbers are in the tables under each chart.
(function () {
  "use strict";
  var charts = [];

  function draw() {
    if (!window.Chart) return;
    var source = document.getElementById("chart-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var key = canvas.dataset.chart;
      var config;
      if (key === "by_pathway") {
        config = { type: "bar", data: data.by_pathway, options: { responsive: true, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } } };
      } else if (key === "funnel") {
        config = { type: "bar", data: { labels: data.funnel.labels, datasets: [{ label: "", data: data.funnel.data, backgroundColor: "#0d6efd" }] }, options: { indexAxis: "y", plugins: { legend: { display: false } } } };
      } else if (key === "participation") {
        config = { type: "line", data: { labels: data.participation.labels, datasets: [{ label: "%", data: data.participation.data, borderColor: "#198754", spanGaps: true }] }, options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, max: 100 } } } };
      } else if (key === "savings") {
        config = { type: "bar", data: { labels: data.savings.labels, datasets: [{ label: "h", data: data.savings.data, backgroundColor: "#fd7e14" }] }, options: { plugins: { legend: { display: false } } } };
      }
      if (config) {
        config.options.animation = false;
        charts.push(new window.Chart(canvas, config));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
