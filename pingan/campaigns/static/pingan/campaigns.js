// 挂图作战: the campaign's timeline (phases, then the tasks unit by unit from issue to due; late ones red,
// today a vertical line) and the towns coloured by 清零率, drawn with the vendored Apache ECharts from
// <script id="campaign-data" type="application/json"> (no inline script: the CSP forbids it).
// Tooltips are drawn in the chart (richText): ECharts' HTML tooltips carry inline styles the CSP refuses.
(function () {
  "use strict";
  var COLOURS = { phase: "#8a8f98", task: "#1f5fa8", late: "#b3261e", done: "#2e7d32" };
  var charts = [];

  function narrow() {
    return window.innerWidth < 600;
  }

  function day(text) {
    return new Date(text + "T00:00:00").getTime();
  }

  function bar(params, api) {
    var row = api.value(0);
    var start = api.coord([api.value(1), row]);
    var end = api.coord([api.value(2) + 86400000, row]);
    var height = api.size([0, 1])[1] * 0.6;
    var shape = echarts.graphic.clipRectByRect(
      { x: start[0], y: start[1] - height / 2, width: Math.max(end[0] - start[0], 2), height: height },
      { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height }
    );
    return shape && { type: "rect", shape: shape, style: api.style() };
  }

  function series(name, colour, items, rows) {
    return {
      name: name, type: "custom", renderItem: bar, itemStyle: { color: colour },
      encode: { x: [1, 2], y: 0 },
      data: items.map(function (t) {
        return { name: t.name, value: [rows.indexOf(t.row), day(t.start), day(t.end), t.state || ""] };
      }),
    };
  }

  function timeline(el, spec) {
    el.style.height = Math.max(260, 70 + spec.rows.length * 34) + "px"; // a row per task
    var chart = echarts.init(el, null, { renderer: "svg" });
    charts.push(chart);
    var phases = spec.phases.map(function (p) { return { row: spec.rows[0], name: p.name, start: p.start, end: p.end }; });
    var done = spec.tasks.filter(function (t) { return !t.late && (t.state === "已验收" || t.state === "已完成待验收"); });
    var onTime = spec.tasks.filter(function (t) { return !t.late && done.indexOf(t) < 0; });
    var late = spec.tasks.filter(function (t) { return t.late; });
    var all = [
      series("整治阶段", COLOURS.phase, phases, spec.rows),
      series("按期推进", COLOURS.task, onTime, spec.rows),
      series("已完成", COLOURS.done, done, spec.rows),
      series("逾期", COLOURS.late, late, spec.rows),
    ];
    all[0].label = { show: true, position: "inside", color: "#fff", fontSize: 11, formatter: "{b}" };
    all[0].markLine = {
      symbol: "none", silent: true, label: { formatter: "今天", position: "end" },
      lineStyle: { color: COLOURS.late, type: "dashed" }, data: [{ xAxis: day(spec.today) }],
    };
    chart.setOption({
      tooltip: {
        trigger: "item", renderMode: "richText",
        formatter: function (p) {
          var v = p.value;
          return p.seriesName + "：" + p.name + "\n" + echarts.time.format(v[1], "{MM}-{dd}") + " 至 " +
            echarts.time.format(v[2], "{MM}-{dd}") + (v[3] ? "\n" + v[3] : "");
        },
      },
      legend: { top: 0, data: ["整治阶段", "按期推进", "已完成", "逾期"] },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "time", axisLabel: { formatter: "{MM}-{dd}", fontSize: 11 } },
      yAxis: {
        type: "category", data: spec.rows, inverse: true,
        axisLabel: {
          fontSize: 11, width: narrow() ? 90 : 220, overflow: "truncate",
          formatter: function (value, index) { return spec.labels[index]; },
        },
      },
      series: all,
    });
    chart.on("finished", function () { el.dataset.drawn = "true"; });
    el.dataset.late = String(late.length);
  }

  function townMap(el, spec) {
    echarts.registerMap("pingan-campaign-towns", spec.geo);
    var chart = echarts.init(el, null, { renderer: "svg" });
    charts.push(chart);
    chart.setOption({
      tooltip: {
        trigger: "item", renderMode: "richText",
        formatter: function (p) { return p.name + "：" + (p.value == null || isNaN(p.value) ? "无问题" : "清零率 " + p.value + "%"); },
      },
      visualMap: {
        min: 0, max: 100, left: 0, bottom: 0, itemHeight: 80, calculable: false, text: ["100%", "0%"],
        inRange: { color: ["#b3261e", "#f7c948", "#2e7d32"] }, outOfRange: { color: "#e5e7eb" },
      },
      series: [{
        name: "清零率", type: "map", map: "pingan-campaign-towns", roam: false,
        label: { show: !narrow(), fontSize: 10 },
        data: spec.towns.map(function (t) { return { name: t.name, value: t.value == null ? NaN : t.value }; }),
      }],
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("campaign-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var el = document.getElementById("campaign-timeline");
    if (el) timeline(el, data.timeline);
    var map = document.getElementById("campaign-map");
    if (map && data.map) townMap(map, data.map);
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  });
})();
