/* Mogi demo run page: live training curves: one chart per quantity, one line per variant and curve. See base.js for how the files fit together. */
(function () {
  "use strict";

  const R = window.MogiRun;
  if (!R) return;
  const { root, T, API, TERMINAL, COLORS, csrf, state, $, el, fmt, pct } = R;

  // ---- charts ------------------------------------------------------------------------------

  // One chart per quantity; within it one line per (variant, curve). Train curves are solid,
  // validation dashed, test dotted with points (they come once per epoch).
  const CHARTS = [
    {
      box: "#chart-loss", title: () => T.loss, percent: false,
      curves: [["loss", "train", []], ["val_loss", "validation", [6, 4]], ["test_loss", "test", [2, 3]]],
    },
    {
      box: "#chart-accuracy", title: () => T.accuracy, percent: true,
      curves: [["train_accuracy", "train", []], ["val_accuracy", "validation", [6, 4]],
        ["test_accuracy", "test", [2, 3]]],
    },
    {
      box: "#chart-monitors", title: () => T.monitors, percent: false, optional: true,
      curves: [["cross_entropy", "cross_entropy", []], ["bce", "bce", [6, 4]], ["mse", "mse", [2, 3]]],
    },
    {
      // The gradient reaching each layer, step by step: vanishing gradients as they happen.
      box: "#chart-grads", title: () => T.gradNorms, percent: false, optional: true, log: true,
      curves: gradientCurves,
    },
  ];

  /** One curve per layer for a single run; the first layer only when comparing runs. */
  function gradientCurves() {
    const layers = [];
    for (const p of state.points.values()) {
      for (const k of Object.keys(p.grad_norms || {})) if (!layers.includes(k)) layers.push(k);
    }
    const shown = state.variants.length > 1 ? layers.slice(0, 1) : layers;
    return shown.map((k, i) => ["grad_norms." + k, k, [], shown.length > 1 ? i / (shown.length - 1) : null]);
  }

  function valueOf(point, key) {
    if (!key.includes(".")) return point[key];
    const [outer, inner] = key.split(".", 2);
    return point[outer] ? point[outer][inner] : undefined;
  }

  // Early layers light, late layers dark, so depth reads at a glance.
  function depthColor(t) {
    return "hsl(" + Math.round(190 + 60 * t) + ", 75%, " + Math.round(72 - 45 * t) + "%)";
  }

  function present(def) {
    const out = [];
    const curves = typeof def.curves === "function" ? def.curves() : def.curves;
    for (let v = 0; v < Math.max(1, state.variants.length); v++) {
      for (const [key, name, dash, shade] of curves) {
        for (const p of state.points.values()) {
          if (p.variant === v && typeof valueOf(p, key) === "number") {
            out.push({ v: v, key: key, name: name, dash: dash, shade: shade === undefined ? null : shade });
            break;
          }
        }
      }
    }
    return out;
  }

  function chartData(def, lines) {
    const byX = new Map();
    for (const p of state.points.values()) {
      const x = Number(p.epoch);
      if (!Number.isFinite(x)) continue;
      if (!byX.has(x)) byX.set(x, new Array(lines.length).fill(null));
      lines.forEach((line, i) => {
        let y = valueOf(p, line.key);
        if (def.log && !(y > 0)) y = null; // a log axis has no place for 0
        if (p.variant === line.v && typeof y === "number") byX.get(x)[i] = def.percent ? 100 * y : y;
      });
    }
    const xs = [...byX.keys()].sort((a, b) => a - b);
    return [xs].concat(lines.map((_, i) => xs.map((x) => byX.get(x)[i])));
  }

  function chartWidth(box) {
    return Math.max(240, Math.floor(box.getBoundingClientRect().width || 600));
  }

  function lineLabel(line) {
    const curve = T.curves[line.name] || line.name;
    if (state.variants.length < 2) return curve;
    // A comparison: the variant names its colour ("Sigmoid"); the line style says train or test
    // (the key under the charts), so only the other curves add their name.
    const variant = state.variants[line.v].label;
    return line.name === "train" ? variant : variant + " (" + curve + ")";
  }

  function makeChart(def, lines) {
    const box = $(def.box);
    box.replaceChildren();
    const series = [{ label: T.epoch, value: (u, x) => (x === null || x === undefined ? "–" : fmt(x, 2)) }]
      .concat(lines.map((line) => ({
        label: lineLabel(line),
        stroke: line.shade === null ? COLORS[line.v % COLORS.length] : depthColor(line.shade),
        width: line.dash.length ? 1.5 : 2,
        dash: line.dash,
        spanGaps: true,
        points: { show: line.name === "test" || (def.log ? false : undefined), size: 6 },
        value: (u, val) => (val === null || val === undefined ? "–" : fmt(val, 4)),
      })));
    const opts = {
      width: chartWidth(box),
      height: 240,
      title: def.title(),
      scales: { x: { time: false }, y: def.log ? { distr: 3 } : {} },
      axes: [
        { label: T.epoch, stroke: "currentColor", grid: { stroke: "rgba(127,127,127,.2)" } },
        { stroke: "currentColor", grid: { stroke: "rgba(127,127,127,.2)" }, size: 56 },
      ],
      series: series,
      // Values on hover only with a pointer; a short legend keeps a 4-way comparison readable.
      legend: {
        live: window.matchMedia("(hover: hover)").matches && lines.length <= 3,
        // The swatch drawn in the line's own style: solid train, dashed validation, dotted test.
        markers: { dash: (u, i) => markerStyle(u.series[i].dash) },
      },
    };
    return new uPlot(opts, chartData(def, lines), box);
  }

  function markerStyle(dash) {
    if (!dash || !dash.length) return "solid";
    return dash[0] <= 2 ? "dotted" : "dashed";
  }

  function redrawCharts() {
    if (typeof uPlot === "undefined" || !state.variants.length) return;
    // Empty axes say nothing: the charts appear with their first point.
    $("#charts").hidden = state.points.size === 0;
    // The server's drawing of a finished run gives way to the interactive charts.
    const drawn = $("#charts-static");
    if (drawn && state.points.size > 0) drawn.hidden = true;
    $("#charts-empty").hidden = state.points.size > 0;
    if (!state.points.size) {
      $("#charts").dataset.points = "0";
      return;
    }
    let points = 0;
    for (const def of CHARTS) {
      const lines = present(def);
      const box = $(def.box);
      if (def.optional) box.hidden = lines.length === 0;
      const signature = lines.map((l) => l.v + ":" + l.key).join(",");
      if (!lines.length && def.optional) continue;
      if (!def.chart || def.signature !== signature) {
        if (def.chart) def.chart.destroy();
        def.chart = makeChart(def, lines);
        def.signature = signature;
        def.lines = lines;
      } else {
        def.chart.setData(chartData(def, lines));
      }
      points = Math.max(points, def.chart.data[0].length);
    }
    state.charts = CHARTS.map((d) => d.chart).filter(Boolean);
    if (!state.resizeObserver) {
      state.resizeObserver = new ResizeObserver(() => {
        for (const def of CHARTS) {
          if (def.chart) def.chart.setSize({ width: chartWidth($(def.box)), height: 240 });
        }
      });
      state.resizeObserver.observe($("#charts"));
    }
    $("#charts").dataset.points = String(points);
  }

  Object.assign(R, { gradientCurves, valueOf, depthColor, present, chartData, chartWidth, lineLabel, makeChart, redrawCharts });
})();
