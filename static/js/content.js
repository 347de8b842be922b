// Question pages: the left and right arrow keys go to the previous and next question.
document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable]")) return;
  const link = document.querySelector(`.pager a[data-key="${event.key}"]`);
  if (link instanceof HTMLAnchorElement) window.location.assign(link.href);
});
