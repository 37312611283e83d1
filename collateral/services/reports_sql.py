"""The SQL pieces every usage report shares: which events count under a report's filters,
and the day or week buckets its figures fall in."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, cast, func, or_, select, true
from sqlalchemy.types import Date

from ..extensions import db
from ..models import ROLES, Event, User, asset_term, event_term
from ..permissions import UPLOAD, roles_with
from .reports_params import COUNT_SALES, ReportParams

DAY_BUCKETS_UP_TO = timedelta(days=62)
USAGE_TYPES = ("view", "download")


def in_period(since: datetime, until: datetime) -> ColumnElement[bool]:
    return and_(Event.at >= since, Event.at < until)


def asset_filter(p: ReportParams, asset_id: Any = Event.asset_id) -> ColumnElement[bool]:
    """The asset carries a chosen term of every filtered kind (true when no filter)."""
    conditions = [
        asset_id.in_(select(asset_term.c.asset_id).where(asset_term.c.term_id.in_(ids)))
        for ids in p.term_ids.values()
    ]
    return and_(true(), *conditions)


def search_filter(p: ReportParams) -> ColumnElement[bool]:
    """The search event was filtered by a chosen term of every filtered kind."""
    conditions = [
        Event.id.in_(select(event_term.c.event_id).where(event_term.c.term_id.in_(ids)))
        for ids in p.term_ids.values()
    ]
    return and_(true(), *conditions)


def counted_events(p: ReportParams) -> ColumnElement[bool]:
    """Without filters every event counts; with them, views and downloads of matching assets
    and searches filtered by matching terms (a login has no product)."""
    if not p.term_ids:
        return counted_users(p)
    return and_(
        counted_users(p),
        or_(
            and_(Event.type.in_(USAGE_TYPES), asset_filter(p)),
            and_(Event.type == "search", search_filter(p)),
        ),
    )


def sales_roles() -> tuple[str, ...]:
    """The roles whose usage counts by default: those who do not make the collateral."""
    makers = roles_with(UPLOAD)
    return tuple(role for role in ROLES if role not in makers)


def counted_users(p: ReportParams, user_id: Any = Event.user_id) -> ColumnElement[bool]:
    """The event's user is one whose usage counts (true when counting everyone).

    Decided by the user's role now, not when the event happened: a rep promoted to marketer
    leaves the figures. An event with no user (a failed login) is not usage either way.
    """
    if p.count != COUNT_SALES:
        return true()
    return user_id.in_(select(User.id).where(User.role.in_(sales_roles())))


def bucket_size(p: ReportParams) -> str:
    return "day" if p.until - p.since <= DAY_BUCKETS_UP_TO else "week"


def bucket_expression(bucket: str) -> ColumnElement:
    """The first day of the event's day or week (weeks start on Monday), in SQL."""
    if db.session.get_bind().dialect.name == "sqlite":
        if bucket == "day":
            return func.date(Event.at)
        return func.date(Event.at, "weekday 0", "-6 days")
    return cast(func.date_trunc(bucket, Event.at), Date)


def bucket_start(day: date, bucket: str) -> date:
    return day if bucket == "day" else day - timedelta(days=day.weekday())


def bucket_starts(p: ReportParams, bucket: str) -> list[date]:
    """Every bucket the period touches, in order."""
    step = timedelta(days=1 if bucket == "day" else 7)
    current = bucket_start(p.since.date(), bucket)
    last = (p.until - timedelta(microseconds=1)).date()
    starts = []
    while current <= last:
        starts.append(current)
        current += step
    return starts


def as_date(value: Any) -> date:
    """A bucket value from the database (SQLite gives text) as a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
