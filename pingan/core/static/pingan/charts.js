// Charts drawn with the vendored Apache ECharts: <div class="chart" data-chart='{"chart": "bar"|"line",
// "title", "unit", "categories": [...], "series": [{"name", "values": [...]}], "links": [...]?}'>.
// With `links` (one URL per category), clicking a bar opens the list behind it.
(function () {
  "use strict";
  var COLOURS = ["#b3261e", "#1f5fa8", "#2e7d32", "#b26a00", "#6a3fa0", "#00796b"];

  function draw(el) {
    var spec = JSON.parse(el.dataset.chart);
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      color: COLOURS,
      title: { text: spec.title || "", left: "center", textStyle: { fontSize: 14 } },
      // Drawn inside the chart: ECharts' HTML tooltip sets inline styles, which the CSP refuses.
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { bottom: 0, show: spec.series.length > 1 },
      grid: { left: 40, right: 16, top: 40, bottom: spec.series.length > 1 ? 56 : 32, containLabel: true },
      xAxis: { type: "category", data: spec.categories, axisLabel: { interval: 0, rotate: spec.categories.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", name: spec.unit || "", minInterval: 1 },
      series: spec.series.map(function (s) {
        return { name: s.name, type: spec.chart === "line" ? "line" : "bar", data: s.values };
      }),
    });
    if (spec.links) {
      el.classList.add("linked");
      chart.on("click", function (p) {
        if (spec.links[p.dataIndex]) window.location.href = spec.links[p.dataIndex];
      });
    }
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart]").forEach(draw);
  });
})();
