/* Mogi experiment form: bounded parameters, compare mode, POST /api/v1/demos, go to the run.
 *
 * The form's fields are rendered by the server from the catalogue's JSON schema; this file
 * checks them before sending (the server checks again: its 422 messages land on the field they
 * name), builds the comparison's 2-4 variants, and navigates to /demos/runs/{id}.
 */
(function () {
  "use strict";

  const form = document.getElementById("demo-form");
  if (!form) return;
  const DATA = JSON.parse(document.getElementById("demo-form-data").textContent);
  const T = DATA.text;
  const FIELDS = new Map(DATA.fields.map((f) => [f.name, f]));
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const status = document.getElementById("form-status");
  const runButton = document.getElementById("run-button");
  const compareOn = document.getElementById("compare-on");
  const compareBody = document.getElementById("compare-body");
  const compareParam = document.getElementById("compare-param");
  const compareValues = document.getElementById("compare-values");
  const MAX_VARIANTS = 4;

  const input = (name) => document.getElementById("param-" + name);
  const fmt = (template, values) => template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));

  // ---- reading and checking values ---------------------------------------------------------

  function readValue(field, node) {
    if (field.kind === "boolean") return node.checked;
    if (field.kind === "select") return JSON.parse(node.value);
    if (node.value.trim() === "") return field.nullable ? null : NaN;
    return Number(node.value);
  }

  /** A message for a bad number, or "" when it fits the schema's bounds and step. */
  function checkNumber(field, value) {
    if (value === null && field.nullable) return "";
    if (!Number.isFinite(value)) return T.notNumber;
    if (field.kind === "integer" && !Number.isInteger(value)) return T.notInteger;
    const lo = field.minimum;
    const hi = field.maximum;
    if ((lo !== null && value < lo) || (hi !== null && value > hi)) {
      if (lo !== null && hi !== null) return fmt(T.range, { min: lo, max: hi });
      return lo !== null ? fmt(T.atLeast, { min: lo }) : fmt(T.atMost, { max: hi });
    }
    if (field.multipleOf) {
      const ratio = value / field.multipleOf;
      if (Math.abs(ratio - Math.round(ratio)) > 1e-9) return fmt(T.multipleOf, { step: field.multipleOf });
    }
    return "";
  }

  function setFieldError(name, message) {
    const box = document.getElementById("error-" + name);
    const node = input(name);
    if (box) box.textContent = message || "";
    if (node) {
      if (message) node.setAttribute("aria-invalid", "true");
      else node.removeAttribute("aria-invalid");
    }
    const wrapper = form.querySelector('.field[data-param="' + name + '"]');
    if (wrapper) wrapper.classList.toggle("invalid", Boolean(message));
  }

  function clearErrors() {
    for (const name of FIELDS.keys()) setFieldError(name, "");
    document.getElementById("error-compare") && (document.getElementById("error-compare").textContent = "");
    status.textContent = "";
    status.classList.remove("error");
  }

  function readParams() {
    const params = {};
    let firstBad = null;
    for (const field of FIELDS.values()) {
      const node = input(field.name);
      if (!node || node.disabled) continue;
      const value = readValue(field, node);
      const problem = field.kind === "integer" || field.kind === "number" ? checkNumber(field, value) : "";
      setFieldError(field.name, problem);
      if (problem && !firstBad) firstBad = node;
      params[field.name] = value;
    }
    return { params: params, firstBad: firstBad };
  }

  // ---- compare mode ------------------------------------------------------------------------

  function compareActive() {
    return Boolean(compareOn && compareOn.checked);
  }

  function setCompare(on) {
    compareBody.hidden = !on;
    for (const field of FIELDS.values()) input(field.name).disabled = on && field.name === compareParam.value;
    if (on) buildCompareValues();
  }

  function buildCompareValues() {
    const field = FIELDS.get(compareParam.value);
    for (const f of FIELDS.values()) input(f.name).disabled = f.name === field.name;
    compareValues.replaceChildren();
    if (field.kind === "select" || field.kind === "boolean") {
      const choices = field.kind === "boolean"
        ? [{ json: "true", label: T.on }, { json: "false", label: T.off }]
        : field.choices;
      choices.forEach((c, i) => {
        const id = "compare-choice-" + i;
        const box = document.createElement("input");
        box.type = "checkbox";
        box.id = id;
        box.value = c.json;
        box.checked = preset(field)
          ? preset(field).some((v) => JSON.stringify(v) === c.json)
          : field.kind === "boolean" || i < MAX_VARIANTS;
        const label = document.createElement("label");
        label.className = "check-label";
        label.htmlFor = id;
        label.append(box, " " + c.label);
        compareValues.append(label);
      });
    } else {
      const start = preset(field) || suggestedNumbers(field);
      start.forEach((v) => addNumberRow(field, v));
      const add = document.createElement("button");
      add.type = "button";
      add.className = "button secondary";
      add.id = "compare-add";
      add.textContent = T.addValue;
      add.addEventListener("click", () => {
        const rows = compareValues.querySelectorAll(".compare-number");
        if (rows.length < MAX_VARIANTS) addNumberRow(field, field.default ?? "", add);
        add.disabled = compareValues.querySelectorAll(".compare-number").length >= MAX_VARIANTS;
      });
      compareValues.append(add);
    }
  }

  /** The catalogue's suggested values when comparing its usual parameter. */
  function preset(field) {
    const values = DATA.compareValues || [];
    return field.name === DATA.compareParam && values.length >= 2 ? values.slice(0, MAX_VARIANTS) : null;
  }

  /** Two starting values for a numeric comparison: the default and a clearly different one. */
  function suggestedNumbers(field) {
    const d = field.default === null ? (field.minimum ?? 1) : field.default;
    let other = field.maximum !== null && d * 10 <= field.maximum ? d * 10 : d / 10;
    if (field.kind === "integer") other = Math.round(d * 2 <= (field.maximum ?? Infinity) ? d * 2 : d / 2);
    if (field.minimum !== null && other < field.minimum) other = field.minimum;
    if (field.maximum !== null && other > field.maximum) other = field.maximum;
    return other === d ? [d] : [d, Number(other.toPrecision(6))];
  }

  function addNumberRow(field, value, before) {
    const index = compareValues.querySelectorAll(".compare-number").length;
    const row = document.createElement("span");
    row.className = "compare-number";
    const node = document.createElement("input");
    node.type = "number";
    node.value = String(value);
    node.step = field.step;
    if (field.minimum !== null) node.min = field.minimum;
    if (field.maximum !== null) node.max = field.maximum;
    node.setAttribute("aria-label", fmt(T.valueN, { n: index + 1 }));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link-button";
    remove.textContent = "✕";
    remove.setAttribute("aria-label", fmt(T.removeValue, { n: index + 1 }));
    remove.addEventListener("click", () => {
      row.remove();
      const add = document.getElementById("compare-add");
      if (add) add.disabled = false;
    });
    row.append(node, remove);
    if (before) compareValues.insertBefore(row, before);
    else compareValues.append(row);
  }

  /** The comparison's overrides [{param: value}, ...], or an error message. */
  function readCompare() {
    const field = FIELDS.get(compareParam.value);
    let values;
    if (field.kind === "select" || field.kind === "boolean") {
      values = [...compareValues.querySelectorAll("input[type=checkbox]:checked")].map((b) => JSON.parse(b.value));
    } else {
      values = [];
      for (const node of compareValues.querySelectorAll("input[type=number]")) {
        const v = node.value.trim() === "" ? NaN : Number(node.value);
        const problem = checkNumber(field, v);
        if (problem) {
          node.setAttribute("aria-invalid", "true");
          return { error: field.label + ": " + problem, focus: node };
        }
        node.removeAttribute("aria-invalid");
        values.push(v);
      }
    }
    const distinct = [...new Set(values.map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v));
    if (distinct.length < 2 || distinct.length > MAX_VARIANTS) return { error: T.compareCount };
    return { overrides: distinct.map((v) => ({ [field.name]: v })) };
  }

  // ---- server answers ----------------------------------------------------------------------

  /** Put a 422's messages next to the fields they name; returns whether any was placed. */
  function showServerErrors(body) {
    let placed = false;
    const errors = Array.isArray(body.errors) ? body.errors : [];
    // The API's detail is English; a Korean page shows the same message in Korean.
    const named = body.param ? [{ loc: [body.param], msg: body.detail }] : [];
    for (const e of named.concat(errors)) {
      const loc = (e.loc || []).map(String);
      const name = loc.slice().reverse().find((part) => FIELDS.has(part));
      if (loc.includes("compare")) {
        document.getElementById("error-compare").textContent = fieldMessage(e, body);
        placed = true;
      } else if (name) {
        setFieldError(name, fieldMessage(e, body));
        if (!placed) input(name).focus();
        placed = true;
      }
    }
    return placed;
  }

  function showStatus(message, isError) {
    status.textContent = message;
    status.classList.toggle("error", Boolean(isError));
  }

  async function submit(event) {
    event.preventDefault();
    if (!runButton) return;
    clearErrors();
    const { params, firstBad } = readParams();
    if (firstBad) {
      firstBad.focus();
      showStatus(T.fixFields, true);
      return;
    }
    const payload = { experiment: form.dataset.experiment, params: params };
    if (compareActive()) {
      const compare = readCompare();
      if (compare.error) {
        document.getElementById("error-compare").textContent = compare.error;
        (compare.focus || compareParam).focus();
        return;
      }
      payload.compare = compare.overrides;
    }
    runButton.disabled = true;
    showStatus(T.sending, false);
    let resp;
    try {
      resp = await fetch(form.dataset.api, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(payload),
      });
    } catch (err) {
      runButton.disabled = false;
      showStatus(T.network, true);
      return;
    }
    if (resp.ok) {
      const body = await resp.json();
      showStatus(T.started, false);
      window.location.assign("/demos/runs/" + body.id);
      return;
    }
    runButton.disabled = false;
    let body = {};
    try { body = await resp.json(); } catch (_) { /* not JSON: the status says enough */ }
    if (resp.status === 401) {
      window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
      return;
    }
    if (resp.status === 422 && showServerErrors(body)) {
      showStatus(T.fixFields, true);
      return;
    }
    if (resp.status === 429) {
      const wait = resp.headers.get("Retry-After");
      showStatus((detailOf(body) || T.busy) + (wait ? " " + fmt(T.retryAfter, { s: wait }) : ""), true);
      return;
    }
    showStatus(detailOf(body) || fmt(T.failed, { status: resp.status }), true);
  }

  /** A field's message: the problem's in Korean on a Korean page, else the field's own. */
  function fieldMessage(e, body) {
    const korean = document.documentElement.lang === "ko" && body.messages && body.messages.ko;
    return korean || e.msg || body.detail;
  }

  /** The problem's message in the page's language. */
  function detailOf(body) {
    const korean = document.documentElement.lang === "ko" && body.messages && body.messages.ko;
    return korean || body.detail;
  }

  // ---- wiring ------------------------------------------------------------------------------

  form.addEventListener("submit", submit);
  for (const field of FIELDS.values()) {
    const node = input(field.name);
    // A message appears on submit, and goes (or changes) as soon as the value is fixed; showing
    // one on blur would move the Run button under a pointer that is about to click it.
    node.addEventListener("input", () => {
      if (node.getAttribute("aria-invalid") !== "true") return;
      const numeric = field.kind === "integer" || field.kind === "number";
      setFieldError(field.name, numeric ? checkNumber(field, readValue(field, node)) : "");
    });
  }
  if (compareOn) {
    compareOn.addEventListener("change", () => setCompare(compareOn.checked));
    compareParam.addEventListener("change", buildCompareValues);
    if (compareOn.checked) setCompare(true);
  }
  const reset = document.getElementById("reset-button");
  if (reset) {
    reset.addEventListener("click", () => {
      for (const field of FIELDS.values()) {
        const node = input(field.name);
        if (field.kind === "boolean") node.checked = Boolean(field.default);
        else if (field.kind === "select") node.value = JSON.stringify(field.default);
        else node.value = field.default === null ? "" : String(field.default);
      }
      clearErrors();
      if (compareActive()) buildCompareValues();
    });
  }
})();
