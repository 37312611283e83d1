"""What fits the deal a rep is preparing: assets ranked by how well their terms fit the picked
product, industry and stage, by what colleagues downloaded for deals with the same terms, by
overall use this quarter, by how long buyers read them on share links and by freshness, each
with its reasons in a few words.

The weights live in WEIGHTS and nowhere else; README ("Recommendations") explains them.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import (
    FULL_ASSET,
    LIST_TERM_KINDS,
    Asset,
    DealPreference,
    Event,
    SharePageTime,
    ShareVisit,
    Term,
    User,
    asset_term,
    event_term,
    utcnow,
)
from .actor import Actor
from .assets import today_utc
from .taxonomy import resolve_terms

# The one place the ranking is tuned. Each signal is scaled to about 0..1 before weighting.
WEIGHTS = {
    "fit": 10.0,  # share of the picked kinds (product, industry, stage) the asset matches
    "deal_downloads": 4.0,  # colleagues' downloads after searches for the same terms
    "downloads": 1.5,  # everyone's downloads this quarter
    "freshness": 2.0,  # 1 when updated today, down to 0 after FRESH_DAYS
    "buyer_reading": 3.0,  # buyers' average reading time on share links this quarter
}
QUARTER_DAYS = 90
FRESH_DAYS = 365
SATURATION = 50  # downloads at which a usage signal reaches 1 (it grows as a logarithm)
READ_SATURATION_SECONDS = 600  # average reading time at which the reading signal reaches 1
READING_CACHE_SECONDS = 600.0  # how long one process keeps the reading times it summed
MAX_LIMIT = 50


@dataclass
class Deal:
    """The picked terms by kind (product, industry, stage)."""

    terms: dict[str, list[Term]] = field(default_factory=dict)

    @property
    def term_ids(self) -> list[int]:
        return [t.id for terms in self.terms.values() for t in terms]

    def names(self, kind: str) -> list[str]:
        return [t.name for t in self.terms.get(kind, [])]


@dataclass
class Recommendation:
    asset: Asset
    score: float
    reasons: list[str]


def parse_deal(args: Mapping) -> Deal:
    """Product, industry and stage names from a query string or form; 400 for an unknown one."""
    terms = {}
    for kind in LIST_TERM_KINDS:
        names = [n for n in args.getlist(kind) if n.strip()]
        if names:
            terms[kind] = resolve_terms(kind, names, kind)
    return Deal(terms)


def remember_deal(actor: Actor, deal: Deal) -> None:
    """Keep the user's picked deal for their next visit."""
    preference = db.session.get(DealPreference, actor.user.id)
    if preference is None:
        preference = DealPreference(user_id=actor.user.id)
        db.session.add(preference)
    preference.term_ids = deal.term_ids
    preference.updated_at = utcnow()
    db.session.commit()


def remembered_deal(user: User) -> Deal:
    """The deal the user picked last (terms deleted since by a merge are dropped)."""
    preference = db.session.get(DealPreference, user.id)
    ids = list(preference.term_ids or []) if preference else []
    terms: dict[str, list[Term]] = {}
    if ids:
        for term in db.session.scalars(
            select(Term).where(Term.id.in_(ids)).order_by(Term.position, Term.id)
        ):
            terms.setdefault(term.kind, []).append(term)
    return Deal(terms)


def _read_seconds_now() -> dict[int, float]:
    """Each visit's seconds per asset (grouped in the page-time key's order), averaged per
    asset: three times faster than counting distinct visits."""
    since = utcnow() - timedelta(days=QUARTER_DAYS)
    recent = select(ShareVisit.id).where(ShareVisit.started_at >= since)
    per_visit = (
        select(SharePageTime.asset_id, func.sum(SharePageTime.seconds).label("seconds"))
        .where(SharePageTime.visit_id.in_(recent), SharePageTime.seconds > 0)
        .group_by(SharePageTime.visit_id, SharePageTime.asset_id)
        .subquery()
    )
    rows = db.session.execute(
        select(per_visit.c.asset_id, func.avg(per_visit.c.seconds)).group_by(per_visit.c.asset_id)
    )
    return {asset_id: float(seconds) for asset_id, seconds in rows}


def buyer_read_seconds() -> dict[int, float]:
    """Average seconds a buyer's visit spent on each asset through share links over the last
    quarter (visits that read it at all), from the time per page the buyers' pages reported.
    Summed at most every ten minutes per process (a quarter's average moves slowly; the
    home page asks on every visit)."""
    kept = current_app.extensions.get("collateral.read_seconds")
    if kept is not None and time.monotonic() - kept[0] < READING_CACHE_SECONDS:
        return kept[1]
    found = _read_seconds_now()
    current_app.extensions["collateral.read_seconds"] = (time.monotonic(), found)
    return found


class _UsageCounts:
    """Download counts as of the newest download: kept per process and answered again until
    another download is recorded (one index read tells), so repeated home pages cost nothing
    and a new download is reflected at once."""

    MAX_ENTRIES = 1000

    def __init__(self) -> None:
        self.entries: dict[tuple, tuple[Any, dict[int, int]]] = {}

    def get(self, key: tuple, compute: Callable[[], dict[int, int]]) -> dict[int, int]:
        stamp = db.session.scalar(select(func.max(Event.at)).where(Event.type == "download"))
        kept = self.entries.get(key)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        if len(self.entries) >= self.MAX_ENTRIES:
            self.entries = {}
        counts = compute()
        self.entries[key] = (stamp, counts)  # each entry says which download it was as of
        return counts


