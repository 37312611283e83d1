"""Reading the audit log: filters, pages of events and the CSV export."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from ..csv_export import csv_rows
from ..extensions import db
from ..models import MAX_ID, Event, User
from ..query_params import parse_moment, positive_int


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
    stmt = _filtered(filters).order_by(Event.at, Event.id).execution_options(yield_per=1000)

    def rows() -> Iterator[dict[str, Any]]:
        for event, email in db.session.execute(stmt):
            row = event_as_dict(event, email)
            row["detail"] = json.dumps(row["detail"], ensure_ascii=False, sort_keys=True)
            yield row

    yield from csv_rows(CSV_COLUMNS, rows())


def parse_event_filters(args: Mapping[str, str]) -> EventFilters:
    """Audit log filters from a query string: since, until, user (email), type, asset."""
    asset = args.get("asset")
    return EventFilters(
        since=parse_moment(args.get("since"), "since"),
        until=parse_moment(args.get("until"), "until"),
        user_email=args.get("user") or None,
        type=args.get("type") or None,
        asset_id=positive_int(asset, "asset", 0, MAX_ID) or None,
    )
