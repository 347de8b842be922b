/* Mogi demo run page: cancel, and start. See base.js for how the files fit together. */
(function () {
  "use strict";

  const R = window.MogiRun;
  if (!R) return;
  const { root, T, API, TERMINAL, COLORS, csrf, state, $, el, fmt, pct } = R;

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
        $("#run-notice").textContent = await R.problemText(resp);
        return;
      }
      $("#run-notice").textContent = T.cancelling;
      if (!state.source) R.resync();
    });
  }

  // ---- start -------------------------------------------------------------------------------

  R.fetchRun().then((run) => {
    R.applyRun(run);
    R.openStream();
  }).catch((err) => {
    $("#run-loading").hidden = true;
    $("#run-notice").textContent = T.loadFailed + " " + err.message;
    setTimeout(R.resync, 3000);
  });
})();