def _usage_counts() -> _UsageCounts:
    return current_app.extensions.setdefault("collateral.usage_counts", _UsageCounts())


def _deal_downloads(since: datetime, term_ids: list[int], user_id: int) -> dict[int, int]:
    """Downloads per asset since `since`, by others than the user, from the results of a
    search filtered by any of `term_ids` (read from the searches' terms, which are few)."""
    if not term_ids:
        return {}
    download, search = aliased(Event), aliased(Event)
    query = (
        select(download.asset_id, func.count(func.distinct(download.id)))
        .select_from(event_term)
        .join(search, search.id == event_term.c.event_id)
        .join(download, download.search_event_id == search.id)
        .where(
            event_term.c.term_id.in_(term_ids),
            search.at >= since,
            download.type == "download",
            download.at >= since,
            or_(download.user_id.is_(None), download.user_id != user_id),
        )
        .group_by(download.asset_id)
    )
    key = ("deal", since, frozenset(term_ids), user_id)
    return _usage_counts().get(key, lambda: dict(db.session.execute(query).all()))


def _all_downloads(since: datetime) -> dict[int, int]:
    """Everyone's downloads per asset since `since`."""
    query = (
        select(Event.asset_id, func.count())
        .where(Event.type == "download", Event.at >= since)
        .group_by(Event.asset_id)
    )
    return _usage_counts().get(("all", since), lambda: dict(db.session.execute(query).all()))


def _saturating(count: int) -> float:
    return min(1.0, math.log1p(count) / math.log1p(SATURATION))


def recommend(actor: Actor, deal: Deal, limit: int = 10) -> list[Recommendation]:
    """The published, unexpired assets that fit the deal (all of them when nothing is picked),
    best first, each with its reasons."""
    today = today_utc()
    now = utcnow()
    term_ids = deal.term_ids
    visible = (Asset.status == "published") & (
        Asset.expires_at.is_(None) | (Asset.expires_at >= today)
    )
    candidates = select(Asset.id, Asset.updated_at).where(visible)
    matched: dict[int, set[int]] = defaultdict(set)
    if term_ids:
        for asset_id, term_id in db.session.execute(
            select(asset_term.c.asset_id, asset_term.c.term_id)
            .join(Asset, Asset.id == asset_term.c.asset_id)
            .where(asset_term.c.term_id.in_(term_ids), visible)
        ):
            matched[asset_id].add(term_id)
        candidates = candidates.where(Asset.id.in_(list(matched)))
    rows = db.session.execute(candidates).all()
    since = datetime.combine(today - timedelta(days=QUARTER_DAYS), datetime.min.time())
    for_deal = _deal_downloads(since, term_ids, actor.user.id)
    overall = _all_downloads(since)
    reading = buyer_read_seconds()
    kinds = {kind: {t.id for t in terms} for kind, terms in deal.terms.items()}
    scored = []
    for asset_id, updated_at in rows:
        fit = (
            sum(1 for ids in kinds.values() if ids & matched[asset_id]) / len(kinds)
            if kinds
            else 0.0
        )
        age_days = max(0.0, (now - updated_at).total_seconds() / 86400)
        score = (
            WEIGHTS["fit"] * fit
            + WEIGHTS["deal_downloads"] * _saturating(for_deal.get(asset_id, 0))
            + WEIGHTS["downloads"] * _saturating(overall.get(asset_id, 0))
            + WEIGHTS["freshness"] * max(0.0, 1 - age_days / FRESH_DAYS)
            + WEIGHTS["buyer_reading"]
            * min(1.0, reading.get(asset_id, 0.0) / READ_SATURATION_SECONDS)
        )
        scored.append((-score, -updated_at.timestamp(), asset_id, score, age_days))
    scored.sort()
    top = scored[: max(1, min(limit, MAX_LIMIT))]
    assets = {
        a.id: a
        for a in db.session.scalars(
            select(Asset).where(Asset.id.in_([t[2] for t in top])).options(*FULL_ASSET)
        )
    }
    names = {t.id: t.name for terms in deal.terms.values() for t in terms}
    result = []
    for _, _, asset_id, score, age_days in top:
        reasons = [names[i] for i in term_ids if i in matched[asset_id]]
        reasons += _usage_reasons(for_deal.get(asset_id, 0), overall.get(asset_id, 0))
        if reading.get(asset_id):
            reasons.append(_reading_reason(reading[asset_id]))
        if age_days < 30:
            reasons.append("updated this month")
        result.append(Recommendation(assets[asset_id], round(score, 4), reasons))
    return result


def _usage_reasons(for_deal: int, overall: int) -> list[str]:
    if for_deal:
        times = "once" if for_deal == 1 else f"{for_deal} times"
        return [f"downloaded {times} this quarter for deals like this"]
    if overall:
        times = "once" if overall == 1 else f"{overall} times"
        return [f"downloaded {times} this quarter"]
    return []


def _reading_reason(seconds: float) -> str:
    """ "buyers read 6 min on average" (seconds under a minute)."""
    if seconds < 59.5:
        return f"buyers read {max(1, round(seconds))} s on average"
    return f"buyers read {round(seconds / 60)} min on average"
