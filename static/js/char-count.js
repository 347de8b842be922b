// A live count under every textarea with data-max-chars: the server refuses longer text with a
// message (it never cuts it), so the count turns red before the writer sends it.
(function () {
  "use strict";
  function counter(area) {
    var id = area.id + "-count";
    var out = document.getElementById(id);
    if (!out) {
      out = document.createElement("p");
      out.id = id;
      out.className = "char-count muted";
      out.setAttribute("aria-live", "polite");
      area.insertAdjacentElement("afterend", out);
    }
    return out;
  }
  function update(area) {
    var max = parseInt(area.getAttribute("data-max-chars"), 10);
    // Count code points, as the server does (len() of a Python str).
    var n = Array.from(area.value).length;
    var out = counter(area);
    out.textContent = n.toLocaleString() + " / " + max.toLocaleString();
    out.classList.toggle("over", n > max);
  }
  document.addEventListener("input", function (event) {
    var t = event.target;
    if (t instanceof HTMLTextAreaElement && t.hasAttribute("data-max-chars")) update(t);
  });
  function all() {
    document.querySelectorAll("textarea[data-max-chars]").forEach(update);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
})();
