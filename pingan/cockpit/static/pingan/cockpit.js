// 领导驾驶舱: the charts of the cockpit page, drawn with the vendored Apache ECharts from the JSON in
// <script id="cockpit-data" type="application/json"> (no inline script: the CSP forbids it).
// Every bar, point and town carries the link of the list whose total it is; a click opens it.
// Tooltips are drawn in the chart (richText): ECharts' HTML tooltips carry inline styles the CSP refuses.
(function () {
  "use strict";
  var COLOURS = ["#b3261e", "#1f5fa8", "#2e7d32", "#b26a00"];
  var charts = [];

  function narrow() {
    return window.innerWidth < 600;
  }

  function init(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    var chart = echarts.init(el, null, { renderer: "svg" });
    el.classList.add("linked");
    // Marked once drawn and its animation over (a click lands where the bars stand); unmarked on redraw.
    chart.on("finished", function () { el.dataset.drawn = "true"; });
    charts.push(chart);
    return chart;
  }

  function follow(chart, linksOf) {
    chart.on("click", function (p) {
      var link = linksOf(p);
      if (link) window.location.href = link;
    });
  }

  function categoryAxis(categories) {
    return {
      type: "category",
      data: categories,
      axisLabel: { interval: 0, rotate: narrow() || categories.length > 6 ? 40 : 0, fontSize: 11 },
    };
  }

  function grid() {
    return { left: 8, right: 12, top: 36, bottom: 8, containLabel: true };
  }

  function redraw(chart) {
    delete chart.getDom().dataset.drawn;
  }

  function bars(chart, spec, index) {
    var s = spec.series[index];
    redraw(chart);
    chart.setOption(
      {
        color: [COLOURS[index % COLOURS.length]],
        tooltip: { trigger: "axis", renderMode: "richText" },
        grid: grid(),
        xAxis: categoryAxis(spec.categories),
        yAxis: { type: "value", name: "件", minInterval: 1 },
        series: [{ name: s.name, type: "bar", data: s.values, label: { show: !narrow(), position: "top" } }],
      },
      true
    );
  }

  function map(chart, spec, index) {
    var s = spec.series[index];
    redraw(chart);
    var max = Math.max.apply(null, s.values.concat([1]));
    chart.setOption(
      {
        tooltip: { trigger: "item", formatter: "{b}：{c} 件", renderMode: "richText" },
        visualMap: {
          min: 0, max: max, left: 0, bottom: 0, itemHeight: 80, calculable: false,
          text: ["多", "少"], inRange: { color: ["#fdeceb", "#b3261e"] },
        },
        series: [{
          name: s.name, type: "map", map: "pingan-towns", roam: false,
          label: { show: !narrow(), fontSize: 10 },
          data: spec.categories.map(function (name, i) { return { name: name, value: s.values[i] }; }),
        }],
      },
      true
    );
  }

  function trend(chart, spec) {
    chart.setOption({
      color: COLOURS,
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      grid: grid(),
      xAxis: categoryAxis(spec.categories),
      yAxis: { type: "value", name: "件", minInterval: 1 },
      series: spec.series.map(function (s) { return { name: s.name, type: "line", data: s.values, symbolSize: 8 }; }),
    });
  }

  function draw(data) {
    var kpi = document.getElementById("cockpit-kpi");
    var chosen = function () { return kpi ? Number(kpi.value) : 0; };
    var seriesLink = function (spec) {
      return function (p) { return (spec.series[p.seriesIndex] || {}).links[p.dataIndex]; };
    };

    var ageing = init("cockpit-ageing");
    if (ageing) {
      bars(ageing, data.ageing, 0);
      follow(ageing, seriesLink(data.ageing));
    }
    var townBars = data.bars.series.length ? init("cockpit-bars") : null;
    if (townBars) {
      bars(townBars, data.bars, chosen());
      follow(townBars, function (p) { return data.bars.series[chosen()].links[p.dataIndex]; });
    }
    var townMap = null;
    if (data.map && data.bars.series.length) {
      echarts.registerMap("pingan-towns", data.map);
      townMap = init("cockpit-map");
      map(townMap, data.bars, chosen());
      follow(townMap, function (p) {
        var i = data.bars.categories.indexOf(p.name);
        return i < 0 ? null : data.bars.series[chosen()].links[i];
      });
    } else {
      var empty = document.getElementById("cockpit-map");
      if (empty) empty.remove();
    }
    if (kpi) {
      kpi.addEventListener("change", function () {
        if (townBars) bars(townBars, data.bars, chosen());
        if (townMap) map(townMap, data.bars, chosen());
      });
    }
    var lines = init("cockpit-trend");
    if (lines) {
      trend(lines, data.trend);
      follow(lines, seriesLink(data.trend));
    }
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("cockpit-data");
    if (source) draw(JSON.parse(source.textContent));
  });
})();
