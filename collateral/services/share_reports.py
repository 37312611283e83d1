"""What buyers read: per asset (links, visits, time, downloads), and per deck the seconds on
each page and how far visits got before they stopped reading. Aggregated by SQL, filtered by
period and taxonomy like the other usage reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import distinct, func, select

from ..extensions import db
from ..models import Asset, Event, Share, ShareAsset, SharePageTime, ShareVisit
from .reports_params import ReportParams, parse_report_params
from .reports_sql import asset_filter, in_period

DECKS_SHOWN = 6
READ_SECONDS = 1.0  # a page counts as reached once a visit spent this long on it


@dataclass
class EngagementRow:
    asset_id: int
    title: str
    shares: int = 0
    visits: int = 0
    readers: int = 0  # visits that spent time on this asset
    seconds: float = 0.0
    downloads: int = 0

    @property
    def average_seconds(self) -> float:
        """Seconds per visit that read it."""
        return self.seconds / self.readers if self.readers else 0.0


@dataclass
class PagePoint:
    page: int
    seconds: float
    average_seconds: float
    reached: int
    reach_percent: float


@dataclass
class DeckReport:
    asset_id: int
    title: str
    readers: int
    pages: list[PagePoint] = field(default_factory=list)

    @property
    def drop_page(self) -> int | None:
        """The page after which the most readers stopped."""
        best, drop = None, 0
        for here, after in zip(self.pages, self.pages[1:], strict=False):
            if here.reached - after.reached > drop:
                best, drop = here.page, here.reached - after.reached
        return best


@dataclass
class EngagementReport:
    params: ReportParams
    rows: list[EngagementRow]
    decks: list[DeckReport]


def parse_engagement_params(args) -> ReportParams:
    return parse_report_params(args)


def form_values(args, p: ReportParams) -> dict[str, Any]:
    """The values the period form shows again."""
    return {
        "since": args.get("since") or p.since.date().isoformat(),
        "until": args.get("until") or (p.until - timedelta(microseconds=1)).date().isoformat(),
        "limit": args.get("limit") or p.limit,
        **{kind: args.getlist(kind) for kind in ("product", "industry", "stage")},
    }


def engagement_report(p: ReportParams, decks: int = DECKS_SHOWN) -> EngagementReport:
    """Per asset the links made in the period and the visits, time and downloads in it."""
    visit_in_period = (ShareVisit.started_at >= p.since) & (ShareVisit.started_at < p.until)
    rows: dict[int, EngagementRow] = {}

    def row(asset_id: int) -> EngagementRow:
        return rows.setdefault(asset_id, EngagementRow(asset_id, ""))

    made = db.session.execute(
        select(ShareAsset.asset_id, func.count())
        .join(Share, Share.id == ShareAsset.share_id)
        .where(Share.created_at >= p.since, Share.created_at < p.until)
        .where(asset_filter(p, ShareAsset.asset_id))
        .group_by(ShareAsset.asset_id)
    )
    for asset_id, count in made:
        row(asset_id).shares = count
    visits = db.session.execute(
        select(ShareAsset.asset_id, func.count(distinct(ShareVisit.id)))
        .join(ShareVisit, ShareVisit.share_id == ShareAsset.share_id)
        .where(visit_in_period, asset_filter(p, ShareAsset.asset_id))
        .group_by(ShareAsset.asset_id)
    )
    for asset_id, count in visits:
        row(asset_id).visits = count
    read = db.session.execute(
        select(
            SharePageTime.asset_id,
            func.count(distinct(SharePageTime.visit_id)),
            func.sum(SharePageTime.seconds),
        )
        .join(ShareVisit, ShareVisit.id == SharePageTime.visit_id)
        .where(visit_in_period, asset_filter(p, SharePageTime.asset_id))
        .group_by(SharePageTime.asset_id)
    )
    for asset_id, readers, seconds in read:
        row(asset_id).readers = readers
        row(asset_id).seconds = float(seconds or 0)
    downloads = db.session.execute(
        select(Event.asset_id, func.count())
        .where(Event.type == "share_download", in_period(p.since, p.until))
        .where(asset_filter(p, Event.asset_id))
        .group_by(Event.asset_id)
    )
    for asset_id, count in downloads:
        if asset_id is not None:
            row(asset_id).downloads = count
    if rows:
        for asset in db.session.scalars(select(Asset).where(Asset.id.in_(list(rows)))):
            rows[asset.id].title = asset.title
    ordered = sorted(
        rows.values(), key=lambda r: (-r.visits, -r.seconds, -r.shares, r.title.casefold())
    )[: p.limit]
    read_most = [r for r in sorted(ordered, key=lambda r: -r.readers) if r.readers][:decks]
    return EngagementReport(p, ordered, [_deck(p, r) for r in read_most])


def _deck(p: ReportParams, row: EngagementRow) -> DeckReport:
    """Seconds on each page of one asset, and how many reading visits got that far."""
    visit_in_period = (ShareVisit.started_at >= p.since) & (ShareVisit.started_at < p.until)
    per_page = dict(
        db.session.execute(
            select(SharePageTime.page, func.sum(SharePageTime.seconds))
            .join(ShareVisit, ShareVisit.id == SharePageTime.visit_id)
            .where(SharePageTime.asset_id == row.asset_id, visit_in_period)
            .group_by(SharePageTime.page)
        ).all()
    )
    furthest = db.session.execute(
        select(SharePageTime.visit_id, func.max(SharePageTime.page))
        .join(ShareVisit, ShareVisit.id == SharePageTime.visit_id)
        .where(
            SharePageTime.asset_id == row.asset_id,
            SharePageTime.seconds >= READ_SECONDS,
            visit_in_period,
        )
        .group_by(SharePageTime.visit_id)
    ).all()
    asset = db.session.get(Asset, row.asset_id)
    version = asset.current_version if asset is not None else None
    last_page = max([*per_page, (version.page_count or 0) if version else 0, 1])
    readers = max(row.readers, 1)
    deck = DeckReport(row.asset_id, row.title, row.readers)
    for page in range(1, min(last_page, 500) + 1):
        reached = sum(1 for _, top in furthest if top >= page)
        seconds = float(per_page.get(page, 0.0) or 0.0)
        deck.pages.append(
            PagePoint(page, seconds, seconds / readers, reached, 100.0 * reached / readers)
        )
    return deck


def engagement_json(report: EngagementReport) -> dict[str, Any]:
    return {
        "results": [
            {
                "asset": {"id": r.asset_id, "title": r.title},
                "shares": r.shares,
                "visits": r.visits,
                "readers": r.readers,
                "seconds": round(r.seconds, 1),
                "average_seconds": round(r.average_seconds, 1),
                "downloads": r.downloads,
            }
            for r in report.rows
        ],
        "decks": [
            {
                "asset": {"id": d.asset_id, "title": d.title},
                "readers": d.readers,
                "drop_page": d.drop_page,
                "pages": [
                    {
                        "page": pt.page,
                        "seconds": round(pt.seconds, 1),
                        "average_seconds": round(pt.average_seconds, 1),
                        "reached": pt.reached,
                    }
                    for pt in d.pages
                ],
            }
            for d in report.decks
        ],
    }
