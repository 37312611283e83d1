"""Usage reports: downloads, views, searches and people over a period.

Every figure is an aggregate computed by the database (GROUP BY over the event table and its
indexes); events are never loaded into Python, so a report stays fast over millions of them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, distinct, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from ..errors import NotFound
from ..extensions import db
from ..models import Asset, Event, User, utcnow
from .report_rows import (
    AssetUsage,
    Overview,
    OverviewPoint,
    SearchRow,
    StaleAsset,
    TopAsset,
    Totals,
    UsedAsset,
    UserActivity,
    UserRow,
    VersionDownloads,
)
from .reports_params import (
    COUNT_CHOICES,
    COUNT_EVERYONE,
    COUNT_SALES,
    ReportParams,
    parse_report_params,
)
from .reports_sql import (
    USAGE_TYPES,
    as_date,
    asset_filter,
    bucket_expression,
    bucket_size,
    bucket_starts,
    counted_events,
    counted_users,
    in_period,
    search_filter,
)

__all__ = [  # the reports, with the parameters and rows they take and give
    "asset_usage",
    "overview",
    "searches",
    "stale_assets",
    "top_assets",
    "user_activity",
    "users_report",
    "AssetUsage",
    "Overview",
    "OverviewPoint",
    "ReportParams",
    "SearchRow",
    "StaleAsset",
    "TopAsset",
    "Totals",
    "UsedAsset",
    "UserActivity",
    "UserRow",
    "VersionDownloads",
    "parse_report_params",
    "COUNT_CHOICES",
    "COUNT_EVERYONE",
    "COUNT_SALES",
]


def _count(type: str) -> ColumnElement[int]:
    return func.sum(case((Event.type == type, 1), else_=0))


def _int(value: Any) -> int:
    return int(value or 0)


COUNTED_TYPES = ("download", "view", "search")


def _period(p: ReportParams) -> tuple[ColumnElement[bool], ...]:
    return (in_period(p.since, p.until), counted_events(p))


def _figures(since: datetime, until: datetime, *where: ColumnElement[bool]) -> Totals:
    """Downloads, views, searches and reps with an event between two moments, in one
    statement of index range counts (ix_event_type_at, and one ix_event_user_at seek per
    rep): no GROUP BY sort and, unfiltered, not a single table row read."""

    def count(type: str) -> Any:
        where_type = (Event.type == type, in_period(since, until), *where)
        return select(func.count()).where(*where_type).scalar_subquery()

    acted = select(Event.id).where(Event.user_id == User.id, in_period(since, until), *where)
    reps = select(func.count()).select_from(User).where(User.role == "rep", acted.exists())
    row = db.session.execute(select(*map(count, COUNTED_TYPES), reps.scalar_subquery())).one()
    return Totals(*(_int(v) for v in row))


def _totals(p: ReportParams) -> Totals:
    return _figures(p.since, p.until, counted_events(p))


def _overview_points(p: ReportParams, bucket: str) -> list[OverviewPoint]:
    """Each bucket's figures, counted over its part of the period."""
    starts = bucket_starts(p, bucket)
    points = []
    for i, day in enumerate(starts):
        lo = max(p.since, datetime.combine(day, time()))
        hi = (
            min(p.until, datetime.combine(starts[i + 1], time()))
            if i + 1 < len(starts)
            else p.until
        )
        f = _figures(lo, hi, counted_events(p))
        points.append(OverviewPoint(day, f.downloads, f.views, f.searches, f.active_reps))
    return points


def overview(p: ReportParams) -> Overview:
    """Downloads, views, searches and active reps per day (up to 62 days) or week, with the
    totals and those of the period of equal length before."""
    bucket = bucket_size(p)
    points = _overview_points(p, bucket)
    return Overview(bucket, points, _totals(p), _totals(p.previous))


def _assets(ids: list[int]) -> dict[int, Asset]:
    stmt = select(Asset).where(Asset.id.in_(ids)).options(joinedload(Asset.owner))
    return {asset.id: asset for asset in db.session.scalars(stmt)}


def top_assets(p: ReportParams) -> list[TopAsset]:
    """Assets by downloads, then views, in the period, counting the users `p.count` names;
    those neither viewed nor downloaded are left out."""
    downloads, views = _count("download").label("d"), _count("view").label("v")
    users = func.count(distinct(Event.user_id)).label("u")
    stmt = (
        select(Event.asset_id, downloads, views, users)
        .join(Asset, Asset.id == Event.asset_id)
        .where(
            Event.type.in_(USAGE_TYPES),
            in_period(p.since, p.until),
            asset_filter(p),
            counted_users(p),
        )
        .group_by(Event.asset_id)
        .order_by(downloads.desc(), views.desc(), Event.asset_id)
        .limit(p.limit)
    )
    rows = db.session.execute(stmt).all()
    assets = _assets([row.asset_id for row in rows])
    return [TopAsset(assets[r.asset_id], _int(r.d), _int(r.v), _int(r.u)) for r in rows]


