"""Reading numbers and moments from a query string, with messages that name the field."""

from __future__ import annotations

from datetime import UTC, datetime

from .errors import InvalidInput

MAX_PAGE = 1_000_000


def positive_int(raw: str | None, name: str, default: int, maximum: int | None = None) -> int:
    """A whole number from 1 (to `maximum`), or `default` when absent."""
    if raw in (None, ""):
        return default
    try:
        value = int(raw) if raw.isascii() else int("x")  # int() also reads digits like "²"
    except ValueError:
        raise InvalidInput(f"{name}: must be a whole number.", field=name) from None
    if value < 1 or (maximum is not None and value > maximum):
        limit = f" from 1 to {maximum}" if maximum else " of at least 1"
        raise InvalidInput(f"{name}: must be a number{limit}.", field=name)
    return value


def parse_moment(raw: str | None, name: str) -> datetime | None:
    """An ISO 8601 date or time, as naive UTC."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise InvalidInput(
            f"{name}: {raw!r} is not an ISO 8601 date or time, e.g. 2026-01-31 or "
            "2026-01-31T09:00:00Z.",
            field=name,
        ) from None
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            raise InvalidInput(f"{name}: {raw!r} is out of range.", field=name) from None
    return moment
