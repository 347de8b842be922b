"""Line charts as inline SVG, drawn on the server: a finished run's curves read without scripts.

One colour per variant, one line style per curve (train solid, validation dashed, test dotted
with a point at each value), and a legend that shows both, so train and test never look alike.
Only numbers we computed and escaped text go into the markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# The run page's scripts use the same four (static/js/demo-run/base.js).
COLORS = ("#2f5bd3", "#d3542f", "#1c9c6a", "#a23fc4")
DASH = {"line": "", "dashed": "6 4", "points": "2 3"}
WIDTH, HEIGHT = 600, 250
LEFT, RIGHT, TOP, BOTTOM = 58, 12, 10, 40


@dataclass(frozen=True)
class Series:
    label: str  # the variant ("" for a single run)
    curve: str  # what the line is: train, test, or an experiment's own series name
    color: str
    style: str  # line | dashed | points
    points: list[tuple[float, float]]


@dataclass(frozen=True)
class LegendItem:
    text: str
    color: str
    dash: str
    dot: bool


@dataclass(frozen=True)
class ChartView:
    title: str
    svg: Markup
    legend: list[LegendItem]


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round values spanning [low, high]."""
    if high <= low:
        return [low]
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= step * factor:
            step *= factor
            break
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def _label(value: float, log: bool) -> str:
    if log:
        return f"1e{round(math.log10(value))}"
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.0e}"
    return f"{value:.4g}"


def chart(
    title: str, x_label: str, y_label: str, series: Sequence[Series], *, log_y: bool = False
) -> ChartView:
    """One chart of `series` with its axes and legend."""
    shown = [s for s in series if s.points]
    points = [p for s in shown for p in s.points if not log_y or p[1] > 0]
    if not points:
        return ChartView(title=title, svg=Markup(""), legend=[])
    xs = [p[0] for p in points]
    ys = [math.log10(p[1]) if log_y else p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 == x0:
        x0, x1 = x0 - 0.5, x1 + 0.5
    if y1 == y0:
        y0, y1 = y0 - 0.5, y1 + 0.5
    pad = (y1 - y0) * 0.05
    y0, y1 = y0 - pad, y1 + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * plot_w

    def sy(y: float) -> float:
        value = math.log10(y) if log_y else y
        return TOP + (1 - (value - y0) / (y1 - y0)) * plot_h

    parts = [
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">'
    ]
    y_ticks = (
        [10.0**e for e in range(math.ceil(y0), math.floor(y1) + 1)] if log_y else _ticks(y0, y1)
    )
    for tick in y_ticks:
        y = sy(tick)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_label(tick, log_y))}</text>"
        )
    for tick in _ticks(x0, x1, 6):
        x = sx(tick)
        parts.append(
            f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>'
            f'<text class="tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
            f"{escape(_label(tick, False))}</text>"
        )
    parts.append(
        f'<text class="axis" x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 4}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    for s in shown:
        drawn = [(sx(x), sy(y)) for x, y in s.points if not log_y or y > 0]
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in drawn)
        dash = DASH.get(s.style, "")
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        name = f"{s.label} · {s.curve}" if s.label else s.curve
        parts.append(
            f'<polyline fill="none" stroke="{s.color}" stroke-width="2"{dash_attr} '
            f'points="{coords}"><title>{escape(name)}</title></polyline>'
        )
        if s.style == "points" or len(drawn) == 1:
            parts.extend(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{s.color}"/>' for x, y in drawn
            )
    parts.append("</svg>")
    return ChartView(title=title, svg=Markup("".join(parts)), legend=_legend(shown))


def _legend(series: Sequence[Series]) -> list[LegendItem]:
    """Colours name the variants, line styles the curves; a single run names its lines."""
    variants = list(dict.fromkeys(s.label for s in series if s.label))
    curves = list(dict.fromkeys((s.curve, s.style) for s in series))
    if not variants:
        return [
            LegendItem(s.curve, s.color, DASH.get(s.style, ""), s.style == "points") for s in series
        ]
    items = [
        LegendItem(label, next(s.color for s in series if s.label == label), "", False)
        for label in variants
    ]
    items += [LegendItem(curve, "currentColor", DASH.get(style, ""), style == "points")
              for curve, style in curves]  # fmt: skip
    return items