def stale_assets(p: ReportParams) -> list[StaleAsset]:
    """Published, unexpired assets nobody downloaded in the `days` before `until`.

    An asset created within those days is not counted as unused yet: it has not had the
    chance. Never-downloaded first (oldest created first), then the oldest last download.
    """
    cutoff = p.until - timedelta(days=p.days)
    last = (
        select(Event.asset_id.label("asset_id"), func.max(Event.at).label("last_at"))
        .where(Event.type == "download", Event.at < p.until, counted_users(p))
        .group_by(Event.asset_id)
        .subquery()
    )
    stmt = (
        select(Asset, last.c.last_at)
        .outerjoin(last, last.c.asset_id == Asset.id)
        .where(
            Asset.status == "published",
            or_(Asset.expires_at.is_(None), Asset.expires_at >= utcnow().date()),
            Asset.created_at < cutoff,
            or_(last.c.last_at.is_(None), last.c.last_at < cutoff),
            asset_filter(p, Asset.id),
        )
        .order_by(last.c.last_at.is_not(None), last.c.last_at, Asset.created_at, Asset.id)
        .limit(p.limit)
        .options(joinedload(Asset.owner))
    )
    return [StaleAsset(asset, last_at, asset.owner) for asset, last_at in db.session.execute(stmt)]


def _search_stmt(*conditions: ColumnElement[bool]) -> Select:
    """Search runs grouped by normalized query: query, count, last_at, avg, zero, opened."""
    follow = aliased(Event)
    followed = (
        select(follow.id)
        .where(follow.search_event_id == Event.id, follow.type.in_(USAGE_TYPES))
        .exists()
    )
    return (
        select(
            Event.search_query,
            func.count().label("count"),
            func.max(Event.at).label("last_at"),
            func.avg(Event.result_count),
            func.sum(case((Event.result_count == 0, 1), else_=0)),
            func.sum(case((followed, 1), else_=0)).label("opened"),
        )
        .where(Event.type == "search", Event.search_query.is_not(None), *conditions)
        .group_by(Event.search_query)
    )


def _search_rows(stmt: Select) -> list[SearchRow]:
    return [
        SearchRow(query, _int(count), last_at, float(avg or 0), _int(zero), _int(opened))
        for query, count, last_at, avg, zero, opened in db.session.execute(stmt)
    ]


def searches(p: ReportParams) -> list[SearchRow]:
    """Queries by how often they were run, then the most recent.

    `zero_results` keeps only the runs that found nothing (the content gaps); `unopened` only
    queries that found something but none of whose runs led to a view or download.
    """
    conditions = [in_period(p.since, p.until), search_filter(p), counted_users(p)]
    if p.zero_results:
        conditions.append(Event.result_count == 0)
    if p.unopened:
        conditions.append(Event.result_count > 0)
    stmt = _search_stmt(*conditions)
    if p.unopened:
        stmt = stmt.having(stmt.selected_columns.opened == 0)
    count, last_at = stmt.selected_columns.count, stmt.selected_columns.last_at
    stmt = stmt.order_by(count.desc(), last_at.desc(), Event.search_query).limit(p.limit)
    return _search_rows(stmt)


def _user_stmt(p: ReportParams, *where: ColumnElement[bool]) -> Select:
    """Users with their figures: grouped over the events first, then joined to the users."""
    per_user = (
        select(
            Event.user_id.label("user_id"),
            _count("search").label("s"),
            _count("view").label("v"),
            _count("download").label("d"),
            func.max(Event.at).label("last"),
        )
        .where(Event.user_id.is_not(None), *_period(p), *where)
        .group_by(Event.user_id)
        .subquery()
    )
    c = per_user.c
    return (
        select(User, c.s, c.v, c.d, c.last)
        .join(per_user, c.user_id == User.id)
        .order_by(c.d.desc(), c.v.desc(), c.s.desc(), User.email)
    )


def _user_rows(stmt: Select) -> list[UserRow]:
    return [
        UserRow(user, _int(s), _int(v), _int(d), last)
        for user, s, v, d, last in db.session.execute(stmt)
    ]


def users_report(p: ReportParams) -> list[UserRow]:
    """Active users with an event in the period (with filters: a matching search, view or
    download), by downloads, then views, then searches; at most `limit`."""
    return _user_rows(_user_stmt(p).where(User.active.is_(True)).limit(p.limit))


