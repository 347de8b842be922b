"""demo-infer.js in Chromium against PyTorch: the browser's forward pass over an exported model
gives the probabilities the trained network gave for the same test digits.

The models are trained here through models.runner.run_experiment, the code the worker runs, so
every kind of layer the catalogue can export is covered: linear, conv2d, max pooling, a batch
norm that could not be folded, sigmoid, tanh, ReLU and LeakyReLU, and each input scaling.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MNIST_DIR, ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.shared("mnist")]

INFER_JS = ROOT / "static" / "js" / "demo-infer.js"
TINY: dict[str, Any] = {"train_subset": 500, "epochs": 1, "seed": 7}
CASES: list[tuple[str, dict[str, Any]]] = [
    ("architecture", {"model": "cnn", "cnn_batch_norm": True, "batch_size": 64}),
    (
        "architecture",
        {"model": "cnn", "cnn_batch_norm": True, "cnn_downsample": "maxpool", "batch_size": 64},
    ),
    ("architecture", {"model": "mlp", "mlp_width": 64, "batch_size": 64}),
    ("activations", {"activation": "sigmoid", "depth": 2, "width": 32}),
    ("activations", {"activation": "tanh", "depth": 2, "width": 32}),
    ("activations", {"activation": "leaky_relu", "depth": 2, "width": 32}),
    ("normalization", {"batch_norm": True, "dropout": 0.2, "depth": 2, "width": 32}),
    ("input-normalization", {"input_scaling": "raw", "depth": 1, "width": 32, "lr": 0.0001}),
    ("input-normalization", {"input_scaling": "unit", "depth": 1, "width": 32}),
]

COMPARE_JS = """([inference, samples]) => {
  const model = MogiInfer.loadModel(inference);
  let worst = 0;
  const agree = [];
  for (const s of samples) {
    const p = MogiInfer.predict(model, MogiInfer.samplePixels(s.pixels));
    for (let i = 0; i < 10; i++) worst = Math.max(worst, Math.abs(p[i] - s.probabilities[i]));
    agree.push(p.indexOf(Math.max(...p)) === s.prediction);
  }
  return {worst: worst, agree: agree, ops: inference.layers.map((l) => l.op)};
}"""


@pytest.fixture(scope="module")
def mnist() -> Any:
    from models.data import load_mnist

    return load_mnist(MNIST_DIR)


@pytest.fixture(scope="module")
def infer_page(browser: Any) -> Iterator[Any]:
    """A blank page with demo-infer.js loaded (no server needed: the script stands alone)."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<!doctype html><title>infer</title>")
    page.add_script_tag(path=str(Path(INFER_JS)))
    yield page
    context.close()


def train(slug: str, params: dict[str, Any], mnist: Any) -> dict[str, Any]:
    from models.runner import run_experiment

    return run_experiment(
        slug, {**TINY, **params}, device="cpu", emit=lambda _event: None, data=mnist, threads=1
    )


@pytest.mark.parametrize(
    ("slug", "params"), CASES, ids=[f"{s}-{i}" for i, (s, _) in enumerate(CASES)]
)
def test_browser_forward_pass_matches_torch(
    slug: str, params: dict[str, Any], mnist: Any, infer_page: Any
) -> None:
    result = train(slug, params, mnist)
    samples = result["samples"]
    assert len(samples) >= 16
    checked = infer_page.evaluate(COMPARE_JS, [result["inference"], samples])
    # The stored probabilities are rounded to 4 places; the forward pass itself agrees to ~1e-6.
    assert checked["worst"] < 1e-3, (slug, params, checked["worst"])
    assert all(checked["agree"])
    assert checked["ops"][-1] == "softmax"


