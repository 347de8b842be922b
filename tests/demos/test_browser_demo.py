"""A demo from the browser with a real server and a real worker: start it from the form, watch
the chart move, read the results, and draw a digit for the trained model."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.demos.conftest import StartWorker
from tests.factories import make_user, make_web_session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.shared("mnist"),
]

RUN_TIMEOUT_MS = 180_000

# Records every value the chart's point count takes while the run is live, before the page's
# own scripts run, so no update is missed between two polls of the test.
RECORD_POINTS = """
window.__pointsSeen = [];
document.addEventListener("DOMContentLoaded", () => {
  const charts = document.getElementById("charts");
  const root = document.getElementById("demo-run");
  if (!charts || !root) return;
  new MutationObserver(() => {
    window.__pointsSeen.push([root.dataset.status, Number(charts.dataset.points)]);
  }).observe(charts, {attributes: true, attributeFilter: ["data-points"]});
});
"""


def log_in(page: Any, db: Session, base: str) -> None:
    cookie = make_web_session(db, make_user(db))
    page.context.add_cookies([{"name": "mogi_session", "value": cookie, "url": base}])


def fill(page: Any, values: dict[str, Any]) -> None:
    for name, value in values.items():
        selector = f"#param-{name}"
        if isinstance(value, bool):
            page.set_checked(selector, value)
        elif page.get_attribute(selector, "type") == "number":
            page.fill(selector, str(value))
        else:
            page.select_option(selector, f'"{value}"')


def draw_digit_one(page: Any) -> None:
    """A vertical stroke with the mouse, as a person would draw a 1."""
    canvas = page.locator("#draw-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x = box["x"] + box["width"] * 0.5
    top, bottom = box["y"] + box["height"] * 0.15, box["y"] + box["height"] * 0.85
    page.mouse.move(x, top)
    page.mouse.down()
    for i in range(1, 13):
        page.mouse.move(x + i * 0.4, top + (bottom - top) * i / 12)
    page.mouse.up()


def probabilities(page: Any) -> list[list[float]]:
    """The drawing's probabilities per variant, as computed by the page."""
    return page.evaluate(
        """() => {
      const run = window.MogiDemoRun, c = document.getElementById('draw-canvas');
      const img = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      const px = MogiInfer.toMnist(MogiInfer.inkFromImageData(img), img.width, img.height);
      return run.models.map((m) => MogiInfer.predict(m, px));
    }"""
    )


def stored_sample_gap(page: Any) -> float:
    """Largest gap between the page's forward pass and the worker's stored sample
    probabilities, over every variant's test digits."""
    return page.evaluate(
        """async () => {
      const api = document.getElementById('demo-run').dataset.api;
      const run = await (await fetch(api)).json();
      const results = run.result.variants || [run.result];
      let worst = 0;
      results.forEach((r, v) => {
        for (const s of r.samples) {
          const p = MogiInfer.predict(MogiDemoRun.models[v], MogiInfer.samplePixels(s.pixels));
          for (let i = 0; i < 10; i++) worst = Math.max(worst, Math.abs(p[i] - s.probabilities[i]));
        }
      });
      return worst;
    }"""
    )


