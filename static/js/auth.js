// Accounts: show/hide a password while typing it, and copy a new token's secret.
(function () {
  "use strict";
  document.querySelectorAll("[data-show-password]").forEach(function (box) {
    var input = document.getElementById(box.getAttribute("data-show-password"));
    if (!input) return;
    box.addEventListener("change", function () {
      input.type = box.checked ? "text" : "password";
    });
  });
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = button.getAttribute("data-copied") || button.textContent;
      });
    });
  });
})();
