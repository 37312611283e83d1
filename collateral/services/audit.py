"""The audit log's one way in: `record_event`, used by every service. Never edits or deletes;
reading the log is services/audit_log.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from ..display_text import strip_bidi_controls
from ..extensions import db
from ..models import MAX_ID, Asset, Event, User, event_term
from .actor import Actor


def record_event(
    type: str,
    actor: Actor,
    asset: Asset | int | None = None,
    version: int | None = None,
    *,
    search_event_id: int | None = None,
    **detail: Any,
) -> Event:
    """Add an event by `actor` to the current transaction; the caller's commit makes it
    permanent. `search_event_id` names the search whose results led to a view or download.
    """
    assert isinstance(actor, Actor), "record_event takes an Actor (services.actor)"
    asset_id = asset.id if isinstance(asset, Asset) else asset
    event = Event(
        type=type,
        user_id=actor.user.id if actor.user is not None else None,
        asset_id=asset_id,
        version_number=version,
        detail=detail,
        ip=actor.ip,
        search_event_id=search_event_id,
    )
    db.session.add(event)
    return event


def record_refusal(
    actor: Actor, method: str, path: str, status: int, note: dict[str, Any]
) -> Event:
    """Audit a refused request as a `forbidden` event, in its own transaction."""
    event = record_event(
        "forbidden",
        actor,
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
    actor: Actor, query: str, filters: dict, results: int, sort: str, term_ids: list[int]
) -> Event:
    """Add a search event, with the query and result count reports group by, and its filter
    terms (so reports can be filtered by product, industry or stage); returns it flushed."""
    event = record_event("search", actor, query=query, filters=filters, results=results, sort=sort)
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
    if not raw or not raw.isascii() or not raw.isdigit() or int(raw) > MAX_ID:
        return None
    event = db.session.get(Event, int(raw))
    if event is None or event.type != "search" or event.user_id != user.id:
        return None
    return event.id
