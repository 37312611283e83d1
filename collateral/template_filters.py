"""Sizes and dates as people write them, one way on every page.

Sizes count in units of 1024 (the upload limit is set in such megabytes) and read like
"60 MB", "3.2 MB" or "812 bytes", never "61440.0 KB". Dates read "7 Dec 2026" and moments
"7 Dec 2026, 14:05 UTC", inside a <time> element whose datetime attribute machines read.
Stored moments are naive UTC (models.utcnow); an aware one is converted to UTC first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask
from markupsafe import Markup, escape

SIZE_UNITS = ("KB", "MB", "GB", "TB")


def size_text(size: int | float | None) -> str:
    """A byte count as people write it: one decimal below 10 of a unit, whole numbers above."""
    if size is None:
        return ""
    value = float(size)
    if value < 1024:
        whole = int(value)
        return f"{whole} byte{'' if whole == 1 else 's'}"
    unit = ""
    for unit in SIZE_UNITS:
        value /= 1024
        if round(value, 1) < 1024 or unit == SIZE_UNITS[-1]:
            break
    text = f"{value:.1f}".removesuffix(".0") if round(value, 1) < 10 else f"{value:.0f}"
    return f"{text} {unit}"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def day_text(value: date | datetime | None) -> str:
    """ "7 Dec 2026"; a moment gives its UTC day."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _utc(value).date()
    return f"{value.day} {value:%b %Y}"


def moment_text(value: datetime | None) -> str:
    """ "7 Dec 2026, 14:05 UTC"."""
    if value is None:
        return ""
    value = _utc(value)
    return f"{day_text(value)}, {value:%H:%M} UTC"


def _iso(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return _utc(value).isoformat(timespec="seconds") + "Z"
    return value.isoformat()


def day_tag(value: date | datetime | None) -> Markup:
    """The day in a <time> element: `{{ asset.expires_at|day }}`."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="%s">%s</time>') % (_iso(value), day_text(value))


def moment_tag(value: datetime | None) -> Markup:
    """The moment (UTC) in a <time> element: `{{ version.uploaded_at|moment }}`."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="%s">%s</time>') % (_iso(value), escape(moment_text(value)))


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        filesize=size_text,
        day=day_tag,
        moment=moment_tag,
        day_text=day_text,
        moment_text=moment_text,
    )
