/* Mogi demo run page: the drawing pad: the trained weights run in this browser. See base.js for how the files fit together. */
(function () {
  "use strict";

  const R = window.MogiRun;
  if (!R) return;
  const { root, T, API, TERMINAL, COLORS, csrf, state, $, el, fmt, pct } = R;

  // ---- drawing pad -------------------------------------------------------------------------

  async function loadModels(count) {
    const models = [];
    for (let v = 0; v < count; v++) {
      const resp = await fetch(API + "/model?variant=" + v, { credentials: "same-origin" });
      if (!resp.ok) throw new Error(await R.problemText(resp));
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

  Object.assign(R, { loadModels, setupDrawing, predictDrawing, renderProbabilities });
})();
