"""A finished run's results rendered on the server: the summary, the measurement tables, the
confusion matrix of each variant and the curves (inline SVG), so the page is complete, fast and
linkable without its scripts; the scripts then add interactive charts and the drawing pad."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.demos.charts import COLORS, ChartView, Series, chart
from app.demos.labels import CURVE_LABELS, value_label
from app.demos.pictures import png_data_uri
from app.i18n import translate


@dataclass(frozen=True)
class SummaryRow:
    label: str
    accuracy: str
    loss: str
    seconds: str
    params: str


@dataclass(frozen=True)
class TableView:
    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class ConfusionCell:
    count: int
    css: str  # diag | off, and strong when the shade is dark
    style: str  # the cell's shade: how large a share of its row it holds
    title: str


@dataclass(frozen=True)
class ConfusionView:
    label: str  # the variant, in a comparison
    rows: list[list[ConfusionCell]]  # row: the true digit, column: the prediction


@dataclass(frozen=True)
class ImageGroup:
    title: str
    items: list[tuple[str, str]]  # (label, PNG data URI)


@dataclass(frozen=True)
class SampleView:
    uri: str  # the test digit as a PNG data URI
    prediction: int
    truth: str  # "(true 7)" when the guess is wrong, else ""


@dataclass(frozen=True)
class ResultView:
    """A finished run's results as text, rendered with the page so it reads before (and
    without) its scripts; the scripts then add the charts."""

    summary: list[SummaryRow]
    tables: list[TableView]
    classifier: bool
    confusions: list[ConfusionView] = field(default_factory=list)
    charts: list[ChartView] = field(default_factory=list)
    meta: list[tuple[str, str]] = field(default_factory=list)
    images: list[ImageGroup] = field(default_factory=list)
    samples: list[SampleView] = field(default_factory=list)  # the first variant's


def _local(label: Any, lang: str) -> str:
    if isinstance(label, dict):
        return str(label.get(lang) or label.get("en") or "")
    return "" if label is None else str(label)


def _cell(value: Any, percent: bool, lang: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return value_label(value, lang)
    if isinstance(value, int | float) and percent:
        return f"{100 * value:.2f}%"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return (
            f"{value:.3e}"
            if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5)
            else (f"{value:.4f}".rstrip("0").rstrip("."))
        )
    return _local(value, lang)


def result_view(job: Any, lang: str) -> ResultView | None:
    """The finished run's summary table and measurement tables, or None before it finishes."""
    if job.status != "finished" or not isinstance(job.result, dict):
        return None
    runs = job.result.get("variants") or [job.result]
    sets = job.compare or [job.params]
    varied = [k for k in sets[0] if any(c.get(k) != sets[0].get(k) for c in sets)]
    summary = []
    for i, run in enumerate(runs):
        params = sets[i] if i < len(sets) else {}
        label = ", ".join(value_label(params.get(k), lang) for k in varied) or translate(
            "실행", lang
        )
        seconds = run.get("train_time_s") or run.get("wall_time_s") or 0
        summary.append(
            SummaryRow(
                label=label,
                accuracy=_cell(run.get("test_accuracy"), True, lang),
                loss=_cell(run.get("test_loss"), False, lang),
                seconds=f"{seconds:.2f} {translate('초', lang)}",
                params=_cell(run.get("params_count"), False, lang),
            )
        )
    tables = []
    for run, params in zip(runs, sets, strict=False):
        prefix = ", ".join(value_label(params.get(k), lang) for k in varied)
        for table in run.get("tables") or []:
            percent = set(table.get("percent") or [])
            title = _local(table.get("title"), lang)
            tables.append(
                TableView(
                    title=f"{prefix} · {title}" if prefix else title,
                    columns=[_local(c, lang) for c in table.get("columns", [])],
                    rows=[
                        [_cell(v, i in percent, lang) for i, v in enumerate(row)]
                        for row in table.get("rows", [])
                    ],
                )
            )
    classifier = all(isinstance(r.get("confusion_matrix"), list) for r in runs)
    labels = [row.label for row in summary] if len(runs) > 1 else [""]
    return ResultView(
        summary=summary,
        tables=tables,
        classifier=classifier,
        confusions=[
            confusion_view(r["confusion_matrix"], label, lang)
            for r, label in zip(runs, labels, strict=False)
            if classifier
        ],
        charts=history_charts(runs, labels, lang) + custom_charts(runs, labels, lang),
        meta=_meta(job.result, runs, lang),
        images=image_groups(runs, labels, lang),
        samples=sample_views(runs[0].get("samples") or [], lang) if classifier else [],
    )


def sample_views(samples: list[dict[str, Any]], lang: str) -> list[SampleView]:
    """Test digits with the model's guesses, mistakes first (as the scripts show them)."""
    views = []
    for sample in sorted(samples, key=lambda s: s.get("label") == s.get("prediction")):
        uri = png_data_uri(str(sample.get("pixels", "")))
        if uri is None:
            continue
        wrong = sample.get("label") != sample.get("prediction")
        truth = translate("(정답 {n})", lang).replace("{n}", str(sample.get("label")))
        views.append(SampleView(uri=uri, prediction=int(sample.get("prediction", -1)),
                                truth=truth if wrong else ""))  # fmt: skip
    return views