def test_run_a_demo_and_draw_a_digit(
    page: Any, live_server: str, db: Session, start_worker: StartWorker
) -> None:
    start_worker()
    log_in(page, db, live_server)
    page.add_init_script(RECORD_POINTS)
    page.goto(f"{live_server}/demos/architecture")
    page.uncheck("#compare-on")  # the experiment's default is its comparison; one model here
    # A small CNN on a few thousand images, two epochs: seconds, and far better than chance.
    # A fresh seed, so the run is trained (not served from an identical stored run).
    fill(page, {"model": "cnn", "train_subset": 3000, "epochs": 2, "batch_size": 64,
                "seed": random.randrange(1, 2**31 - 1)})  # fmt: skip
    page.click("#run-button")
    page.wait_for_url("**/demos/runs/*")
    run_url = page.url

    page.wait_for_function(
        "document.getElementById('demo-run').dataset.result === 'shown'", timeout=RUN_TIMEOUT_MS
    )
    assert page.get_attribute("#demo-run", "data-status") == "finished"
    seen = page.evaluate("window.__pointsSeen")
    live = [n for status, n in seen if status == "running" and n > 0]
    # The chart grew while the run was training, over at least two progress events.
    assert len(set(live)) >= 2, seen
    assert live == sorted(live), seen
    final = int(page.get_attribute("#charts", "data-points"))
    assert final >= 8  # 4 progress events per epoch, 2 epochs
    assert page.locator("#chart-loss .u-over").count() == 1  # uPlot drew the loss chart
    # The gradient reaching each weight layer, one line per layer: conv1, conv2, fc1, out.
    legend = page.text_content("#chart-grads .u-legend")
    assert all(layer in legend for layer in ("conv1", "conv2", "fc1", "out")), legend

    # Results: the confusion matrix (10x10, all 10 000 test digits) and the digit grid.
    cells = page.locator("#confusion tbody td")
    assert cells.count() == 100
    assert sum(int(t) for t in cells.all_text_contents()) == 10_000
    diagonal = sum(
        int(page.text_content(f"#confusion tbody tr:nth-child({i + 1}) td:nth-of-type({i + 1})"))
        for i in range(10)
    )
    assert diagonal > 8_000  # a real model, far beyond the 1 000 of chance
    digits = page.locator("#samples figure.digit")
    assert digits.count() >= 16
    flags = ["wrong" in (c or "") for c in digits.evaluate_all("els => els.map(e => e.className)")]
    assert flags == sorted(flags, reverse=True)  # mistakes first
    assert page.locator("#samples canvas").first.evaluate("c => c.width") == 28
    assert page.locator("#layer-stats .layer-row").count() >= 3
    assert "cpu" in page.text_content("#run-meta")
    assert page.is_hidden("#run-cancel")

    # Draw a digit: the model in the browser answers with 10 probabilities.
    page.wait_for_selector("#draw-canvas[data-ready='1']", timeout=30_000)
    draw_digit_one(page)
    page.wait_for_selector("#draw-probs[data-filled='1']", timeout=500 + 1_000)
    (probs,) = probabilities(page)
    assert len(probs) == 10 and sum(probs) == pytest.approx(1.0, abs=1e-6)
    assert page.locator("#draw-probs .prob-row").count() == 10
    assert page.text_content("#draw-guess").strip()
    assert page.evaluate("window.MogiDemoRun.lastInferenceMs") < 500
    # The page's model is the worker's model: same probabilities on the stored test digits.
    assert stored_sample_gap(page) < 1e-3
    page.click("#draw-clear")
    assert page.get_attribute("#draw-probs", "data-filled") == "0"

    # The finished run is a stable link: reopened, it shows the same results at once.
    page.goto(run_url)
    page.wait_for_function("document.getElementById('demo-run').dataset.result === 'shown'")
    assert page.locator("#confusion tbody td").count() == 100
    page.goto(f"{live_server}/demos")
    assert page.locator(f"a[href='{run_url.removeprefix(live_server)}']").count() == 1


