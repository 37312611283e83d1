"""What a usage report is asked for: its period and filters, read from a query string, and
the SQL pieces every report shares (the filter conditions and the day or week buckets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, cast, func, or_, select, true
from sqlalchemy.types import Date

from ..errors import InvalidInput
from ..extensions import db
from ..models import Event, asset_term, event_term, utcnow
from ..query_params import parse_moment, positive_int
from .taxonomy import resolve_terms

FILTER_KINDS = ("product", "industry", "stage")
DEFAULT_PERIOD = timedelta(days=30)
MAX_PERIOD = timedelta(days=3660)  # ten years of weekly points is already 520 of them
DAY_BUCKETS_UP_TO = timedelta(days=62)
USAGE_TYPES = ("view", "download")
TRUE_WORDS, FALSE_WORDS = ("true", "1"), ("false", "0", "")


@dataclass
class ReportParams:
    since: datetime  # inclusive, naive UTC
    until: datetime  # exclusive, naive UTC
    # "product"/"industry"/"stage" -> term ids: OR within a kind, AND across kinds.
    term_ids: dict[str, list[int]] = field(default_factory=dict)
    limit: int = 50  # 1..1000
    days: int = 90  # unused content only, 1..3650
    zero_results: bool = False  # searches: only runs that found nothing
    unopened: bool = False  # searches: only queries with results whose runs nobody opened

    @property
    def previous(self) -> ReportParams:
        """The period of equal length just before this one, with the same filters."""
        length = self.until - self.since
        start = self.since - length if self.since - datetime.min > length else datetime.min
        return ReportParams(start, self.since, self.term_ids, self.limit, self.days)


def _flag(args, name: str) -> bool:
    raw = (args.get(name) or "").strip().lower()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise InvalidInput(f"{name}: {args.get(name)!r} is not true, false, 1 or 0.", field=name)


def _until(raw: str | None) -> datetime | None:
    """`until` is exclusive; a date without a time means through the end of that day."""
    moment = parse_moment(raw, "until")
    if moment is None:
        return None
    try:
        date.fromisoformat(raw.strip())
    except ValueError:
        return moment
    try:
        return moment + timedelta(days=1)
    except OverflowError:
        raise InvalidInput(f"until: {raw!r} is out of range.", field="until") from None


# Periods stay well inside the calendar, so buckets and look-backs never leave it.
EARLIEST = datetime(1900, 1, 1)
LATEST = datetime(9000, 1, 1)


def parse_report_params(args) -> ReportParams:
    """A report's period and filters from a query string (a werkzeug MultiDict).

    Default: the 30 days up to now. A bad value is a 400 that names its field.
    """
    since = parse_moment(args.get("since"), "since")
    until = _until(args.get("until"))
    if until is None:
        until = utcnow()
    if since is None:
        since = max(until - DEFAULT_PERIOD, EARLIEST) if until > EARLIEST else EARLIEST
    if since < EARLIEST:
        raise InvalidInput("since: must be in 1900 or later.", field="since")
    if until > LATEST:
        raise InvalidInput("until: must be before 9000.", field="until")
    if since >= until:
        raise InvalidInput("since: must be before until.", field="since")
    if until - since > MAX_PERIOD:
        raise InvalidInput("since: a report covers at most ten years.", field="since")
    term_ids = {}
    for kind in FILTER_KINDS:
        names = [n for n in args.getlist(kind) if n.strip()]
        if names:
            term_ids[kind] = [t.id for t in resolve_terms(kind, names, kind)]
    params = ReportParams(
        since=since,
        until=until,
        term_ids=term_ids,
        limit=positive_int(args.get("limit"), "limit", 50, 1000),
        days=positive_int(args.get("days"), "days", 90, 3650),
        zero_results=_flag(args, "zero_results"),
        unopened=_flag(args, "unopened"),
    )
    if params.zero_results and params.unopened:
        raise InvalidInput(
            "unopened: a query that found nothing has nothing to open; ask for zero_results "
            "or unopened, not both.",
            field="unopened",
        )
    return params


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
        return true()
    return or_(
        and_(Event.type.in_(USAGE_TYPES), asset_filter(p)),
        and_(Event.type == "search", search_filter(p)),
    )


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
