/* Mogi demo run page: the run's state from the API, its status, progress, queue place and
 * event stream. See base.js for how the files fit together. */
(function () {
  "use strict";

  const R = window.MogiRun;
  if (!R) return;
  const { root, T, API, TERMINAL, COLORS, csrf, state, $, el, fmt, pct, say } = R;

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
    for (const event of run.progress || []) { addPoint(event); noteProgress(event); }
    if (!state.points.size && run.result) {
      // A run served from an identical stored run has no live events: draw the stored history.
      R.resultsOf(run.result).forEach((r, v) => {
        for (const e of r.history || []) addPoint(Object.assign({}, e, { variant: v, attempt: state.attempt }));
      });
    }
    setStatus(run.status, run.error);
    if (TERMINAL.has(run.status) && !state.points.size) $("#charts-empty").textContent = T.noProgress;
    R.redrawCharts();
    if (run.status === "finished" && run.result) R.showResult(run.result);
  }

  /** [{label, params}] for each trained variant: the parameters that differ name it. */
  function variantsOf(run) {
    const sets = run.compare && run.compare.length ? run.compare : [run.params || {}];
    const keys = new Set();
    for (const s of sets) for (const [k, v] of Object.entries(s)) {
      if (sets.some((o) => JSON.stringify(o[k]) !== JSON.stringify(v))) keys.add(k);
    }
    // One varied parameter: its value alone ("Sigmoid"); several: "title: value" pairs.
    const name = (params) => (keys.size === 1 ? R.display(params[[...keys][0]])
      : [...keys].map((k) => R.paramLabel(k) + ": " + R.display(params[k])).join(", "));
    return sets.map((params, i) => ({
      params: params,
      label: keys.size ? name(params) : (sets.length > 1 ? "#" + (i + 1) : T.run),
    }));
  }

  // ---- progress, time left, place in the queue -------------------------------------------

  /** While queued or running, re-read the run now and then: its place moves as others finish,
   *  and a run whose worker is gone says it waits for one (the stream itself goes quiet). */
  function pollQueue() {
    if (state.queuePoll) return;
    state.queuePoll = setInterval(async () => {
      if (state.status !== "queued" && state.status !== "running") {
        clearInterval(state.queuePoll); state.queuePoll = null; return;
      }
      try {
        const run = await fetchRun();
        if (state.run) {
          state.run.queue_position = run.queue_position;
          state.run.waiting_for_worker = run.waiting_for_worker;
        }
        renderProgress();
      } catch (_) { /* the stream's own retries tell when the server is back */ }
    }, 5000);
  }

  /** Record how much of the whole run an event says is done. */
  function noteProgress(event) {
    if (!event || typeof event.progress !== "number") return;
    // `overall` is the share of the whole job (variants may train together or in turn).
    const count = Math.max(1, state.variants.length);
    const overall = typeof event.overall === "number"
      ? event.overall : ((event.variant || 0) + event.progress) / count;
    if (state.done === undefined || overall > state.done) state.done = overall;
  }

  function renderProgress() {
    const line = $("#run-progress");
    if (!line) return;
    const run = state.run || {};
    let text = "";
    if (state.status === "queued" || state.status === "running") pollQueue();
    if ((state.status === "queued" || state.status === "running") && run.waiting_for_worker) {
      text = T.noWorker;
    } else if (state.status === "queued") {
      const ahead = run.queue_position;
      text = typeof ahead === "number"
        ? (ahead === 0 ? T.queueNext : say(T.queueAhead, { n: ahead })) : T.waiting;
    } else if (state.status === "running") {
      const done = state.done;
      if (typeof done === "number") {
        text = T.percentDone.replace("{p}", Math.floor(100 * done));
        // Time left from the pace seen on this page (a reload starts measuring again).
        const first = state.firstSeen || (state.firstSeen = { t: performance.now(), f: done });
        const seconds = (performance.now() - first.t) / 1000;
        const rate = (done - first.f) / Math.max(seconds, 1e-3);
        if (rate > 0 && seconds > 1.5) {
          const left = Math.max(1, Math.round((1 - done) / rate));
          text += " · " + T.timeLeft.replace("{s}", left);
        }
        const bar = $("#run-progress-bar");
        if (bar) { bar.hidden = false; bar.value = done; }
      }
    }
    if (run.cached_from && state.status === "finished") {
      // In the user's chosen zone, as the server writes every other time.
      const when = run.cached_from_at ? new Date(run.cached_from_at).toLocaleTimeString(
        document.documentElement.lang,
        { hour: "2-digit", minute: "2-digit", timeZone: root.dataset.timeZone || undefined }) : "";
      text = T.cachedFrom.replace("{id}", run.cached_from).replace("{t}", when);
    }
    line.textContent = text;
    line.hidden = !text;
    root.dataset.progress = text;
  }


  // ---- status ------------------------------------------------------------------------------

  function setStatus(status, error) {
    state.status = status;
    if (TERMINAL.has(status)) {
      const bar = $("#run-progress-bar");
      if (bar) bar.hidden = true;
    }
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
    renderProgress();
  }

  // ---- live events -------------------------------------------------------------------------

  function openStream() {
    if (state.source || TERMINAL.has(state.status)) return;
    // Resume after what the page already has; EventSource's own reconnects send Last-Event-ID.
    const after = state.run && state.run.last_event_id ? "?after=" + state.run.last_event_id : "";
    const source = new EventSource(API + "/events" + after);
    state.source = source;
    for (const type of ["queued", "requeued", "started", "progress", "finished", "failed", "cancelled"]) {
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
      if (addPoint(data)) R.redrawCharts();
      noteProgress(data);
      $("#run-loading").hidden = true;
      renderProgress();
    } else if (type === "started") {
      setStatus("running");
    } else if (type === "queued" || type === "requeued") {
      if (state.status !== "running" || type === "requeued") setStatus("queued");
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

  Object.assign(R, { renderProgress, fetchRun, problemText, applyRun, variantsOf, setStatus, openStream, parse, closeStream, resync, onEvent, addPoint });
})();