def user_activity(user_id: int, p: ReportParams) -> UserActivity:
    """One user's figures, the assets they used (latest first) and their searches.

    Whatever `p.count` says, this person's own events count: the page asks about them.
    """
    p = replace(p, count=COUNT_EVERYONE)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    rows = _user_rows(_user_stmt(p, Event.user_id == user_id))
    row = rows[0] if rows else UserRow(user, 0, 0, 0, None)
    last_at = func.max(Event.at).label("last_at")
    stmt = (
        select(Event.asset_id, _count("view"), _count("download"), last_at)
        .join(Asset, Asset.id == Event.asset_id)
        .where(
            Event.user_id == user_id,
            Event.type.in_(USAGE_TYPES),
            in_period(p.since, p.until),
            asset_filter(p),
        )
        .group_by(Event.asset_id)
        .order_by(last_at.desc(), Event.asset_id)
        .limit(p.limit)
    )
    used = db.session.execute(stmt).all()
    assets = _assets([asset_id for asset_id, *_ in used])
    searched = _search_stmt(Event.user_id == user_id, in_period(p.since, p.until), search_filter(p))
    searched = searched.order_by(searched.selected_columns.last_at.desc()).limit(p.limit)
    return UserActivity(
        user,
        row,
        [UsedAsset(assets[a], _int(v), _int(d), last) for a, v, d, last in used],
        _search_rows(searched),
    )


def _points(p: ReportParams, bucket: str, *where: ColumnElement[bool]) -> list[OverviewPoint]:
    """Grouped per bucket, for few events (one asset's, on ix_event_asset_at); zeros filled in."""
    start = bucket_expression(bucket).label("bucket")
    by_type = select(start, Event.type, func.count()).where(Event.type.in_(COUNTED_TYPES), *where)
    counts: dict[tuple[date, str], int] = {}
    for day, type, count in db.session.execute(by_type.group_by(start, Event.type)):
        counts[as_date(day), type] = _int(count)
    reps = select(User.id).where(User.role == "rep")
    by_rep = select(start, func.count(distinct(Event.user_id))).where(
        Event.user_id.in_(reps), *where
    )
    active = {as_date(day): _int(n) for day, n in db.session.execute(by_rep.group_by(start))}
    return [
        OverviewPoint(day, *(counts.get((day, t), 0) for t in COUNTED_TYPES), active.get(day, 0))
        for day in bucket_starts(p, bucket)
    ]


def asset_usage(asset_id: int, p: ReportParams) -> AssetUsage:
    """One asset's views and downloads over time, who downloaded which version, and the
    searches that led to it (term filters do not apply: it is one asset)."""
    asset = db.session.get(Asset, asset_id, options=[joinedload(Asset.owner)])
    if asset is None:
        raise NotFound(f"No asset with id {asset_id}.")
    used = (
        Event.asset_id == asset_id,
        Event.type.in_(USAGE_TYPES),
        in_period(p.since, p.until),
        counted_users(p),
    )
    bucket = bucket_size(p)
    points = _points(p, bucket, *used)
    start = bucket_expression(bucket).label("bucket")
    led_by = select(start, func.count(distinct(Event.search_event_id))).where(*used)
    led = {as_date(day): _int(n) for day, n in db.session.execute(led_by.group_by(start))}
    for point in points:
        point.searches = led.get(point.start, 0)  # the searches that led to this asset

    downloads, last_at = func.count().label("n"), func.max(Event.at).label("last_at")
    stmt = (
        select(Event.user_id, Event.version_number, downloads, last_at)
        .where(
            Event.asset_id == asset_id,
            Event.type == "download",
            in_period(p.since, p.until),
            counted_users(p),
        )
        .group_by(Event.user_id, Event.version_number)
        .order_by(downloads.desc(), last_at.desc(), Event.user_id, Event.version_number)
        .limit(p.limit)
    )
    rows = db.session.execute(stmt).all()
    users = {
        u.id: u for u in db.session.scalars(select(User).where(User.id.in_([r[0] for r in rows])))
    }
    by_user = [VersionDownloads(users.get(u) if u else None, v, n, at) for u, v, n, at in rows]

    led = select(Event.search_event_id).where(*used, Event.search_event_id.is_not(None))
    leading = _search_stmt(Event.id.in_(led))
    count = leading.selected_columns.count
    leading = leading.order_by(count.desc(), leading.selected_columns.last_at.desc()).limit(p.limit)
    return AssetUsage(asset, bucket, points, by_user, _search_rows(leading))
