// Draws the dashboard's and the process evaluation's charts from the JSON the page carries
// (no inline scripts).
// The same numbers are in the tables under each chart.
(function () {
  "use strict";
  var charts = [];

  // Small cells (1 to 10) arrive as null: drawn as a hatched bar of a fixed height, which
  // says "some, fewer than 11" without telling the number, as the tables say "<11".
  var SMALL_HEIGHT = 5;
  var EASE_COLOURS = ["#198754", "#6c757d", "#dc3545"];
  var PULSE_COLOURS = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#6c757d", "#d63384"];
  var PULSE_POINTS = ["circle", "rect", "triangle", "rectRot", "star", "crossRot", "cross", "rectRounded"];

  function hatch(colour) {
    var tile = document.createElement("canvas");
    tile.width = tile.height = 8;
    var ctx = tile.getContext("2d");
    ctx.strokeStyle = colour || "#6c757d";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(0, 8); ctx.lineTo(8, 0);
    ctx.moveTo(-2, 2); ctx.lineTo(2, -2);
    ctx.moveTo(6, 10); ctx.lineTo(10, 6);
    ctx.stroke();
    return ctx.createPattern(tile, "repeat");
  }

  function withSmallCells(dataset, colour) {
    var small = dataset.data.map(function (v) { return v === null; });
    if (!small.some(Boolean)) return dataset;
    var base = dataset.backgroundColor || colour;
    var pattern = hatch(typeof base === "string" ? base : colour);
    return Object.assign({}, dataset, {
      data: dataset.data.map(function (v) { return v === null ? SMALL_HEIGHT : v; }),
      backgroundColor: small.map(function (s) { return s ? pattern : base; }),
      baseColor: base,
      smallCells: small
    });
  }

  // The legend shows each series in its own colour, not the hatching of its first bar.
  var legendInBaseColours = {
    labels: {
      generateLabels: function (chart) {
        var items = window.Chart.defaults.plugins.legend.labels.generateLabels(chart);
        items.forEach(function (item) {
          var base = chart.data.datasets[item.datasetIndex].baseColor;
          if (base) { item.fillStyle = base; item.strokeStyle = base; }
        });
        return items;
      }
    }
  };

  // Six pathways' names fill a phone-wide canvas: below the bars, in small boxes, the legend
  // leaves the plot its height (the box around each canvas, in app.css, sets that height).
  var legendAtBottom = Object.assign({ position: "bottom" }, legendInBaseColours, {
    labels: Object.assign({ boxWidth: 12, padding: 8 }, legendInBaseColours.labels)
  });

  var smallCellTooltip = {
    callbacks: {
      label: function (item) {
        var small = item.dataset.smallCells && item.dataset.smallCells[item.dataIndex];
        var value = small ? "<11" : item.formattedValue;
        return (item.dataset.label ? item.dataset.label + ": " : "") + value;
      }
    }
  };

  function draw() {
    if (!window.Chart) return;
    var source = document.getElementById("chart-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    // Axis labels and grid lines in the page's own colours, readable in the dark scheme too.
    var page = window.getComputedStyle(document.body);
    window.Chart.defaults.color = page.color;
    window.Chart.defaults.borderColor = page.getPropertyValue("--bs-border-color-translucent") || "rgba(0, 0, 0, .175)";
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var key = canvas.dataset.chart;
      var config;
      if (key === "by_pathway") {
        var byPathway = Object.assign({}, data.by_pathway, {
          datasets: data.by_pathway.datasets.map(function (d) { return withSmallCells(d, "#6c757d"); })
        });
        config = { type: "bar", data: byPathway, options: { plugins: { tooltip: smallCellTooltip, legend: legendAtBottom }, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } } };
      } else if (key === "funnel") {
        config = { type: "bar", data: { labels: data.funnel.labels, datasets: [withSmallCells({ label: "", data: data.funnel.data, backgroundColor: "#0d6efd" }, "#0d6efd")] }, options: { indexAxis: "y", plugins: { legend: { display: false }, tooltip: smallCellTooltip } } };
      } else if (key === "participation") {
        config = { type: "line", data: { labels: data.participation.labels, datasets: [{ label: "%", data: data.participation.data, borderColor: "#198754", spanGaps: true }] }, options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, max: 100 } } } };
      } else if (key === "ease") {
        // Process evaluation: the shares of each answer per month, stacked to 100%; months
        // withheld (too few answers) are gaps, never drawn. Not colour alone: the bars have
        // borders of their own width and the legend names them.
        config = { type: "bar", data: { labels: data.ease.labels, datasets: data.ease.data.map(function (values, i) {
          return { label: data.ease.names[i], data: values, backgroundColor: EASE_COLOURS[i], borderWidth: i, borderColor: "#000" };
        }) }, options: { plugins: { legend: legendAtBottom, tooltip: { callbacks: { label: function (item) { return item.dataset.label + ": " + item.formattedValue + "%"; } } } }, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, max: 100 } } } };
      } else if (key === "log_time") {
        // Minutes to log beside the hours an arrest takes: a logarithmic scale shows both.
        var log = data.log_time;
        config = { type: "line", data: { labels: log.labels, datasets: [
          { label: log.names[0], data: log.median, borderColor: "#0d6efd" },
          { label: log.names[1], data: log.p90, borderColor: "#fd7e14", borderDash: [6, 3] },
          { label: log.names[2], data: log.labels.map(function () { return log.booking; }), borderColor: "#dc3545", borderDash: [2, 2], pointRadius: 0 }
        ] }, options: { plugins: { legend: legendAtBottom }, scales: { y: { type: "logarithmic" } } } };
      } else if (key === "pulse") {
        // A line per statement, each its own dash and point as well as colour; gaps where a
        // wave had fewer than 5 answers (the table says so).
        var pulse = data.pulse;
        config = { type: "line", data: { labels: pulse.labels, datasets: pulse.data.map(function (values, i) {
          return { label: pulse.names[i], data: values, borderColor: PULSE_COLOURS[i % PULSE_COLOURS.length], borderDash: [8 - i, i], pointStyle: PULSE_POINTS[i % PULSE_POINTS.length], pointRadius: 4 };
        }) }, options: { plugins: { legend: legendAtBottom }, scales: { y: { min: 1, max: 5 } } } };
      } else if (key === "savings") {
        config = { type: "bar", data: { labels: data.savings.labels, datasets: [withSmallCells({ label: "h", data: data.savings.data, backgroundColor: "#fd7e14" }, "#fd7e14")] }, options: { plugins: { legend: { display: false }, tooltip: smallCellTooltip } } };
      }
      if (config) {
        config.options.animation = false;
        // The chart fills its box (app.css gives it a height) rather than keeping the canvas's
        // proportions, which on a phone left a strip a few pixels tall.
        config.options.responsive = true;
        config.options.maintainAspectRatio = false;
        charts.push(new window.Chart(canvas, config));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