def test_cases_cover_every_exported_op() -> None:
    """The list above exercises each op the export writes, so none is left untested."""
    from models.export import export_inference
    from models.nets import Cnn, CnnConfig, Mlp, MlpConfig

    ops: set[str] = set()
    for slug, params in CASES:
        values: dict[str, Any] = {**TINY, **params}
        if slug == "architecture" and values["model"] == "cnn":
            model: Any = Cnn(
                CnnConfig(
                    batch_norm=bool(values.get("cnn_batch_norm")),
                    downsample=str(values.get("cnn_downsample", "stride")),
                )
            )
        else:
            hidden = (int(values.get("width", values.get("mlp_width", 32))),)
            model = Mlp(
                MlpConfig(
                    hidden=hidden,
                    activation=str(values.get("activation", "relu")),
                    batch_norm=bool(values.get("batch_norm")),
                )
            )
        model.eval()
        ops.update(layer["op"] for layer in export_inference(model, scale=1, shift=0)["layers"])
    assert ops >= {
        "flatten", "linear", "conv2d", "maxpool2d", "batchnorm", "relu", "leaky_relu",
        "sigmoid", "tanh", "softmax",
    }  # fmt: skip


def test_drawing_is_preprocessed_like_mnist(infer_page: Any) -> None:
    """A stroke drawn anywhere on the pad lands in a 20x20 box, centred by its mass."""
    result = infer_page.evaluate(
        """() => {
      const w = 280, h = 280, ink = new Float64Array(w * h);
      // a thick vertical bar in the top-left corner, 40 px wide and 120 px tall
      for (let y = 10; y < 130; y++) for (let x = 20; x < 60; x++) ink[y * w + x] = 1;
      const px = MogiInfer.toMnist(ink, w, h);
      let mass = 0, cx = 0, cy = 0, x0 = 28, x1 = -1, y0 = 28, y1 = -1;
      for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
        const v = px[y * 28 + x];
        if (v > 0) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y);
                     y1 = Math.max(y1, y); }
        mass += v; cx += v * x; cy += v * y;
      }
      return {cx: cx / mass, cy: cy / mass, height: y1 - y0 + 1, width: x1 - x0 + 1,
              max: Math.max(...px), empty: MogiInfer.toMnist(new Float64Array(w * h), w, h)};
    }"""
    )
    assert result["height"] == 20
    assert 6 <= result["width"] <= 8
    assert abs(result["cx"] - 13.5) <= 0.6 and abs(result["cy"] - 13.5) <= 0.6
    assert result["max"] == pytest.approx(1.0)
    assert result["empty"] is None


def test_phone_draws_with_a_finger(phone_page: Any, live_server: str, db: Any, mnist: Any) -> None:
    """A stored run on a phone: the charts fit the screen and a finger draws on the pad."""
    from app.demos import service
    from app.demos.schemas import DemoCreate
    from tests.factories import make_user, make_web_session

    params = {"model": "mlp", "mlp_width": 64, "batch_size": 64}
    result = train("architecture", params, mnist)
    user = make_user(db)
    job = service.create_job(db, user.id, DemoCreate(experiment="architecture", params=params))
    job.status, job.result = "finished", result
    db.commit()
    cookie = make_web_session(db, user)
    phone_page.context.add_cookies([{"name": "mogi_session", "value": cookie, "url": live_server}])
    phone_page.goto(f"{live_server}/demos/runs/{job.id}")
    phone_page.wait_for_selector("#draw-canvas[data-ready='1']", timeout=30_000)
    viewport = phone_page.viewport_size["width"]
    assert phone_page.locator("#chart-loss").bounding_box()["width"] <= viewport
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert phone_page.evaluate(overflow) <= 0  # wide tables scroll inside themselves

    canvas = phone_page.locator("#draw-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, top = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.15
    cdp = phone_page.context.new_cdp_session(phone_page)
    cdp.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": top}]}
    )
    for i in range(1, 13):
        point = {"x": x, "y": top + box["height"] * 0.7 * i / 12}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    phone_page.wait_for_selector("#draw-probs[data-filled='1']", timeout=1_500)
    assert phone_page.locator("#draw-probs .prob-row").count() == 10
