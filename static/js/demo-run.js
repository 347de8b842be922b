/* Mogi demo run page: status, live curves (SSE + uPlot), results and the drawing pad.
 *
 * The page is rendered with the run's id; everything else comes from the API:
 *   GET  /api/v1/demos/{id}          state, progress so far, result (without weights)
 *   GET  /api/v1/demos/{id}/events   server-sent events: queued, started, progress, finished...
 *   POST /api/v1/demos/{id}/cancel
 *   GET  /api/v1/demos/{id}/model?variant=i   the trained weights for demo-infer.js
 */
(function () {
  "use strict";

  const root = document.getElementById("demo-run");
  if (!root) return;
  const T = JSON.parse(document.getElementById("demo-run-text").textContent);
  const API = root.dataset.api;
  const TERMINAL = new Set(["finished", "failed", "cancelled"]);
  const COLORS = ["#2f5bd3", "#d3542f", "#1c9c6a", "#a23fc4"];
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  const state = {
    status: root.dataset.status || "queued",
    run: null,
    points: new Map(), // "variant|step|epoch" -> progress event (dedupes replays after reconnect)
    variants: [], // [{label, params}]
    source: null,
    retryMs: 1000,
    resultShown: false,
    attempt: 0,
    charts: [],
    models: [], // loaded inference models, by variant
  };
  window.MogiDemoRun = state; // read by the browser tests and handy in a console

  const $ = (sel) => root.querySelector(sel);
  const el = (tag, attrs, children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children || []) node.append(c);
    return node;
  };
  const fmt = (v, digits) => (v === null || v === undefined || Number.isNaN(v) ? "–"
    : Number(v).toLocaleString(document.documentElement.lang, { maximumFractionDigits: digits }));
  const pct = (v) => (v === null || v === undefined ? "–" : fmt(100 * v, 2) + "%");

  // ---- state from the API ------------------------------------------------------------------

  async function fetchRun() {
    const resp = await fetch(API, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!resp.ok) throw new Error(await problemText(resp));
    return resp.json();
  }

  async function problemText(resp) {
    try {
      const body = await resp.json();
      return body.detail || body.title || String(resp.status);
    } catch (_) {
      return String(resp.status);
    }
  }

  function applyRun(run) {
    state.run = run;
    state.variants = variantsOf(run);
    for (const event of run.progress || []) addPoint(event);
    if (!state.points.size && run.result) {
      // A run served from an identical stored run has no live events: draw the stored history.
      resultsOf(run.result).forEach((r, v) => {
        for (const e of r.history || []) addPoint(Object.assign({}, e, { variant: v, attempt: state.attempt }));
      });
    }
    setStatus(run.status, run.error);
    if (TERMINAL.has(run.status) && !state.points.size) $("#charts-empty").textContent = T.noProgress;
    redrawCharts();
    if (run.status === "finished" && run.result) showResult(run.result);
  }

  /** [{label, params}] for each trained variant: the parameters that differ name it. */
  function variantsOf(run) {
    const sets = run.compare && run.compare.length ? run.compare : [run.params || {}];
    const keys = new Set();
    for (const s of sets) for (const [k, v] of Object.entries(s)) {
      if (sets.some((o) => JSON.stringify(o[k]) !== JSON.stringify(v))) keys.add(k);
    }
    return sets.map((params, i) => ({
      params: params,
      label: keys.size ? [...keys].map((k) => k + "=" + display(params[k])).join(", ")
        : (sets.length > 1 ? "#" + (i + 1) : T.run),
    }));
  }

  function display(v) {
    return typeof v === "boolean" ? (v ? "on" : "off") : String(v);
  }

  // ---- status ------------------------------------------------------------------------------

  function setStatus(status, error) {
    state.status = status;
    root.dataset.status = status;
    const badge = $("#run-status");
    badge.textContent = T.status[status] || status;
    badge.className = "status-badge status-" + status;
    $("#run-loading").hidden = !(status === "queued" || status === "running") || state.points.size > 0;
    $("#run-loading-text").textContent = status === "queued" ? T.waiting : T.starting;
    const cancel = $("#run-cancel");
    if (cancel) cancel.hidden = TERMINAL.has(status);
    const problem = $("#run-problem");
    if (status === "failed" || status === "cancelled") {
      problem.hidden = false;
      problem.querySelector("h2").textContent = status === "failed" ? T.failedTitle : T.cancelledTitle;
      problem.querySelector("p").textContent = error || (status === "failed" ? T.failedNoReason : T.cancelledNoReason);
    }
  }

  // ---- live events -------------------------------------------------------------------------

  function openStream() {
    if (state.source || TERMINAL.has(state.status)) return;
    // Resume after what the page already has; EventSource's own reconnects send Last-Event-ID.
    const after = state.run && state.run.last_event_id ? "?after=" + state.run.last_event_id : "";
    const source = new EventSource(API + "/events" + after);
    state.source = source;
    for (const type of ["queued", "started", "progress", "finished", "failed", "cancelled"]) {
      source.addEventListener(type, (e) => onEvent(type, parse(e.data)));
    }
    source.onmessage = (e) => {
      const data = parse(e.data);
      onEvent(data.type || data.event || "progress", data);
    };
    source.onopen = () => { state.retryMs = 1000; };
    source.onerror = () => {
      // EventSource retries by itself while CONNECTING (Last-Event-ID resumes the stream);
      // a CLOSED one (an HTTP error) is ours to retry, after re-reading the state.
      if (source.readyState === EventSource.CLOSED) {
        state.source = null;
        setTimeout(resync, state.retryMs);
        state.retryMs = Math.min(state.retryMs * 2, 15000);
      }
    };
  }

  function parse(text) {
    try { return JSON.parse(text); } catch (_) { return {}; }
  }

  function closeStream() {
    if (state.source) state.source.close();
    state.source = null;
  }

  async function resync() {
    try {
      applyRun(await fetchRun());
    } catch (_) { /* offline for now: the next retry will tell */ }
    if (!TERMINAL.has(state.status)) openStream();
  }

  function onEvent(type, data) {
    if (type === "progress") {
      if (state.status !== "running") setStatus("running");
      if (addPoint(data)) redrawCharts();
      $("#run-loading").hidden = true;
    } else if (type === "started") {
      setStatus("running");
    } else if (type === "queued") {
      if (state.status !== "running") setStatus("queued");
    } else if (TERMINAL.has(type)) {
      closeStream();
      setStatus(type, data.error || data.reason || data.message);
      resync(); // the result (or the recorded reason) comes with the run itself
    }
  }

  function addPoint(event) {
    if (!event || event.epoch === undefined) return false;
    // A retried run starts over: only the newest attempt's curve is real.
    const attempt = event.attempt || 0;
    if (attempt < state.attempt) return false;
    if (attempt > state.attempt) {
      state.attempt = attempt;
      state.points.clear();
    }
    const variant = event.variant || 0;
    const key = variant + "|" + event.step + "|" + event.epoch;
    if (state.points.has(key)) return false;
    state.points.set(key, Object.assign({ variant: variant }, event));
    return true;
  }

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
    return state.variants.length > 1 ? state.variants[line.v].label + " · " + curve : curve;
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
      legend: { live: window.matchMedia("(hover: hover)").matches && lines.length <= 3 },
    };
    return new uPlot(opts, chartData(def, lines), box);
  }

  function redrawCharts() {
    if (typeof uPlot === "undefined" || !state.variants.length) return;
    // Empty axes say nothing: the charts appear with their first point.
    $("#charts").hidden = state.points.size === 0;
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

  // ---- result ------------------------------------------------------------------------------

  function resultsOf(result) {
    return result.variants && result.variants.length ? result.variants : [result];
  }

  function showResult(result) {
    if (state.resultShown) return;
    state.resultShown = true;
    const runs = resultsOf(result);
    $("#run-result").hidden = false;
    renderSummary(result, runs);
    renderVariantPicker(runs);
    renderLayerStats(runs);
    renderExtra(runs);
    selectVariant(0);
    setupDrawing(runs.length);
    root.dataset.result = "shown";
  }

  function renderSummary(result, runs) {
    const body = $("#summary-body");
    body.replaceChildren();
    runs.forEach((r, i) => {
      body.append(el("tr", {}, [
        el("th", { scope: "row" }, [swatch(i), (state.variants[i] || {}).label || T.run]),
        el("td", { text: pct(r.test_accuracy) }),
        el("td", { text: fmt(r.test_loss, 4) }),
        el("td", { text: fmt(r.train_time_s, 2) + " s" }),
        el("td", { text: fmt(r.params_count, 0) }),
      ]));
    });
    const first = runs[0] || {};
    const meta = $("#run-meta");
    meta.replaceChildren();
    const items = [
      [T.device, [result.device || first.device, result.device_name || first.device_name].filter(Boolean).join(" · ")],
      [T.torch, result.torch_version || first.torch_version],
      [T.params, formatParams(state.run && state.run.params)],
    ];
    for (const [k, v] of items) {
      if (!v) continue;
      meta.append(el("dt", { text: k }), el("dd", { text: v }));
    }
  }

  function formatParams(params) {
    if (!params) return "";
    return Object.entries(params).map(([k, v]) => k + "=" + display(v)).join(", ");
  }

  function swatch(i) {
    return el("span", { class: "swatch", style: "background:" + COLORS[i % COLORS.length], "aria-hidden": "true" });
  }

  function renderVariantPicker(runs) {
    const picker = $("#variant-picker");
    picker.hidden = runs.length < 2;
    picker.replaceChildren();
    runs.forEach((_, i) => {
      const button = el("button", {
        type: "button", class: "variant-tab", role: "tab", "aria-selected": i === 0 ? "true" : "false",
        "data-variant": String(i),
      }, [swatch(i), (state.variants[i] || {}).label || "#" + (i + 1)]);
      button.addEventListener("click", () => selectVariant(i));
      picker.append(button);
    });
    picker.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      const tabs = [...picker.querySelectorAll("button")];
      const at = tabs.indexOf(document.activeElement);
      const next = tabs[(at + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      next.focus();
      next.click();
    });
  }

  function selectVariant(index) {
    const runs = resultsOf(state.run.result);
    const run = runs[index] || runs[0];
    for (const b of root.querySelectorAll("#variant-picker button")) {
      b.setAttribute("aria-selected", b.dataset.variant === String(index) ? "true" : "false");
    }
    renderConfusion(run.confusion_matrix || []);
    renderSamples(run.samples || []);
  }

  function renderConfusion(matrix) {
    const table = $("#confusion");
    table.replaceChildren();
    if (!matrix.length) return;
    const head = el("tr", {}, [el("th", { scope: "col", class: "corner", text: T.trueVsPred })]);
    for (let p = 0; p < matrix.length; p++) head.append(el("th", { scope: "col", text: String(p) }));
    table.append(el("thead", {}, [head]));
    const body = el("tbody");
    matrix.forEach((row, t) => {
      const total = row.reduce((a, b) => a + b, 0) || 1;
      const tr = el("tr", {}, [el("th", { scope: "row", text: String(t) })]);
      row.forEach((count, p) => {
        const share = count / total;
        const hue = p === t ? "28, 124, 70" : "179, 38, 30";
        const alpha = count === 0 ? 0 : Math.max(0.08, p === t ? share : Math.min(1, share * 4));
        tr.append(el("td", {
          text: String(count),
          class: (p === t ? "diag" : "off") + (alpha > 0.55 ? " strong" : ""),
          style: "background: rgba(" + hue + ", " + alpha.toFixed(3) + ")",
          title: T.cellTitle.replace("{t}", t).replace("{p}", p).replace("{n}", count),
        }));
      });
      body.append(tr);
    });
    table.append(body);
  }

  function renderSamples(samples) {
    const grid = $("#samples");
    grid.replaceChildren();
    const ordered = samples.slice().sort((a, b) => (a.label === a.prediction) - (b.label === b.prediction));
    for (const s of ordered) {
      const wrong = s.label !== s.prediction;
      const canvas = el("canvas", { width: "28", height: "28", "aria-hidden": "true" });
      MogiInfer.paintDigit(canvas, MogiInfer.samplePixels(s.pixels));
      const conf = s.probabilities ? s.probabilities[s.prediction] : null;
      const caption = el("figcaption", {}, [
        el("span", { class: "guess", text: String(s.prediction) }),
        wrong ? el("span", { class: "truth", text: T.truthShort.replace("{n}", s.label) }) : "",
      ]);
      grid.append(el("figure", {
        class: "digit" + (wrong ? " wrong" : ""),
        role: "img",
        "aria-label": T.sampleLabel.replace("{t}", s.label).replace("{p}", s.prediction)
          + (conf === null ? "" : " (" + pct(conf) + ")"),
        title: conf === null ? null : pct(conf),
      }, [canvas, caption]));
    }
    const mistakes = samples.filter((s) => s.label !== s.prediction).length;
    $("#samples-note").textContent = T.samplesNote.replace("{m}", mistakes).replace("{n}", samples.length);
  }

  // ---- per-layer statistics ----------------------------------------------------------------

  function numericKeys(stats) {
    const keys = [];
    for (const s of stats) for (const [k, v] of Object.entries(s)) {
      if (typeof v === "number" && !keys.includes(k) && k !== "index") keys.push(k);
    }
    return keys;
  }

  function renderLayerStats(runs) {
    const section = $("#layer-stats-section");
    const sources = { after: runs.map((r) => r.layer_stats || []) };
    if (runs.some((r) => r.extra && Array.isArray(r.extra.initial_layer_stats))) {
      sources.before = runs.map((r) => (r.extra && r.extra.initial_layer_stats) || []);
    }
    const sourceSelect = $("#layer-source");
    $("#layer-source-wrap").hidden = !sources.before;
    const select = $("#layer-metric");
    const fill = () => {
      const all = sources[sourceSelect.value] || sources.after;
      const keys = numericKeys(all.flat());
      const previous = select.value;
      select.replaceChildren(...keys.map((k) => el("option", { value: k, text: T.metrics[k] || k })));
      select.value = keys.includes(previous) ? previous : (keys.includes("grad_norm") ? "grad_norm" : keys[0]);
      return { all: all, keys: keys };
    };
    const draw = () => {
      const { all, keys } = fill();
      if (keys.length) drawLayerBars(all, select.value);
    };
    if (!numericKeys(sources.after.flat()).length && !sources.before) { section.hidden = true; return; }
    section.hidden = false;
    sourceSelect.onchange = draw;
    select.onchange = () => drawLayerBars(sources[sourceSelect.value] || sources.after, select.value);
    $("#layer-log").onchange = select.onchange;
    draw();
  }

  function layerName(s, i) {
    return s.name || s.layer || "#" + (i + 1);
  }

  function drawLayerBars(all, key) {
    const box = $("#layer-stats");
    box.replaceChildren();
    const values = all.flat().map((s) => s[key]).filter((v) => typeof v === "number");
    const positive = values.filter((v) => v > 0);
    const max = Math.max(...values.map(Math.abs), 0) || 1;
    const min = positive.length ? Math.min(...positive) : 1;
    const logBox = $("#layer-log");
    // Gradients that vanish span orders of magnitude: only a log axis shows the early layers.
    if (logBox.dataset.touched !== "1") logBox.checked = positive.length === values.length && max / min > 100;
    logBox.onclick = () => { logBox.dataset.touched = "1"; };
    const useLog = logBox.checked && positive.length === values.length;
    const lo = Math.log10(min) - 0.5;
    const span = Math.log10(max) - lo || 1;
    const width = (v) => (useLog ? (Math.log10(Math.max(v, min)) - lo) / span : Math.abs(v) / max);
    const rows = Math.max(...all.map((a) => a.length));
    for (let i = 0; i < rows; i++) {
      const name = layerName((all.find((a) => a[i]) || [])[i] || {}, i);
      const bars = el("div", { class: "bars" });
      all.forEach((stats, v) => {
        const s = stats[i];
        if (!s || typeof s[key] !== "number") return;
        bars.append(el("div", { class: "bar-row" }, [
          el("span", {
            class: "bar", style: "width:" + Math.max(0.5, 100 * width(s[key])).toFixed(2)
              + "%;background:" + COLORS[v % COLORS.length],
          }),
          el("span", { class: "bar-value", text: formatStat(s[key]) }),
        ]));
      });
      box.append(el("div", { class: "layer-row" }, [el("span", { class: "layer-name", text: name }), bars]));
    }
    $("#layer-legend").hidden = all.length < 2;
  }

  function formatStat(v) {
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : fmt(v, 4);
  }

  function renderExtra(runs) {
    const box = $("#extra");
    box.replaceChildren();
    runs.forEach((r, i) => {
      const extra = Object.assign({}, r.extra || {});
      delete extra.initial_layer_stats; // drawn with the per-layer statistics
      const parts = extraParts(extra);
      if (!parts.length) return;
      const heading = runs.length > 1 ? el("h3", {}, [swatch(i), (state.variants[i] || {}).label]) : "";
      box.append(el("div", { class: "extra-variant" }, [heading].concat(parts)));
    });
    $("#extra-section").hidden = !box.childElementCount;
  }

  /** Scalars as a definition list; lists of records as tables; one level of nesting. */
  function extraParts(extra, prefix) {
    const parts = [];
    const dl = el("dl", { class: "meta" });
    for (const [k, v] of Object.entries(extra)) {
      const name = (prefix ? prefix + " · " : "") + (T.metrics[k] || k);
      if (Array.isArray(v) && v.length && v.every((row) => row && typeof row === "object" && !Array.isArray(row))) {
        parts.push(el("h4", { text: name }), recordTable(v));
      } else if (Array.isArray(v)) {
        dl.append(el("dt", { text: name }), el("dd", { text: v.map(formatValue).join(", ") }));
      } else if (v && typeof v === "object") {
        parts.push(...extraParts(v, name));
      } else {
        dl.append(el("dt", { text: name }), el("dd", { text: formatValue(v, k) }));
      }
    }
    if (dl.childElementCount) parts.unshift(dl);
    return parts;
  }

  function recordTable(rows) {
    const keys = [];
    for (const row of rows) for (const k of Object.keys(row)) if (!keys.includes(k)) keys.push(k);
    const head = el("tr", {}, keys.map((k) => el("th", { scope: "col", text: T.metrics[k] || k })));
    const body = rows.map((row) => el("tr", {}, keys.map((k) => el("td", { text: formatValue(row[k], k) }))));
    return el("table", { class: "record-table" }, [el("thead", {}, [head]), el("tbody", {}, body)]);
  }

  function formatValue(v, key) {
    if (v === null || v === undefined) return "–";
    if (typeof v === "number" && /accuracy|fraction/.test(key || "") && v >= 0 && v <= 1) return pct(v);
    if (typeof v === "number") return Number.isInteger(v) ? fmt(v, 0) : formatStat(v);
    if (Array.isArray(v)) return v.map(formatValue).join(" × ");
    if (typeof v === "object") return JSON.stringify(v);
    return display(v);
  }

  // ---- drawing pad -------------------------------------------------------------------------

  async function loadModels(count) {
    const models = [];
    for (let v = 0; v < count; v++) {
      const resp = await fetch(API + "/model?variant=" + v, { credentials: "same-origin" });
      if (!resp.ok) throw new Error(await problemText(resp));
      const body = await resp.json();
      models.push(MogiInfer.loadModel(body.inference || body));
    }
    return models;
  }

  function setupDrawing(count) {
    const section = $("#draw-section");
    const canvas = $("#draw-canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const status = $("#draw-status");
    let drawing = false;
    let last = null;
    let pending = false;

    section.hidden = false;
    status.textContent = T.loadingModel;
    loadModels(count).then((models) => {
      state.models = models;
      status.textContent = T.drawHint;
      canvas.dataset.ready = "1";
      renderProbabilities(null);
    }).catch((err) => {
      status.textContent = T.modelFailed + " " + err.message;
    });

    const pos = (e) => {
      const r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * (canvas.width / r.width), (e.clientY - r.top) * (canvas.height / r.height)];
    };
    const stroke = (to) => {
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.lineWidth = canvas.width / 14;
      ctx.strokeStyle = "#000";
      ctx.beginPath();
      ctx.moveTo(last[0], last[1]);
      ctx.lineTo(to[0] + 0.01, to[1]);
      ctx.stroke();
      last = to;
    };
    const schedule = () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; predictDrawing(); });
    };
    canvas.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      drawing = true;
      last = pos(e);
      stroke(last);
      schedule();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      e.preventDefault();
      stroke(pos(e));
      schedule();
    });
    const end = () => { if (drawing) { drawing = false; schedule(); } };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    $("#draw-clear").addEventListener("click", () => {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      renderProbabilities(null);
      MogiInfer.paintDigit($("#draw-preview"), new Float64Array(784));
      canvas.focus();
    });
    canvas.addEventListener("keydown", (e) => {
      if (e.key === "Delete" || e.key === "Backspace" || e.key === "Escape") $("#draw-clear").click();
    });
  }

  function predictDrawing() {
    if (!state.models.length) return;
    const canvas = $("#draw-canvas");
    const img = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    const pixels = MogiInfer.toMnist(MogiInfer.inkFromImageData(img), img.width, img.height);
    if (!pixels) { renderProbabilities(null); return; }
    MogiInfer.paintDigit($("#draw-preview"), pixels);
    const started = performance.now();
    const probs = state.models.map((m) => MogiInfer.predict(m, pixels));
    state.lastInferenceMs = performance.now() - started;
    renderProbabilities(probs);
  }

  function renderProbabilities(all) {
    const box = $("#draw-probs");
    box.replaceChildren();
    const count = state.models.length || 1;
    for (let d = 0; d < 10; d++) {
      const bars = el("div", { class: "bars" });
      for (let v = 0; v < count; v++) {
        const p = all ? all[v][d] : 0;
        bars.append(el("div", { class: "bar-row" }, [
          el("span", { class: "bar", style: "width:" + (100 * p).toFixed(1) + "%;background:" + COLORS[v % COLORS.length] }),
          el("span", { class: "bar-value", text: all ? pct(p) : "" }),
        ]));
      }
      const top = all && all.some((ps) => ps.indexOf(Math.max(...ps)) === d);
      box.append(el("div", { class: "layer-row prob-row" + (top ? " top" : "") }, [
        el("span", { class: "layer-name digit-label", text: String(d) }), bars]));
    }
    box.dataset.filled = all ? "1" : "0";
    const guess = $("#draw-guess");
    if (!all) { guess.textContent = ""; return; }
    guess.textContent = all.map((ps, v) => {
      const best = ps.indexOf(Math.max(...ps));
      const who = count > 1 ? (state.variants[v] || {}).label + ": " : "";
      return who + T.guess.replace("{d}", best).replace("{p}", pct(ps[best]));
    }).join(" · ");
  }

  // ---- cancel ------------------------------------------------------------------------------

  const cancelButton = $("#run-cancel");
  if (cancelButton) {
    cancelButton.addEventListener("click", async () => {
      cancelButton.disabled = true;
      const resp = await fetch(API + "/cancel", {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, Accept: "application/json" },
      });
      if (!resp.ok && resp.status !== 409) {
        cancelButton.disabled = false;
        $("#run-notice").textContent = await problemText(resp);
        return;
      }
      $("#run-notice").textContent = T.cancelling;
      if (!state.source) resync();
    });
  }

  // ---- start -------------------------------------------------------------------------------

  fetchRun().then((run) => {
    applyRun(run);
    openStream();
  }).catch((err) => {
    $("#run-loading").hidden = true;
    $("#run-notice").textContent = T.loadFailed + " " + err.message;
    setTimeout(resync, 3000);
  });
})();