def test_compare_runs_share_one_chart(
    page: Any, live_server: str, db: Session, start_worker: StartWorker
) -> None:
    start_worker()
    log_in(page, db, live_server)
    page.goto(f"{live_server}/demos/activations")
    fill(page, {"depth": 2, "width": 32, "train_subset": 1000, "epochs": 1,
                "seed": random.randrange(1, 2**31 - 1)})  # fmt: skip
    page.check("#compare-on")
    for name in ("sigmoid", "leaky_relu"):
        page.uncheck(f"#compare-values input[value='\"{name}\"']")
    page.click("#run-button")
    page.wait_for_url("**/demos/runs/*")
    page.wait_for_function(
        "document.getElementById('demo-run').dataset.result === 'shown'", timeout=RUN_TIMEOUT_MS
    )
    legend = page.text_content("#chart-loss .u-legend")
    # Each variant is named by its value, as a person says it; the line style tells train from
    # test (the key under the charts), and the swatches are drawn in those styles.
    assert "Tanh" in legend and "ReLU" in legend and "activation" not in legend
    styles = page.eval_on_selector_all(
        "#chart-loss .u-legend .u-marker", "ms => ms.map((m) => getComputedStyle(m).borderStyle)"
    )
    assert "solid" in styles and "dotted" in styles
    assert page.locator("#summary-body tr").count() == 2
    assert page.locator("#variant-picker button").count() == 2
    page.click("#variant-picker button >> nth=1")
    assert page.get_attribute("#variant-picker button >> nth=1", "aria-selected") == "true"
    # Layer statistics: one bar per variant and layer.
    assert page.locator("#layer-stats .bar-row").count() == 2 * 3
    page.wait_for_selector("#draw-canvas[data-ready='1']", timeout=30_000)
    draw_digit_one(page)
    page.wait_for_selector("#draw-probs[data-filled='1']", timeout=1_500)
    both = probabilities(page)
    assert len(both) == 2 and all(sum(p) == pytest.approx(1.0, abs=1e-6) for p in both)
    assert stored_sample_gap(page) < 1e-3


@pytest.mark.parametrize(
    ("slug", "values", "compare"),
    [
        ("relu-curve", {"steps": 300}, True),
        ("from-scratch", {"train_subset": 1000}, False),
        ("debugging", {"steps": 40}, True),
        ("rbm", {"train_subset": 1000, "epochs": 1, "gibbs_steps": 50}, True),
    ],
)
def test_new_experiments_show_their_measurements(
    page: Any,
    live_server: str,
    db: Session,
    start_worker: StartWorker,
    slug: str,
    values: dict[str, Any],
    compare: bool,
) -> None:
    """A sample of the experiments that measure their own things, end to end: form, worker,
    live progress, then their charts, tables and code on the run page."""
    start_worker()
    log_in(page, db, live_server)
    page.goto(f"{live_server}/demos/{slug}")
    # Comparisons are the default for experiments that compare.
    assert page.is_checked("#compare-on")
    if not compare:
        page.uncheck("#compare-on")
    fill(page, {**values, "seed": random.randrange(1, 2**31 - 1)})
    page.click("#run-button")
    page.wait_for_url("**/demos/runs/*")
    page.wait_for_function(
        "document.getElementById('demo-run').dataset.result === 'shown'", timeout=RUN_TIMEOUT_MS
    )
    assert page.get_attribute("#demo-run", "data-status") == "finished"
    assert page.is_visible("#custom-section")
    assert not page.is_visible("#classifier-result")  # no confusion matrix to show
    run = page.evaluate("window.MogiDemoRun.run")
    results = run["result"].get("variants") or [run["result"]]
    tables = sum(len(r["tables"]) for r in results)
    assert page.locator("#custom .custom-table").count() == tables > 0
    charts = len(results[0]["charts"])
    page.wait_for_function(f"document.querySelectorAll('#custom .uplot').length === {charts}")
    # Numbers read as numbers: no raw objects, no None.
    text = page.text_content("#custom")
    assert "[object Object]" not in text and "None" not in text and "undefined" not in text
    if slug == "from-scratch":
        assert (
            page.locator("#custom .code-line.marked").count()
            == results[0]["code"]["backprop_lines"]
        )
    if slug == "rbm":  # its filters and dreamed digits, drawn as the run finished...
        images = sum(len(g["items"]) for r in results for g in r["images"])
        assert page.locator("#custom .image-grid canvas").count() == images == 2 * 2 * 16
        page.reload()  # ...and by the server when the page is opened again
        assert page.locator("#custom-images .image-grid img").count() == images
    if compare:
        assert page.locator("#summary-body tr").count() == len(results) > 1
