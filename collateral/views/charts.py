"""Inline SVG charts for the report pages: plain strings in, an escaped SVG string out.

No Flask and no script: the Content-Security-Policy allows neither inline styles nor inline
scripts, so colours are SVG presentation attributes and tooltips are `<title>` elements.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Colours that stay apart for the common kinds of colour blindness (Okabe–Ito).
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00")
LABEL_WIDTH = 64  # px an x label needs before the next one may be drawn
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 16, 34, 28


@dataclass(frozen=True)
class Series:
    """One line (or one bar per label) of a chart: its name and its (label, value) points."""

    name: str
    points: Sequence[tuple[str, float]]


def _nice_step(span: float, ticks: int) -> float:
    """A round step (1, 2 or 5 times a power of ten) that covers `span` in about `ticks`."""
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _xml(text: object) -> str:
    return escape(str(text), quote=True)


def render_chart(
    series: Sequence[Series],
    title: str,
    *,
    kind: str = "line",
    width: int = 760,
    height: int = 260,
    ticks: int = 4,
) -> str:
    """An SVG line or bar chart of series that share their labels; "" when there is nothing.

    Labels are those of the first series; every label, name and title is escaped here.
    """
    if kind not in ("line", "bar"):
        raise ValueError(f"kind must be 'line' or 'bar', not {kind!r}")
    labels = [label for label, _ in series[0].points] if series else []
    if not labels:
        return ""
    top_value = max((value for s in series for _, value in s.points), default=0)
    step = max(1, _nice_step(top_value, ticks)) if top_value > 0 else 1  # counts: whole steps
    y_max = step * max(1, math.ceil(top_value / step))
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = height - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_w / len(labels)

    def x_at(i: int) -> float:
        return MARGIN_LEFT + slot * (i + 0.5)

    def y_at(value: float) -> float:
        return MARGIN_TOP + plot_h * (1 - value / y_max)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{_xml(title)}" font-size="11" font-family="sans-serif">',
        f"<title>{_xml(title)}</title>",
    ]
    # Y axis: grid lines and tick labels.
    for k in range(round(y_max / step) + 1):
        tick = k * step
        y = y_at(tick)
        parts.append(
            f'<line class="chart-grid" x1="{MARGIN_LEFT}" x2="{width - MARGIN_RIGHT}" '
            f'y1="{y:.1f}" y2="{y:.1f}" stroke="#dde2ea"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="#5b6576">{_number(tick)}</text>'
        )
    bottom = MARGIN_TOP + plot_h
    parts.append(
        f'<line class="chart-axis" x1="{MARGIN_LEFT}" x2="{width - MARGIN_RIGHT}" '
        f'y1="{bottom}" y2="{bottom}" stroke="#5b6576"/>'
    )
    # X labels, thinned so that they do not overlap.
    every = max(1, math.ceil(LABEL_WIDTH / slot))
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{x_at(i):.1f}" y="{bottom + 16}" text-anchor="middle" '
                f'fill="#5b6576">{_xml(label)}</text>'
            )
    # The data.
    bar_w = slot * 0.8 / len(series)
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        marks = []
        for i, (label, value) in enumerate(s.points[: len(labels)]):
            tip = f"<title>{_xml(label)} · {_xml(s.name)}: {_number(value)}</title>"
            if kind == "bar":
                left = x_at(i) - slot * 0.4 + n * bar_w
                marks.append(
                    f'<rect x="{left:.1f}" y="{y_at(value):.1f}" width="{bar_w:.1f}" '
                    f'height="{bottom - y_at(value):.1f}" fill="{colour}">{tip}</rect>'
                )
            else:
                marks.append(
                    f'<circle cx="{x_at(i):.1f}" cy="{y_at(value):.1f}" r="3" '
                    f'fill="{colour}">{tip}</circle>'
                )
        if kind == "line" and len(s.points) > 1:
            path = " ".join(
                f"{x_at(i):.1f},{y_at(v):.1f}" for i, (_, v) in enumerate(s.points[: len(labels)])
            )
            parts.append(
                f'<polyline class="chart-line" points="{path}" fill="none" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        parts.append(f'<g class="chart-series">{"".join(marks)}</g>')
    # The legend, along the top.
    x = MARGIN_LEFT
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        parts.append(
            f'<rect x="{x}" y="8" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="18" fill="#1d2430">{_xml(s.name)}</text>'
        )
        x += 24 + 7 * len(s.name)
    parts.append("</svg>")
    return "".join(parts)
