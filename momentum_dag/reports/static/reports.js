/* momentum_dag report pages: draws every <div class="mr-chart" data-spec="..."> with Plotly from the
   page's data (window.MR_DATA, written beside the page in <page>/data.js), and runs the comparison page.
   No network: plotly.min.js sits in the reports folder. */
(function () {
  "use strict";
  var MR = (window.MR = window.MR || {});
  var CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  var RANGE_BUTTONS = [
    { count: 1, label: "1y", step: "year", stepmode: "backward" },
    { count: 3, label: "3y", step: "year", stepmode: "backward" },
    { count: 5, label: "5y", step: "year", stepmode: "backward" },
    { step: "all", label: "all" },
  ];

  function yFormat(spec) {
    return spec.percent ? ".2%" : spec.decimals ? "." + spec.decimals + "f" : ".4f";
  }

  /* Wealth of 1 invested at the first non-missing return (a later missing period counts as flat). */
  function wealth(values) {
    var out = [], level = null;
    for (var i = 0; i < values.length; i++) {
      var r = values[i];
      if (level === null) {
        if (r === null || r === undefined) { out.push(null); continue; }
        level = 1;
      }
      level *= 1 + (r === null || r === undefined ? 0 : r);
      out.push(level);
    }
    return out;
  }
  MR.wealth = wealth;

  function rollingMean(values, n) {
    var out = [];
    for (var i = 0; i < values.length; i++) {
      if (i + 1 < n) { out.push(null); continue; }
      var sum = 0, count = 0;
      for (var j = i + 1 - n; j <= i; j++) if (values[j] !== null) { sum += values[j]; count++; }
      out.push(count === n ? sum / n : null);
    }
    return out;
  }
  MR.rollingMean = rollingMean;

  function shadeShapes(spans) {
    return (spans || []).map(function (s) {
      return { type: "rect", xref: "x", yref: "paper", x0: s[0], x1: s[1], y0: 0, y1: 1, line: { width: 0 },
               fillcolor: "#d9d9d9", opacity: 0.5, layer: "below" };
    });
  }

  function logToggle() {
    return [{ type: "buttons", direction: "right", x: 1, xanchor: "right", y: 1.02, yanchor: "bottom", pad: { r: 0, t: 0 },
              showactive: true, buttons: [
                { label: "linear", method: "relayout", args: ["yaxis.type", "linear"] },
                { label: "log", method: "relayout", args: ["yaxis.type", "log"] } ] }];
  }

  function baseLayout(spec) {
    return {
      title: { text: spec.title, font: { size: 14 }, x: 0, xanchor: "left", y: 0.98, yanchor: "top" },
      margin: { l: 64, r: 24, t: 84, b: 40 }, height: spec.height || 380, hovermode: "closest",
      yaxis: { title: { text: spec.y_title || "" }, zeroline: true },
      xaxis: {},
    };
  }

  function timeAxis(layout, spec) {
    layout.xaxis = { type: "date", rangeselector: { buttons: RANGE_BUTTONS, x: 0, y: 1.02, yanchor: "bottom" },
                     rangeslider: { visible: spec.slider !== false, thickness: 0.07 } };
    layout.height = (spec.height || 380) + 60;
  }

  MR.traces = function (spec, data) {
    var x = data.x, names = spec.series || Object.keys(data.series);
    var fmt = yFormat(spec);
    var dateHover = spec.kind === "category" ? "%{x}" : "%{x|%Y-%m-%d}";
    if (spec.kind === "wealth") {
      return names.map(function (n) {
        return { type: "scatter", mode: "lines", name: n, x: x, y: wealth(data.series[n]),
                 hovertemplate: n + "<br>" + dateHover + "<br>wealth %{y:.3f}<extra></extra>" };
      });
    }
    if (spec.kind === "bars_mean") {
      var n = names[0], v = data.series[n];
      return [
        { type: "bar", name: n, x: x, y: v, marker: { color: v.map(function (y) { return y >= 0 ? "#3a7dc9" : "#d9534f"; }) },
          opacity: 0.65, hovertemplate: n + "<br>" + dateHover + "<br>%{y:" + fmt + "}<extra></extra>" },
        { type: "scatter", mode: "lines", name: spec.rolling + "-period mean", x: x, y: rollingMean(v, spec.rolling),
          line: { color: "black" }, hovertemplate: spec.rolling + "-period mean<br>" + dateHover + "<br>%{y:" + fmt + "}<extra></extra>" },
      ];
    }
    if (spec.kind === "category") {
      return names.map(function (n) {
        return { type: "bar", name: n, x: x, y: data.series[n], hovertemplate: n + " %{x}<br>%{y:" + fmt + "}<extra></extra>" };
      });
    }
    return names.map(function (n) {
      return { type: "scatter", mode: "lines", name: n, x: x, y: data.series[n],
               hovertemplate: n + "<br>" + dateHover + "<br>%{y:" + fmt + "}<extra></extra>" };
    });
  };

  MR.draw = function (div, spec, data) {
    var layout = baseLayout(spec);
    if (spec.kind !== "category") timeAxis(layout, spec);
    if (spec.percent) layout.yaxis.tickformat = spec.kind === "wealth" ? "" : ".0%";
    if (spec.kind === "wealth") { layout.updatemenus = logToggle(); layout.yaxis.type = spec.log ? "log" : "linear"; }
    if (spec.kind === "bars_mean") layout.bargap = 0.1;
    layout.shapes = shadeShapes(data.shade);
    return Plotly.react(div, MR.traces(spec, data), layout, CONFIG);
  };

  MR.renderAll = function () {
    var charts = document.querySelectorAll("div.mr-chart[data-spec]");
    for (var i = 0; i < charts.length; i++) {
      var spec = JSON.parse(charts[i].getAttribute("data-spec"));
      var data = (window.MR_DATA || {})[spec.data];
      if (!data) { charts[i].textContent = "No data for this chart (" + spec.data + ")."; continue; }
      MR.draw(charts[i], spec, data);
    }
  };

  /* ---------------------------------------------------------------- the comparison page */

  function stats(values, ppy) {
    var v = values.filter(function (x) { return x !== null && x !== undefined; });
    var n = v.length;
    if (!n) return { n: 0, mean: null, std: null };
    var mean = v.reduce(function (a, b) { return a + b; }, 0) / n;
    var ss = v.reduce(function (a, b) { return a + (b - mean) * (b - mean); }, 0);
    var std = n > 1 ? Math.sqrt(ss / (n - 1)) : null;
    return { n: n, mean: mean, std: std, ratio: std ? (mean / std) * Math.sqrt(ppy) : null };
  }
  MR.stats = stats;

  function fmt(value, kind) {
    if (value === null || value === undefined || !isFinite(value)) return "\u2013";
    if (kind === "pct") return (value * 100).toFixed(2) + "%";
    if (kind === "ic") return value.toFixed(4);
    if (kind === "int") return String(Math.round(value));
    return value.toFixed(2);
  }

  function monthOf(date) { return date.slice(0, 7); }

  /* Rows of one factor inside [start, end] (YYYY-MM, inclusive by month). */
  function within(factor, start, end) {
    var idx = [];
    for (var i = 0; i < factor.x.length; i++) {
      var m = monthOf(factor.x[i]);
      if ((!start || m >= start) && (!end || m <= end)) idx.push(i);
    }
    var pick = function (col) { return idx.map(function (i) { return factor[col][i]; }); };
    return { x: pick("x"), long_short: pick("long_short"), long_short_net: pick("long_short_net"), rank_ic: pick("rank_ic") };
  }
  MR.within = within;

  /* The longest period every chosen factor covers: the latest first month to the earliest last month. */
  function commonSample(factors) {
    var start = null, end = null;
    factors.forEach(function (f) {
      var first = monthOf(f.x[0]), last = monthOf(f.x[f.x.length - 1]);
      if (start === null || first > start) start = first;
      if (end === null || last < end) end = last;
    });
    return { start: start, end: end };
  }
  MR.commonSample = commonSample;

  MR.COMPARE_COLUMNS = [
    ["factor", "Factor", "text"], ["frequency", "Frequency", "text"], ["periods", "Periods (count)", "int"],
    ["first", "First period (date)", "text"], ["last", "Last period (date)", "text"],
    ["rank_ic_mean", "Rank IC mean (correlation)", "ic"], ["rank_icir_annualized", "Rank ICIR annualized (ratio)", "ratio"],
    ["long_short_ann_return", "Long-short ann. return (%/yr)", "pct"], ["long_short_sharpe", "Long-short Sharpe (ann.)", "ratio"],
    ["long_short_net_ann_return", "Long-short net ann. return (%/yr)", "pct"], ["long_short_net_sharpe", "Long-short net Sharpe (ann.)", "ratio"],
  ];

  MR.compareRows = function (data, chosen, start, end) {
    return chosen.map(function (name) {
      var f = data.factors[name], s = within(f, start, end), ppy = f.periods_per_year;
      var ic = stats(s.rank_ic, ppy), ls = stats(s.long_short, ppy), net = stats(s.long_short_net, ppy);
      return { factor: name, frequency: f.frequency, periods: ic.n, first: s.x[0] || null, last: s.x[s.x.length - 1] || null,
               rank_ic_mean: ic.mean, rank_icir_annualized: ic.ratio, long_short_ann_return: ls.n ? ls.mean * ppy : null,
               long_short_sharpe: ls.ratio, long_short_net_ann_return: net.n ? net.mean * ppy : null, long_short_net_sharpe: net.ratio };
    });
  };

  function csvOf(rows) {
    var cols = MR.COMPARE_COLUMNS.map(function (c) { return c[0]; });
    var lines = [cols.join(",")];
    rows.forEach(function (r) { lines.push(cols.map(function (c) { return r[c] === null ? "" : r[c]; }).join(",")); });
    return lines.join("\n") + "\n";
  }

  MR.compare = function (data) {
    var form = document.getElementById("compare-form");
    var startInput = document.getElementById("compare-start"), endInput = document.getElementById("compare-end");
    var boxes = form.querySelectorAll("input[name=factor]");
    var userSet = data.user_start || data.user_end ? "settings" : null;

    function chosen() {
      var out = [];
      for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) out.push(boxes[i].value);
      return out;
    }

    function defaults(names) {
      var common = commonSample(names.map(function (n) { return data.factors[n]; }));
      return { start: data.user_start || common.start, end: data.user_end || common.end, common: common };
    }

    function update(source) {
      var names = chosen();
      if (!names.length) return;
      var d = defaults(names);
      if (source !== "input") { startInput.value = d.start; endInput.value = d.end; }
      var start = startInput.value, end = endInput.value;
      var why;
      if (source === "input") why = "set on this page";
      else if (userSet) why = "set by MOMENTUM_COMPARE_START / MOMENTUM_COMPARE_END";
      else why = "the longest period all " + names.length + " chosen factors share";
      document.getElementById("compare-sample").textContent =
        "Sample: " + start + " to " + end + " (" + why + "; common period of the chosen factors: " +
        d.common.start + " to " + d.common.end + ").";
      var rows = MR.compareRows(data, names, start, end);
      var body = document.querySelector("#compare-table tbody");
      body.innerHTML = "";
      rows.forEach(function (r) {
        var tr = document.createElement("tr");
        MR.COMPARE_COLUMNS.forEach(function (c) {
          var td = document.createElement("td");
          td.textContent = c[2] === "text" ? (r[c[0]] || "\u2013") : fmt(r[c[0]], c[2]);
          if (c[2] !== "text") td.className = "num";
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
      var link = document.getElementById("compare-csv");
      link.href = "data:text/csv;charset=utf-8," + encodeURIComponent(csvOf(rows));
      link.download = "comparison_" + start + "_" + end + ".csv";
      document.getElementById("compare-query").textContent = data.query_template
        .replace(/\{factors\}/g, names.map(function (n) { return "'" + n + "'"; }).join(", "))
        .replace(/\{start\}/g, start + "-01").replace(/\{end\}/g, end + "-01");
      var ls = { x: null, series: {} }, ic = { series: {} };
      var wealthTraces = [], icTraces = [];
      names.forEach(function (n) {
        var s = within(data.factors[n], start, end), ppy = data.factors[n].periods_per_year;
        wealthTraces.push({ type: "scatter", mode: "lines", name: n, x: s.x, y: wealth(s.long_short),
                            hovertemplate: n + "<br>%{x|%Y-%m-%d}<br>wealth %{y:.3f}<extra></extra>" });
        icTraces.push({ type: "scatter", mode: "lines", name: n, x: s.x, y: rollingMean(s.rank_ic, ppy),
                        hovertemplate: n + "<br>%{x|%Y-%m-%d}<br>rank IC, 1-year mean %{y:.4f}<extra></extra>" });
      });
      var wl = baseLayout({ title: "Cumulative long-short return (wealth of 1 at the sample's start, equal-weighted)", y_title: "wealth (from 1)" });
      timeAxis(wl, {}); wl.updatemenus = logToggle();
      var il = baseLayout({ title: "Rank IC, rolling one-year mean (12 months or 52 weeks)", y_title: "rank IC (correlation)" });
      timeAxis(il, {}); il.yaxis.tickformat = ".2f";
      Plotly.react("compare-wealth", wealthTraces, wl, CONFIG);
      Plotly.react("compare-ic", icTraces, il, CONFIG);
      document.body.setAttribute("data-compare-start", start);
      document.body.setAttribute("data-compare-end", end);
    }

    startInput.addEventListener("change", function () { update("input"); });
    endInput.addEventListener("change", function () { update("input"); });
    for (var i = 0; i < boxes.length; i++) boxes[i].addEventListener("change", function () { update("factors"); });
    document.getElementById("compare-reset").addEventListener("click", function (e) { e.preventDefault(); update("reset"); });
    update("load");
  };

  /* Tables wider than their box say so (the sticky first column stays while the rest scrolls). */
  MR.markScrollers = function () {
    var boxes = document.querySelectorAll(".table-scroll");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      box.classList.toggle("scrolls", box.scrollWidth > box.clientWidth + 1);
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    MR.renderAll();
    if (window.MR_COMPARE) MR.compare(window.MR_COMPARE);
    MR.markScrollers();
    window.addEventListener("resize", MR.markScrollers);
  });
})();
