/* Mogi demo run page: the finished result. See base.js for how the files fit together. */
(function () {
  "use strict";

  const R = window.MogiRun;
  if (!R) return;
  const { root, T, API, TERMINAL, COLORS, csrf, state, $, el, fmt, pct, say } = R;

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
    // A classifier's result has a confusion matrix, digits and weights to draw with; an
    // experiment that measures its own things has charts, tables and code instead.
    const classifier = runs.every((r) => Array.isArray(r.confusion_matrix));
    $("#classifier-result").hidden = !classifier;
    renderVariantPicker(classifier ? runs : []);
    renderLayerStats(runs);
    renderExtra(runs);
    renderCustom(runs);
    if (classifier) {
      selectVariant(0);
      R.setupDrawing(runs.length);
    }
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
        el("td", { text: fmt(r.train_time_s || r.wall_time_s, 2) + " " + T.seconds }),
        el("td", { text: fmt(r.params_count, 0) }),
      ]));
    });
    const first = runs[0] || {};
    const meta = $("#run-meta");
    meta.replaceChildren();
    // The same lines as the page the server renders for a finished run (result_page._meta).
    const items = [
      [T.device, [result.device || first.device, result.device_name || first.device_name].filter(Boolean).join(" · ")],
      [T.threads, threadsText(first)],
      [T.together, first.trained_together ? T.togetherN.replace("{n}", first.trained_together) : ""],
      [T.torch, result.torch_version || first.torch_version],
    ];
    for (const [k, v] of items) {
      if (!v) continue;
      meta.append(el("dt", { text: k }), el("dd", { text: v }));
    }
  }

  function threadsText(run) {
    if (!run.threads) return "";
    if ((run.thread_choice || {}).chosen !== "split") return String(run.threads);
    const how = run.split_by === "hidden_units" ? T.threadsSplitHidden : T.threadsSplitBatch;
    return how.replace("{n}", run.threads);
  }

  // ---- charts, tables and code of experiments that measure their own things ---------------

  function renderCustom(runs) {
    const box = $("#custom");
    box.replaceChildren();
    const first = runs[0] || {};
    const many = runs.length > 1;
    (first.charts || []).forEach((chart, c) => {
      box.append(customChart(runs.map((r) => (r.charts || [])[c]).filter(Boolean), many));
    });
    (first.tables || []).forEach((_, t) => {
      runs.forEach((r, v) => {
        const table = (r.tables || [])[t];
        if (table) box.append(customTable(table, many ? v : null));
      });
    });
    runs.forEach((r, v) => { if (r.code) box.append(codeBlock(r.code, many ? v : null)); });
    // Images (an RBM's filters and samples): the server drew them for a finished page; a run
    // that finished while watched draws them here.
    if (!$("#custom-images")) {
      runs.forEach((r, v) => (r.images || []).forEach((group) => box.append(imageGroup(group, many ? v : null))));
    }
    $("#custom-section").hidden = !box.childElementCount && !$("#custom-images");
  }

  function imageGroup(group, v) {
    const title = R.local(group.title);
    const prefix = v === null ? "" : ((state.variants[v] || {}).label || "") + " · ";
    const grid = el("div", { class: "image-grid" });
    for (const item of group.items || []) {
      const canvas = el("canvas", { width: "28", height: "28", "aria-label": title + ": " + item.label });
      MogiInfer.paintDigit(canvas, MogiInfer.samplePixels(item.pixels));
      grid.append(el("figure", {}, [canvas, el("figcaption", { text: String(item.label) })]));
    }
    return el("div", { class: "custom-images" }, [el("h3", { text: prefix + title }), grid]);
  }

  function variantHeading(v, title) {
    const label = v === null ? "" : (state.variants[v] || {}).label;
    return el("h3", {}, v === null ? [title] : [swatch(v), label + " · " + title]);
  }

  /** One chart per chart of the result; in a comparison each variant's series in its colour. */
  function customChart(charts, many) {
    const spec = charts[0];
    const figure = el("figure", { class: "custom-chart" });
    const box = el("div", { class: "chart-box", role: "img", "aria-label": R.local(spec.title) });
    figure.append(box);
    const lines = [];
    charts.forEach((chart, v) => chart.series.forEach((series, i) => {
      lines.push({ v: v, i: i, series: series });
    }));
    const xs = [...new Set(lines.flatMap((l) => l.series.x))].filter((x) => typeof x === "number")
      .sort((a, b) => a - b);
    const at = new Map(xs.map((x, i) => [x, i]));
    const data = [xs].concat(lines.map((l) => {
      const ys = new Array(xs.length).fill(null);
      l.series.x.forEach((x, k) => {
        const y = l.series.y[k];
        if (at.has(x) && typeof y === "number" && (!spec.log_y || y > 0)) ys[at.get(x)] = y;
      });
      return ys;
    }));
    const dash = { line: [], dashed: [6, 4], points: [2, 3] };
    const series = [{ label: R.local(spec.x) }].concat(lines.map((l) => ({
      label: (many ? (state.variants[l.v] || {}).label + " · " : "") + R.local(l.series.name),
      stroke: COLORS[(many ? l.v : l.i) % COLORS.length],
      width: l.series.style === "line" ? 2 : 1.5,
      dash: dash[l.series.style] || [],
      spanGaps: true,
      points: { show: l.series.style === "points" || l.series.x.length <= 12, size: 6 },
      value: (u, val) => (val === null || val === undefined ? "–" : fmt(val, 4)),
    })));
    const draw = () => {
      box.replaceChildren();
      if (typeof uPlot === "undefined") return;
      new uPlot({
        width: Math.max(240, Math.floor(box.getBoundingClientRect().width || 600)),
        height: 240,
        title: R.local(spec.title),
        scales: { x: { time: false, distr: spec.log_x ? 3 : 1 }, y: spec.log_y ? { distr: 3 } : {} },
        axes: [
          { label: R.local(spec.x), stroke: "currentColor", grid: { stroke: "rgba(127,127,127,.2)" } },
          { label: R.local(spec.y), stroke: "currentColor", grid: { stroke: "rgba(127,127,127,.2)" }, size: 56 },
        ],
        series: series,
        legend: { markers: { dash: (u, i) => (!u.series[i].dash || !u.series[i].dash.length ? "solid"
          : (u.series[i].dash[0] <= 2 ? "dotted" : "dashed")) } },
      }, data, box);
    };
    requestAnimationFrame(draw);
    return figure;
  }

  function customTable(table, v) {
    const percent = new Set(table.percent || []);
    const numbers = table.heatmap ? table.rows.flatMap((row) => row.slice(1))
      .filter((x) => typeof x === "number") : [];
    const low = Math.min(...numbers);
    const high = Math.max(...numbers);
    const head = el("tr", {}, table.columns.map((c) => el("th", { scope: "col", text: R.local(c) })));
    const body = table.rows.map((row) => el("tr", {}, row.map((cell, i) => {
      const attrs = { text: cellText(cell, percent.has(i)) };
      if (table.heatmap && i > 0 && typeof cell === "number" && high > low) {
        const share = (cell - low) / (high - low);
        attrs.style = "background: rgba(47, 91, 211, " + (0.08 + 0.8 * share).toFixed(3) + ")";
        if (share > 0.6) attrs.class = "strong";
      }
      return el(i === 0 ? "th" : "td", i === 0 ? Object.assign(attrs, { scope: "row" }) : attrs);
    })));
    return el("div", { class: "custom-table" }, [
      variantHeading(v, R.local(table.title)),
      el("div", { class: "table-scroll" }, [
        el("table", { class: "record-table" }, [el("thead", {}, [head]), el("tbody", {}, body)]),
      ]),
    ]);
  }

  function cellText(cell, percent) {
    if (cell === null || cell === undefined) return "–";
    if (typeof cell === "number" && percent) return pct(cell);
    if (typeof cell === "number") return Number.isInteger(cell) ? fmt(cell, 0) : formatStat(cell);
    if (typeof cell === "boolean") return R.display(cell);
    if (typeof cell === "object") return R.local(cell);
    return String(cell);
  }

  function codeBlock(code, v) {
    const marked = new Set(code.marked || []);
    const lines = code.source.split("\n").map((line, i) => el("span", {
      class: "code-line" + (marked.has(i + 1) ? " marked" : ""), text: line + "\n",
    }));
    const note = say(T.codeLines, { n: code.lines, b: code.backprop_lines || 0 });
    return el("div", { class: "custom-code" }, [
      variantHeading(v, R.local(code.title)),
      el("p", { class: "muted", text: note }),
      el("pre", { class: "code-listing" }, [el("code", {}, lines)]),
    ]);
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
    const label = $("#confusion-label");  // the server's caption; the picker names it now
    if (label) label.hidden = true;
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
          title: say(T.cellTitle, { t: t, p: p, n: count }),
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
        wrong ? el("span", { class: "truth", text: say(T.truthShort, { n: s.label }) }) : "",
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
    $("#samples-note").textContent = say(T.samplesNote, { m: mistakes, n: samples.length });
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
        parts.push(el("h4", { text: name }), el("div", { class: "table-scroll" }, [recordTable(v)]));
      } else if (Array.isArray(v)) {
        dl.append(el("dt", { text: name }), el("dd", { text: v.map((x) => formatValue(x, k)).join(", ") }));
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

  // Sizes in bytes (the device experiment's memory figures): shown in KiB or MiB.
  const BYTE_KEYS = new Set(["weights", "gradients", "optimizer_state", "activations",
    "saved_activations", "inputs", "total", "cuda_peak_step"]);

  function bytes(v) {
    if (Math.abs(v) >= 1 << 20) return fmt(v / (1 << 20), 2) + " MiB";
    if (Math.abs(v) >= 1 << 10) return fmt(v / (1 << 10), 1) + " KiB";
    return fmt(v, 0) + " B";
  }

  function formatValue(v, key) {
    if (v === null || v === undefined) return "–";
    if (typeof v === "number" && BYTE_KEYS.has(key)) return bytes(v);
    if (typeof v === "number" && /accuracy|fraction/.test(key || "") && v >= 0 && v <= 1) return pct(v);
    if (typeof v === "number") return Number.isInteger(v) ? fmt(v, 0) : formatStat(v);
    if (Array.isArray(v)) return v.map((x) => formatValue(x)).join(" × ");
    if (typeof v === "object") return Object.entries(v).map(([k, x]) => (T.metrics[k] || k) + ": "
      + formatValue(x, k)).join(", ");
    return R.display(v);
  }

  Object.assign(R, { renderCustom, resultsOf, showResult, renderSummary, swatch, renderVariantPicker, selectVariant, renderConfusion, renderSamples, numericKeys, renderLayerStats, layerName, drawLayerBars, formatStat, renderExtra, extraParts, recordTable, formatValue });
})();
