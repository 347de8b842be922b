// Mogi practice session: keyboard and in-place updates over the REST API.
// Without this script every action is a plain form post; with it, actions go to
// /api/v1 (cookie + X-CSRF-Token) and the server-rendered card fragment is swapped in.
(() => {
  "use strict";
  const root = document.getElementById("practice-root");
  if (!root) return;
  const sessionId = Number(root.dataset.session);
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  let shownAt = performance.now();
  let busy = false;
  let timer = null;

  const card = () => root.querySelector("#practice-card");
  const revealed = () => card()?.dataset.revealed === "true";
  const say = (text) => {
    const status = root.querySelector("#practice-status");
    if (status) status.textContent = text;
  };

  async function api(path, body, extraHeaders, method) {
    const response = await fetch(`/api/v1${path}`, {
      method: method || "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRF-Token": csrf,
        ...(extraHeaders || {}),
      },
      body: JSON.stringify(body ?? {}),
    });
    if (!response.ok) {
      let detail = `${response.status} ${response.statusText}`;
      try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
      const error = new Error(detail);
      error.status = response.status;
      error.retryAfter = Number(response.headers.get("Retry-After")) || 1;
      throw error;
    }
    return response.status === 204 ? null : response.json();
  }

  async function refresh() {
    const response = await fetch(`/practice/sessions/${sessionId}?fragment=card`, {
      credentials: "same-origin",
      headers: { "Accept": "text/html" },
    });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    const unsaved = unsavedNote();
    root.innerHTML = await response.text();
    // A note typed but not yet saved outlives the card being redrawn (a flag, a mark).
    const note = root.querySelector("#card-note-body");
    if (unsaved && note && card()?.dataset.question === unsaved.question) note.value = unsaved.text;
    shownAt = performance.now();
    startTimer();
    const heading = root.querySelector(".question-title, .session-done h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: false });
    }
  }

  function unsavedNote() {
    const note = root.querySelector("#card-note-body");
    if (!note || note.value === note.defaultValue) return null;
    return { question: card()?.dataset.question, text: note.value };
  }

  async function run(action) {
    if (busy) return;
    busy = true;
    root.setAttribute("aria-busy", "true");
    try {
      await action();
      await refresh();
    } catch (error) {
      say(error.message);
    } finally {
      busy = false;
      root.removeAttribute("aria-busy");
    }
  }

  function reveal() {
    const text = root.querySelector("#answer-text")?.value.trim() || null;
    return run(() => api(`/sessions/${sessionId}/reveal`, { answer_text: text }));
  }

  function grade(rating) {
    const question = card()?.dataset.question;
    if (!question) return Promise.resolve();
    const duration = Math.round(performance.now() - shownAt);
    const body = { question, rating, session: sessionId, duration_ms: Math.min(duration, 86400000) };
    // One key per card shown: a retry after a dropped connection (or a second press) is
    // answered with the first response and never records a second grade.
    const key = root.querySelector('#grade-form input[name="idempotency_key"]')?.value;
    return run(() => withRetry(() => api("/reviews", body, key ? { "Idempotency-Key": key } : {})));
  }

  // fetch rejects (TypeError) when no response came: the request may or may not have
  // arrived. With an Idempotency-Key it is safe to send it again, as it is after a 503
  // (the server was busy or its database away) or a 409 (the first try is still running).
  async function withRetry(send) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const retryable = error instanceof TypeError || error.status === 503 || error.status === 409;
        if (!retryable || attempt >= 2) throw error;
        const wait = error.retryAfter ? Math.min(error.retryAfter, 5) * 1000 : 500 * (attempt + 1);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  function undo() {
    if (!root.querySelector("#undo-form")) return Promise.resolve();
    return run(() => api("/reviews/undo", { session: sessionId }));
  }

  function skip() {
    const question = card()?.dataset.question;
    if (!question) return Promise.resolve();
    return run(() => api(`/sessions/${sessionId}/skip`, { question }));
  }

  // The marks each card button sets; suspending or burying moves the session on.
  const MARKS = {
    suspend: { suspended: true },
    bury: { buried: true },
    flag: { flagged: true },
    unflag: { flagged: false },
  };

  function mark(action) {
    const question = card()?.dataset.question;
    if (!question || !MARKS[action]) return Promise.resolve();
    return run(() => api(`/questions/${question}/card-status`, MARKS[action], {}, "PATCH"));
  }

  function toggleFlag() {
    const button = root.querySelector("#flag-button");
    if (button) return mark(button.value);
    return Promise.resolve();
  }

  // The note on a card's back saves in place: the card, and what was typed, stay as they are.
  async function saveNote(form) {
    const body = form.querySelector("textarea").value;
    const error = form.querySelector("#card-note-error");
    const max = Number(form.dataset.max);
    const show = (text) => { error.textContent = text; error.hidden = !text; };
    if (body.length > max) {
      show(form.dataset.tooLong
        .replace("{limit:,}", max.toLocaleString())
        .replace("{length:,}", body.length.toLocaleString()));
      return;
    }
    const question = form.querySelector('input[name="question"]').value;
    try {
      if (body.trim()) await api(`/questions/${question}/note`, { body }, {}, "PUT");
      else await api(`/questions/${question}/note`, null, {}, "DELETE");
      show("");
      form.querySelector("textarea").defaultValue = body;
      say(form.dataset.saved);
    } catch (err) {
      show(err.message);
    }
  }

  function startTimer() {
    if (timer) clearInterval(timer);
    timer = null;
    const el = root.querySelector("#mock-timer");
    const left = Number(card()?.dataset.secondsLeft);
    if (!el || !Number.isFinite(left)) return;
    const deadline = performance.now() + left * 1000;
    const tick = () => {
      const s = Math.max(0, Math.round((deadline - performance.now()) / 1000));
      el.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
      el.classList.toggle("low", s <= 30);
      if (s === 0) {
        clearInterval(timer);
        timer = null;
        timeUp().then(refresh).catch((error) => say(error.message));
      }
    };
    tick();
    timer = setInterval(tick, 1000);
  }

  // Out of time mid-answer: what was typed goes to the server (kept for the debrief) before
  // the page turns to the debrief; a moment's wait lets the server's clock run out too.
  async function timeUp() {
    const text = root.querySelector("#answer-text")?.value.trim();
    if (text && !revealed()) {
      await api(`/sessions/${sessionId}/reveal`, { answer_text: text }).catch(() => null);
    }
    await new Promise((resolve) => setTimeout(resolve, 1200));
  }

  root.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.id === "reveal-form") { event.preventDefault(); reveal(); }
    else if (form.id === "grade-form") {
      event.preventDefault();
      const rating = Number(event.submitter?.value);
      if (rating >= 1 && rating <= 4) grade(rating);
    } else if (form.id === "undo-form") { event.preventDefault(); undo(); }
    else if (form.id === "skip-form") { event.preventDefault(); skip(); }
    else if (form.id === "mark-form") { event.preventDefault(); mark(event.submitter?.value); }
    else if (form.id === "card-note-form") { event.preventDefault(); saveNote(form); }
  });

  const typing = (el) => el instanceof HTMLElement &&
    (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.isComposing) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      else if (event.key === "Enter" && (event.ctrlKey || event.metaKey) &&
               event.target.id === "answer-text") {
        event.preventDefault();
        reveal();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.repeat) return;
    const onControl = event.target instanceof HTMLButtonElement || event.target instanceof HTMLAnchorElement;
    if (event.key === " " && !revealed() && card()?.dataset.question) {
      if (onControl) return;
      event.preventDefault();
      reveal();
    } else if ((event.key === " " || event.key === "Enter") && revealed() && !onControl) {
      event.preventDefault(); // as in Anki: Space or Enter after the answer means Good
      grade(3);
    } else if (["1", "2", "3", "4"].includes(event.key) && revealed()) {
      event.preventDefault();
      grade(Number(event.key));
    } else if (event.key === "u" || event.key === "U") {
      event.preventDefault();
      undo();
    } else if (!card()?.dataset.question) {
      return; // the keys below act on a card
    } else if ((event.key === "s" || event.key === "S") && root.querySelector("#skip-form")) {
      event.preventDefault();
      skip();
    } else if (event.key === "-" && root.querySelector("#bury-button")) { // as in Anki: bury
      event.preventDefault();
      mark("bury");
    } else if (event.key === "@" && root.querySelector("#suspend-button")) { // Anki: suspend
      event.preventDefault();
      mark("suspend");
    } else if (event.key === "f" || event.key === "F") {
      event.preventDefault();
      toggleFlag();
    }
  });

  startTimer();
})();
