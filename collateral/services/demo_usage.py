"""Sixty days of made-up usage for the demo, so every report shows something on first run.

The plan (`demo_usage.plan_usage`) is written as the events the app itself records: searches
with their real result counts and filter terms, views and downloads that name the search that
led to them, links made through the share service, and buyer visits with seconds per page.
Events go in with a few bulk statements: loading takes well under a second.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select, update

from ..demo_usage import DEMO_TEAM, GAP_QUERIES, QUERIES, PlannedShare, plan_usage
from ..extensions import db
from ..models import (
    Asset,
    Event,
    Share,
    ShareAsset,
    SharePageTime,
    ShareVisit,
    User,
    event_term,
    utcnow,
)
from . import accounts
from .actor import Actor
from .audit import normalized_query
from .reports_sql import sales_roles
from .search import SearchParams, search_assets
from .shares import new_token, token_hash


@dataclass
class DemoUsage:
    searches: int = 0
    views: int = 0
    downloads: int = 0
    shares: int = 0
    visits: int = 0


def _ensure_team() -> None:
    for email, role, name, password in DEMO_TEAM:
        if accounts.find_user(email) is None:
            accounts.create_user(email, role, password, name)


def _found(actor: Actor, queries: set[str]) -> dict[str, list[Asset]]:
    """What each query finds for a rep, best first: real searches, not audited."""
    return {
        q: [item.asset for item in search_assets(actor, SearchParams(q=q), audit=False).items]
        for q in sorted(queries)
    }


def load_demo_usage() -> DemoUsage:
    """Write the demo's usage once: a library that already has views or searches keeps its own."""
    result = DemoUsage()
    used = select(Event.id).where(Event.type.in_(("view", "download", "search"))).limit(1)
    if db.session.scalar(used) is not None:
        return result
    _ensure_team()
    team = list(
        db.session.scalars(
            select(User)
            .where(User.role.in_(sales_roles()), User.active.is_(True))
            .order_by(User.id)
        )
    )
    if not team:
        return result
    by_email = {u.email: u for u in team}
    published = list(
        db.session.scalars(select(Asset).where(Asset.status == "published").order_by(Asset.id))
    )
    by_title = {a.title: a for a in published}
    reader = next(u for u in team if u.role == sales_roles()[0])
    found = _found(Actor.of(reader), set(QUERIES) | set(GAP_QUERIES))
    pages = {
        a.title: (a.current_version.page_count or 4) if a.current_version else 4 for a in published
    }
    now = utcnow()
    plan = plan_usage(
        now.date(),
        now,
        [u.email for u in team],
        list(by_title),
        {q: [a.title for a in assets] for q, assets in found.items()},
        pages,
    )

    searches = []
    for planned in plan.searches:
        results = found[planned.query]
        event = Event(
            type="search",
            user_id=by_email[planned.user].id,
            at=planned.at,
            detail={
                "query": planned.query,
                "filters": {},
                "results": len(results),
                "sort": "relevance",
            },
            search_query=normalized_query(planned.query),
            result_count=len(results),
        )
        searches.append((planned, event))
    db.session.add_all(event for _, event in searches)
    db.session.flush()  # the search ids, for the views and downloads they led to
    terms = [
        {"event_id": event.id, "term_id": term.id}
        for planned, event in searches
        if found[planned.query]
        for term in found[planned.query][0].terms
        if term.kind == "product" and planned.query in ("pricing", "roi", "case study")
    ]
    uses = [
        (by_email[planned.user], use, event.id)
        for planned, event in searches
        for use in planned.opened
    ] + [(by_email[email], use, None) for email, use in plan.uses]
    rows = []
    downloads: dict[int, int] = {}
    for user, use, search_id in uses:
        asset = by_title[use.title]
        rows.append(
            {
                "type": use.type,
                "user_id": user.id,
                "asset_id": asset.id,
                "version_number": asset.current_version_number,
                "at": use.at,
                "detail": {},
                "search_event_id": search_id,
            }
        )
        if use.type == "download":
            downloads[asset.id] = downloads.get(asset.id, 0) + 1
    if rows:
        db.session.execute(insert(Event), rows)
    if terms:
        db.session.execute(insert(event_term), terms)
    for asset_id, count in downloads.items():
        db.session.execute(
            update(Asset)
            .where(Asset.id == asset_id)
            .values(download_count=Asset.download_count + count)
        )
    db.session.commit()
    result.searches = len(searches)
    result.views = sum(1 for row in rows if row["type"] == "view")
    result.downloads = sum(downloads.values())

    for planned in plan.shares:
        _share(by_email[planned.user], [by_title[t] for t in planned.titles], planned)
        result.shares += 1
        result.visits += len(planned.visits)
    db.session.commit()
    return result


def _share(user: User, assets: list[Asset], planned: PlannedShare) -> None:
    """A link as the share service makes it, sent on the planned day, and its buyers' visits.

    Written here rather than through `create_share`, which dates the link and its audit event
    now: the audit log is append-only, so an event cannot be moved to the past afterwards.
    """
    token = new_token()
    title = assets[0].title if len(assets) == 1 else f"For {planned.recipient or 'a buyer'}"
    share = Share(
        token=token,
        token_hash=token_hash(token),
        title=title,
        recipient=planned.recipient,
        expires_at=planned.at + timedelta(days=90),
        created_by_id=user.id,
        created_at=planned.at,
    )
    share.items = [ShareAsset(asset_id=a.id, position=i) for i, a in enumerate(assets)]
    db.session.add(share)
    db.session.flush()
    db.session.add(
        Event(
            type="share_created",
            user_id=user.id,
            asset_id=assets[0].id if len(assets) == 1 else None,
            at=planned.at,
            detail={
                "share": share.id,
                "assets": [a.id for a in assets],
                "collection": None,
                "title": title,
                "recipient": planned.recipient,
            },
        )
    )
    first = share.items[0].asset_id
    for visit in planned.visits:
        row = ShareVisit(
            share_id=share.id,
            visitor_key=secrets.token_hex(16),
            secret=secrets.token_urlsafe(24),
            started_at=visit.at,
            last_seen_at=visit.at + timedelta(seconds=sum(visit.seconds)),
            email=visit.email,
            seconds=sum(visit.seconds),
            downloads=1 if visit.downloaded else 0,
        )
        db.session.add(row)
        db.session.flush()
        db.session.add_all(
            SharePageTime(visit_id=row.id, asset_id=first, page=n, seconds=s)
            for n, s in enumerate(visit.seconds, start=1)
        )
        db.session.add(
            Event(
                type="share_visit",
                at=visit.at,
                detail={"share": share.id, "visit": row.id, "email": visit.email},
            )
        )
        if visit.downloaded:
            db.session.add(
                Event(
                    type="share_download",
                    at=visit.at + timedelta(minutes=2),
                    asset_id=first,
                    detail={"share": share.id, "visit": row.id},
                )
            )
