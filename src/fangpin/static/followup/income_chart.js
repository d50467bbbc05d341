// The household page's income chart (ECharts): data from <script id="income-series" type="application/json">
// written by json_script; no inline script (content security policy).
(function () {
  function draw() {
    var holder = document.getElementById("income-chart");
    var source = document.getElementById("income-series");
    if (!holder || !source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var months = data.months || [];
    // Annual per-capita income is shown at the last month of its year within the window (or the first
    // month when its year ends before the window), against that year's annual monitoring line.
    var annualPoints = [];
    var annualLine = [];
    (data.annual || []).forEach(function (a) {
      var label = a.year + "-12";
      var i = months.indexOf(label);
      if (i < 0) {
        for (var j = months.length - 1; j >= 0; j--) { if (months[j].indexOf(a.year + "-") === 0) { i = j; break; } }
      }
      if (i < 0 && months.length && a.year < parseInt(months[0], 10)) { i = 0; }
      if (i < 0) { return; }
      annualPoints.push([months[i], a.per_capita]);
      if (a.line) { annualLine.push([months[i], a.line]); }
    });
    var chart = echarts.init(holder);
    chart.setOption({
      animation: false,
      // Plain-text tooltip: the default markers are inline-styled HTML, which the policy refuses.
      tooltip: { trigger: "axis", formatter: function (items) {
        var lines = [items.length ? items[0].axisValue : ""];
        items.forEach(function (it) {
          var v = Array.isArray(it.value) ? it.value[1] : it.value;
          if (v !== null && v !== undefined) { lines.push(it.seriesName + "：" + v + " 元"); }
        });
        return lines.join("<br>");
      } },
      legend: { top: 0, textStyle: { fontSize: 11 } },
      grid: { left: 48, right: 48, top: 40, bottom: 28 },
      xAxis: { type: "category", data: months },
      yAxis: [
        { type: "value", name: "元/人/月", nameTextStyle: { fontSize: 10 } },
        { type: "value", name: "元/人/年", nameTextStyle: { fontSize: 10 }, splitLine: { show: false } }
      ],
      series: [
        { name: "月人均纯收入", type: "line", data: data.per_capita, connectNulls: false, symbolSize: 6 },
        { name: "监测线（月度等值）", type: "line", data: data.line, step: "middle", symbol: "none",
          lineStyle: { type: "dashed", color: "#d92d20" }, itemStyle: { color: "#d92d20" } },
        { name: "年人均纯收入", type: "scatter", yAxisIndex: 1, data: annualPoints, symbol: "rect", symbolSize: 10,
          itemStyle: { color: "#7a5af8" } },
        { name: "年度监测线", type: "scatter", yAxisIndex: 1, data: annualLine, symbol: "diamond", symbolSize: 9,
          itemStyle: { color: "#f79009" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
