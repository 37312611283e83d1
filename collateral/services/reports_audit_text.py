"""An audit event's detail as a line a person reads ("title: 'Old' → 'New'; products: added
Atlas CRM") rather than JSON. For the audit log page only: the API and the CSV export keep the
detail object as recorded.

The shapes come from the services that record events: `changes` is {field: [old, new]} for
assets and users, and {field: new value} for share links; `filters` is {kind: [names]} for
searches; the rest are plain values.
"""

from __future__ import annotations

from typing import Any

LONG_TEXT = 80  # characters of a value shown before it is cut
DIGEST_SHOWN = 12  # hex digits of a sha256 shown: enough to tell two files apart by eye
ARROW = "→"


def _label(key: str) -> str:
    return key.replace("_", " ")


def _cut(text: str, limit: int = LONG_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scalar(value: Any) -> str:
    """One value: text quoted, numbers grouped, yes/no, none."""
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(_scalar(item).strip("'") for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{_label(k)} {_scalar(v).strip(chr(39))}" for k, v in value.items())
    return f"'{_cut(str(value))}'"


def _list_change(old: list, new: list) -> str:
    """What a list field gained and lost, e.g. "added Atlas CRM; removed Beacon"."""
    added = [str(item) for item in new if item not in old]
    removed = [str(item) for item in old if item not in new]
    parts = []
    if added:
        parts.append("added " + ", ".join(added))
    if removed:
        parts.append("removed " + ", ".join(removed))
    return ", ".join(parts) or "reordered"


def _change(field: str, change: Any) -> str:
    """One entry of `changes`: a pair [old, new], or (share links) just the new value."""
    if isinstance(change, list) and len(change) == 2:
        old, new = change
        pair = (old, new)
        if any(isinstance(v, list) for v in pair) and all(
            v is None or isinstance(v, list) for v in pair
        ):
            return f"{_label(field)}: {_list_change(old or [], new or [])}"
        return f"{_label(field)}: {_scalar(old)} {ARROW} {_scalar(new)}"
    return f"{_label(field)}: {_scalar(change)}"


def _entry(key: str, value: Any) -> str:
    if key == "changes" and isinstance(value, dict):
        return "; ".join(_change(field, change) for field, change in value.items())
    if key == "sha256" and isinstance(value, str):
        return f"sha256: {value[:DIGEST_SHOWN]}…"
    if key == "size" and isinstance(value, int):
        return f"size: {value:,} bytes"
    if key == "place" and isinstance(value, list) and len(value) == 2:
        return f"place: {value[0]} {ARROW} {value[1]}"
    if key == "filters" and isinstance(value, dict):
        chosen = {k: v for k, v in value.items() if v not in (None, "", [])}
        return f"filters: {_scalar(chosen)}" if chosen else "filters: none"
    return f"{_label(key)}: {_scalar(value)}"


def describe_detail(detail: dict[str, Any] | None) -> str:
    """The detail object of an event as text; "" when there is none. Changes come first."""
    if not detail:
        return ""
    keys = sorted(detail, key=lambda key: key != "changes")  # stable: others keep their order
    return "; ".join(_entry(key, detail[key]) for key in keys)
