"""Small multiples for the usage overview: one small inline SVG chart per measure, each with
its own y axis, so a measure counted in hundreds (searches) does not flatten one counted in
units (active reps).

Plain values in, escaped SVG out; no script and no inline style (the Content-Security-Policy
allows neither). Colours are presentation attributes that static/reports.css overrides by class,
so the charts follow the light or dark scheme. The SVGs scale with their viewBox: the page's CSS
makes each fill its cell, and the cells wrap from one column (phones) to three (laptops).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

WIDTH, HEIGHT = 400, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 30
FONT_SIZE = 13  # in viewBox units: about 11 px when a phone shrinks the chart to 340 px
LABEL_WIDTH = 78  # viewBox units an x label ("12 Nov") needs before the next may be drawn
FALLBACK_COLOURS = ("#0b5fa5", "#a1480c", "#0f7a55", "#8a3a78")  # reports.css sets the real ones


@dataclass(frozen=True)
class Measure:
    """One measure's values per bucket, and what to call it."""

    name: str  # e.g. "Downloads"
    values: Sequence[int]


def _xml(text: object) -> str:
    return escape(str(text), quote=True)


def _step(top: int, ticks: int = 4) -> int:
    """A round whole step (1, 2 or 5 times a power of ten) reaching `top` in about `ticks`."""
    if top <= ticks:
        return 1
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def day_label(day: date) -> str:
    """A short, unambiguous date for an axis: "3 Nov"."""
    return f"{day.day} {day.strftime('%b')}"


def summary(measure: Measure, starts: Sequence[date], bucket: str) -> str:
    """What the chart shows, in one sentence, for its accessible name."""
    total = sum(measure.values)
    span = f"{day_label(starts[0])} to {day_label(starts[-1])}" if starts else ""
    text = f"{measure.name} per {bucket}, {span}: {total:,} in all"
    if total:
        peak = max(measure.values)
        when = starts[list(measure.values).index(peak)]
        text += f", most on {day_label(when)} ({peak:,})"
    return text + "."


def small_chart(measure: Measure, starts: Sequence[date], bucket: str, colour: int) -> str:
    """One measure as columns per day or week, with its own y axis; "" with no buckets."""
    if not starts:
        return ""
    values = list(measure.values)[: len(starts)]
    top = max(values, default=0)
    step = _step(top)
    y_max = step * max(1, math.ceil(top / step))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(starts)
    bottom = TOP + plot_h

    def y_at(value: float) -> float:
        return TOP + plot_h * (1 - value / y_max)

    label = summary(measure, starts, bucket)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="small-chart measure-{colour}" '
        f'role="img" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="xMidYMid meet" '
        f'aria-label="{_xml(label)}" font-size="{FONT_SIZE}" font-family="sans-serif">',
        f"<title>{_xml(label)}</title>",
    ]
    for k in range(y_max // step + 1):  # the y axis: grid lines and their values
        y = y_at(k * step)
        parts.append(
            f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="#d0d5dd"/>'
            f'<text class="chart-tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="#4a5361">{k * step:,}</text>'
        )
    parts.append(
        f'<line class="chart-axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" '
        f'y2="{bottom}" stroke="#4a5361"/>'
    )
    every = max(1, math.ceil(LABEL_WIDTH / slot))  # x labels thinned so they never overlap
    for i, day in enumerate(starts):
        if i % every == 0:
            x = LEFT + slot * (i + 0.5)
            anchor = "start" if i == 0 and slot < LABEL_WIDTH / 2 else "middle"
            x = LEFT if anchor == "start" else x
            parts.append(
                f'<text class="chart-tick" x="{x:.1f}" y="{bottom + 20}" '
                f'text-anchor="{anchor}" fill="#4a5361">{_xml(day_label(day))}</text>'
            )
    width = max(1.0, slot * 0.7)
    fill = FALLBACK_COLOURS[colour % len(FALLBACK_COLOURS)]
    for i, (day, value) in enumerate(zip(starts, values, strict=False)):
        x = LEFT + slot * (i + 0.5) - width / 2
        height = bottom - y_at(value)
        parts.append(
            f'<rect class="chart-bar" x="{x:.1f}" y="{y_at(value):.1f}" width="{width:.1f}" '
            f'height="{height:.1f}" fill="{fill}"><title>{_xml(day_label(day))}: '
            f"{value:,} {_xml(measure.name.lower())}</title></rect>"
        )
    parts.append("</svg>")
    return "".join(parts)
