"""The audit log: one way to record an event, and ways to read them. Never edits or deletes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, select

from ..display_text import strip_bidi_controls
from ..extensions import db
from ..models import Asset, Event, User, event_term
from .resources import client_ip


def current_actor() -> User | None:
    """The signed-in user of this request, if any (None in the command line)."""
    from flask import has_request_context
    from flask_login import current_user

    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def record_event(
    type: str,
    user: User | None = None,
    asset: Asset | int | None = None,
    version: int | None = None,
    *,
    search_event_id: int | None = None,
    **detail: Any,
) -> Event:
    """Add an event to the current transaction; the caller's commit makes it permanent.

    `search_event_id` names the search whose results led to a view or download.
    """
    asset_id = asset.id if isinstance(asset, Asset) else asset
    event = Event(
        type=type,
        user_id=user.id if user is not None and user.is_authenticated else None,
        asset_id=asset_id,
        version_number=version,
        detail=detail,
        ip=client_ip(),
        search_event_id=search_event_id,
    )
    db.session.add(event)
    return event


def note_refusal(reason: str, asset_id: int | None = None) -> None:
    """Mark this request as refused, to be audited once its own work is rolled back.

    For refusals that do not look like one (a hidden asset answered with 404); every 403
    is audited anyway, and this adds why.
    """
    from flask import g, has_request_context

    if has_request_context():
        g.collateral_refusal = {"reason": reason[:300], "asset_id": asset_id}


def take_refusal_note() -> dict[str, Any] | None:
    """The refusal noted in this request, if any, forgotten once taken."""
    from flask import g

    return g.pop("collateral_refusal", None)


def record_refusal(method: str, path: str, status: int, note: dict[str, Any]) -> Event:
    """Audit a refused request as a `forbidden` event, in its own transaction."""
    event = record_event(
        "forbidden",
        current_actor(),
        note.get("asset_id"),
        method=method,
        path=path[:500],
        status=status,
        reason=note.get("reason", "refused"),
    )
    db.session.commit()
    return event


def normalized_query(text: str) -> str:
    """A query as reports group it and show it to others: case-folded, with single spaces,
    without bidi controls."""
    return " ".join(strip_bidi_controls(text).split()).casefold()


def record_search(
    user: User, query: str, filters: dict, results: int, sort: str, term_ids: list[int]
) -> Event:
    """Add a search event, with the query and result count reports group by, and its filter
    terms (so reports can be filtered by product, industry or stage); returns it flushed."""
    event = record_event("search", user, query=query, filters=filters, results=results, sort=sort)
    event.search_query = normalized_query(query)[:500]
    event.result_count = results
    db.session.flush()
    if term_ids:
        db.session.execute(
            insert(event_term), [{"event_id": event.id, "term_id": i} for i in set(term_ids)]
        )
    return event


def search_origin(user: User, raw: str | None) -> int | None:
    """The user's own search event named by a `search` link parameter, else None.

    Only attribution: a stale, foreign or malformed value is ignored, never an error.
    """
    from ..query_params import MAX_ID  # imported here: query_params imports this module

    if not raw or not raw.isascii() or not raw.isdigit() or int(raw) > MAX_ID:
        return None
    event = db.session.get(Event, int(raw))
    if event is None or event.type != "search" or event.user_id != user.id:
        return None
    return event.id


@dataclass
class EventFilters:
    since: datetime | None = None
    until: datetime | None = None
    user_email: str | None = None
    type: str | None = None
    asset_id: int | None = None


def _filtered(filters: EventFilters) -> Select:
    stmt = select(Event, User.email).outerjoin(User, Event.user_id == User.id)
    if filters.since:
        stmt = stmt.where(Event.at >= filters.since)
    if filters.until:
        stmt = stmt.where(Event.at < filters.until)
    if filters.user_email:
        stmt = stmt.where(func.lower(User.email) == filters.user_email.lower())
    if filters.type:
        stmt = stmt.where(Event.type == filters.type)
    if filters.asset_id is not None:
        stmt = stmt.where(Event.asset_id == filters.asset_id)
    return stmt


def event_as_dict(event: Event, email: str | None) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(timespec="seconds") + "Z",
        "type": event.type,
        "user": email,
        "asset": event.asset_id,
        "version": event.version_number,
        "detail": event.detail or {},
        "ip": event.ip,
    }


def list_events(filters: EventFilters, page: int, per_page: int) -> tuple[int, list[dict]]:
    """One page of events, newest first, and the total that match."""
    stmt = _filtered(filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.execute(
        stmt.order_by(Event.at.desc(), Event.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return total, [event_as_dict(event, email) for event, email in rows]


CSV_COLUMNS = ("id", "at", "type", "user", "asset", "version", "detail", "ip")


def iter_events_csv(filters: EventFilters) -> Iterator[str]:
    """The matching events as CSV text, oldest first, streamed in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    stmt = _filtered(filters).order_by(Event.at, Event.id).execution_options(yield_per=1000)
    for count, (event, email) in enumerate(db.session.execute(stmt), start=1):
        row = event_as_dict(event, email)
        row["detail"] = json.dumps(row["detail"], ensure_ascii=False, sort_keys=True)
        writer.writerow([_csv_safe(row[c]) for c in CSV_COLUMNS])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas in user-supplied text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value
