/* Mogi demo run page, shared context: the page's state, its text, and small DOM helpers.
 *
 * The page is split by concern, each file adding its functions to window.MogiRun:
 *   base.js     state, text, helpers, how variants and values are named
 *   live.js     the run's state from the API, its status, progress and event stream
 *   charts.js   live training curves (uPlot)
 *   results.js  the finished result: summary, confusion matrix, digits, layer statistics,
 *               and the charts, tables and code of experiments that measure their own things
 *   draw.js     the drawing pad (the trained model runs in the browser, demo-infer.js)
 *   main.js     cancel, and start
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

  /** A text with {name} filled in; in English, {n|run is|runs are} agrees with the number n. */
  function say(template, values) {
    return template
      .replace(/\{(\w+)\|([^|}]*)\|([^}]*)\}/g, (_m, k, one, many) =>
        `{${k}} ${Number(values[k]) === 1 ? one : many}`)
      .replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
  }


  /** A parameter value as a person reads it: "Sigmoid", "on", "auto", 0.01. */
  function display(v, name) {
    if (v === null || v === undefined) return T.auto;
    if (typeof v === "boolean") return v ? T.on : T.off;
    if (typeof v === "string") return (T.values && T.values[v]) || v;
    if (typeof v === "number") return fmt(v, 6);
    return String(v);
  }

  /** A parameter's title in the page's language. */
  function paramLabel(name) {
    return (T.params && T.params[name]) || name;
  }

  /** A {ko, en} label (charts and tables of results) in the page's language. */
  function local(label) {
    if (label && typeof label === "object" && !Array.isArray(label)) {
      return label[document.documentElement.lang === "en" ? "en" : "ko"] || label.en || "";
    }
    return label === null || label === undefined ? "" : String(label);
  }

  window.MogiRun = {
    root: root, T: T, API: API, TERMINAL: TERMINAL, COLORS: COLORS, csrf: csrf, state: state,
    $: $, el: el, fmt: fmt, pct: pct, say: say, display: display, paramLabel: paramLabel, local: local,
  };
})();