def image_groups(runs: list[dict[str, Any]], labels: list[str], lang: str) -> list[ImageGroup]:
    """The result's own images (an RBM's filters and samples), each variant's in turn."""
    groups = []
    for run, label in zip(runs, labels, strict=False):
        for group in run.get("images") or []:
            items = []
            for item in group.get("items", []):
                uri = png_data_uri(str(item.get("pixels", "")))
                if uri is not None:
                    items.append((str(item.get("label", "")), uri))
            title = _local(group.get("title"), lang)
            groups.append(ImageGroup(title=f"{label} · {title}" if label else title, items=items))
    return groups


def confusion_view(matrix: list[list[int]], label: str, lang: str) -> ConfusionView:
    """The matrix's cells shaded by their share of the row: the diagonal green, mistakes red
    (four times as strong, so a 5% confusion shows)."""
    rows = []
    for true, row in enumerate(matrix):
        total = sum(row) or 1
        cells = []
        for predicted, count in enumerate(row):
            share = count / total
            hit = predicted == true
            alpha = 0.0 if count == 0 else max(0.08, share if hit else min(1.0, share * 4))
            hue = "28, 124, 70" if hit else "179, 38, 30"
            title = translate("정답 {t}, 예측 {p}: {n}개", lang)
            cells.append(
                ConfusionCell(
                    count=count,
                    css=("diag" if hit else "off") + (" strong" if alpha > 0.55 else ""),
                    style=f"background: rgba({hue}, {alpha:.3f})",
                    title=title.replace("{t}", str(true))
                    .replace("{p}", str(predicted))
                    .replace("{n}", str(count)),
                )
            )
        rows.append(cells)
    return ConfusionView(label=label, rows=rows)


# Curves of a classifier's history: train solid, validation dashed, test dotted with points.
CURVES = {
    "loss": (("loss", "train"), ("val_loss", "validation"), ("test_loss", "test")),
    "accuracy": (
        ("train_accuracy", "train"),
        ("val_accuracy", "validation"),
        ("test_accuracy", "test"),
    ),
}
STYLE = {"train": "line", "validation": "dashed", "test": "points"}


def history_charts(runs: list[dict[str, Any]], labels: list[str], lang: str) -> list[ChartView]:
    """Loss and accuracy by epoch, one colour per variant, one line style per curve."""
    if not any(r.get("history") for r in runs):
        return []
    charts = []
    for kind, curves in CURVES.items():
        series = []
        for v, run in enumerate(runs):
            history = run.get("history") or []
            for key, curve in curves:
                points = [(e["epoch"], e[key]) for e in history
                          if isinstance(e.get(key), int | float)]  # fmt: skip
                if kind == "accuracy":
                    points = [(x, 100 * y) for x, y in points]
                if points:
                    name = translate(CURVE_LABELS[curve], lang)
                    series.append(Series(label=labels[v], curve=name, color=COLORS[v % 4],
                                         style=STYLE[curve], points=points))  # fmt: skip
        title = translate("손실" if kind == "loss" else "정확도 (%)", lang)
        charts.append(chart(title, translate("에포크", lang), title, series))
    return charts


def custom_charts(runs: list[dict[str, Any]], labels: list[str], lang: str) -> list[ChartView]:
    """The charts of an experiment that measures its own things, each variant in its colour."""
    first = runs[0].get("charts") or []
    many = len(runs) > 1
    views = []
    for c, spec in enumerate(first):
        series = []
        for v, run in enumerate(runs):
            mine = (run.get("charts") or [])[c : c + 1]
            for s, line in enumerate(mine[0].get("series", []) if mine else []):
                points = [(x, y) for x, y in zip(line.get("x", []), line.get("y", []), strict=False)
                          if isinstance(x, int | float) and isinstance(y, int | float)]  # fmt: skip
                series.append(Series(
                    label=labels[v] if many else "", curve=_local(line.get("name"), lang),
                    color=COLORS[(v if many else s) % 4], style=line.get("style", "line"),
                    points=points,
                ))  # fmt: skip
        views.append(chart(_local(spec.get("title"), lang), _local(spec.get("x"), lang),
                           _local(spec.get("y"), lang), series,
                           log_y=bool(spec.get("log_y"))))  # fmt: skip
    return views


def _meta(result: dict[str, Any], runs: list[dict[str, Any]], lang: str) -> list[tuple[str, str]]:
    first = runs[0] if runs else {}
    device = " · ".join(
        str(v) for v in (result.get("device") or first.get("device"),
                         result.get("device_name") or first.get("device_name")) if v
    )  # fmt: skip
    meta = [(translate("장치", lang), device)] if device else []
    if first.get("threads"):
        threads = str(first["threads"])
        if (first.get("thread_choice") or {}).get("chosen") == "split":
            how = (
                "{n} (은닉 유닛을 반씩 두 프로세스에서)"
                if first.get("split_by") == "hidden_units"
                else "{n} (배치를 반씩 두 프로세스에서)"
            )
            threads = translate(how, lang).replace("{n}", threads)
        meta.append((translate("CPU 스레드", lang), threads))
    if first.get("trained_together"):
        meta.append((translate("함께 학습", lang),
                     translate("{n}개 설정을 한 모델로 묶어 동시에", lang).replace(
                         "{n}", str(first["trained_together"]))))  # fmt: skip
    torch_version = result.get("torch_version") or first.get("torch_version")
    if torch_version:
        meta.append((translate("PyTorch 버전", lang), str(torch_version)))
    return meta
