"""Buyers' visits of a link and the time they spend on each page, bounded by what can be true.

A visit begins when a buyer's browser opens the link and no visit of that browser was alive
in the last ten minutes; it tells the sender at once (a notification, and mail when set up).
Beacons from the page add seconds per page: only pages of the link's assets, never more than
has passed since the visit began (per page and in sum), at a bounded rate per visit.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..models import MAX_ID, Notification, Share, SharePageTime, ShareVisit, utcnow
from .actor import Actor
from .audit import record_event
from .downloads import Download
from .share_access import BuyerAsset

SAME_VISIT = timedelta(minutes=10)
BEACONS_PER_MINUTE = 30  # the page sends one every 5 s, and one more on each hide or leave
MAX_BEACON_ITEMS = 50
# Allowance for the buyer's clock ticking ahead of ours between two requests.
CLOCK_SLACK_SECONDS = 2.0


class TooManyBeacons(Exception):
    """A visit sent more beacons in a minute than a real page does."""


def begin_visit(
    share: Share, visitor_key: str, email: str | None, ip: str | None, opened: list[BuyerAsset]
) -> tuple[ShareVisit, bool]:
    """The visit this page load belongs to, and whether it is new (a new one is audited and
    its sender notified, in the same transaction)."""
    now = utcnow()
    visit = db.session.scalar(
        select(ShareVisit)
        .where(
            ShareVisit.share_id == share.id,
            ShareVisit.visitor_key == visitor_key,
            ShareVisit.last_seen_at >= now - SAME_VISIT,
        )
        .order_by(ShareVisit.id.desc())
        .limit(1)
    )
    if visit is not None:
        visit.last_seen_at = now
        if email and not visit.email:
            visit.email = email
        db.session.commit()
        return visit, False
    visit = ShareVisit(
        share_id=share.id,
        visitor_key=visitor_key,
        secret=secrets.token_urlsafe(24),
        started_at=now,
        last_seen_at=now,
        email=email or None,
        ip=ip,
    )
    db.session.add(visit)
    db.session.flush()
    record_event("share_visit", Actor(None, ip), share=share.id, visit=visit.id, email=email)
    titles = ", ".join(item.asset.title for item in opened) or "nothing (its documents are gone)"
    who = email or "Someone"
    db.session.add(
        Notification(
            user_id=share.created_by_id,
            type="share_opened",
            at=now,
            message=f"{who} opened your link “{share.title}”: {titles}.",
            asset_id=opened[0].asset.id if len(opened) == 1 else None,
            share_id=share.id,
        )
    )
    db.session.commit()
    return visit, True


def current_visit(share: Share, visitor_key: str) -> ShareVisit | None:
    """The latest visit of this browser on this link, if any."""
    return db.session.scalar(
        select(ShareVisit)
        .where(ShareVisit.share_id == share.id, ShareVisit.visitor_key == visitor_key)
        .order_by(ShareVisit.id.desc())
        .limit(1)
    )


def record_share_download(
    share: Share, visit: ShareVisit | None, download: Download, ip: str | None
) -> None:
    """Audit a buyer's download and count it on their visit."""
    if visit is not None:
        db.session.execute(
            update(ShareVisit)
            .where(ShareVisit.id == visit.id)
            .values(downloads=ShareVisit.downloads + 1)
        )
    record_event(
        "share_download",
        Actor(None, ip),
        download.asset_id,
        version=download.version,
        share=share.id,
        visit=visit.id if visit is not None else None,
    )
    db.session.commit()


@dataclass
class BeaconItem:
    asset: int
    page: int
    seconds: float


@dataclass
class BeaconOutcome:
    """What a beacon added: seconds accepted, and the items cut or refused with why."""

    accepted: float = 0.0
    refused: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"accepted": round(self.accepted, 3), "refused": self.refused}


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise InvalidInput(f"{name}: send a whole number.", field=name)
    return value


def parse_beacon(body: Any) -> tuple[int, str, list[BeaconItem]]:
    """The visit, its secret and the items of a beacon body; a 400 for anything else."""
    if not isinstance(body, dict):
        raise InvalidInput('Send {"visit": id, "key": "...", "pages": [...]} as JSON.')
    visit_id = _int(body.get("visit"), "visit")
    key = body.get("key")
    if not isinstance(key, str) or not 0 < len(key) <= 64:
        raise InvalidInput("key: send the visit's key from the page.", field="key")
    raw = body.get("pages")
    if not isinstance(raw, list) or len(raw) > MAX_BEACON_ITEMS:
        raise InvalidInput(f"pages: a list of at most {MAX_BEACON_ITEMS} items.", field="pages")
    items = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise InvalidInput("pages: each item is {asset, page, seconds}.", field="pages")
        seconds = entry.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise InvalidInput("seconds: send a number.", field="seconds")
        if not math.isfinite(seconds) or seconds < 0:
            raise InvalidInput("seconds: a number of seconds, 0 or more.", field="seconds")
        items.append(
            BeaconItem(_int(entry.get("asset"), "asset"), _int(entry.get("page"), "page"), seconds)
        )
    return visit_id, key, items


class BeaconConflict(Exception):
    """Beacons of one visit kept arriving at the same moment; the browser sends the next."""


CAS_ATTEMPTS = 5


def record_beacon(
    share: Share, body: Any, pages_of: dict[int, set[int]], now: datetime | None = None
) -> BeaconOutcome:
    """Add a beacon's seconds to its visit, keeping only what can be true.

    `pages_of` maps each asset a buyer sees on this link to its page numbers; anything else
    is refused. Seconds past the time since the visit began are cut, per page and in sum.

    Everything is read first, without a lock; the write is one compare-and-set of the visit
    (its beacon count and window change with every beacon) followed by the page rows, so the
    database's write lock is held for a few statements only, and two beacons of one visit at
    once cannot both spend the same seconds: the second finds the visit changed and reads again.
    """
    visit_id, key, items = parse_beacon(body)
    now = now or utcnow()
    for _ in range(CAS_ATTEMPTS):
        visit = db.session.execute(
            select(
                ShareVisit.share_id,
                ShareVisit.secret,
                ShareVisit.started_at,
                ShareVisit.seconds,
                ShareVisit.beacon_window_at,
                ShareVisit.beacon_count,
            ).where(ShareVisit.id == visit_id)
        ).one_or_none()
        if (
            visit is None
            or visit.share_id != share.id
            or not secrets.compare_digest(visit.secret.encode(), key.encode())
        ):
            raise NotFound("No such visit of this link; reload the page.")
        window, count = visit.beacon_window_at, visit.beacon_count
        if window is None or window < now - timedelta(minutes=1):
            new_window, new_count = now, 1
        elif count >= BEACONS_PER_MINUTE:
            raise TooManyBeacons
        else:
            new_window, new_count = window, count + 1
        current = {
            (asset, page): seconds
            for asset, page, seconds in db.session.execute(
                select(SharePageTime.asset_id, SharePageTime.page, SharePageTime.seconds).where(
                    SharePageTime.visit_id == visit_id
                )
            )
        }
        outcome, changed, total = _bounded(items, pages_of, current, visit, now)
        same_window = (
            ShareVisit.beacon_window_at.is_(None)
            if window is None
            else ShareVisit.beacon_window_at == window
        )
        claimed = db.session.execute(
            update(ShareVisit)
            .where(
                ShareVisit.id == visit_id,
                ShareVisit.beacon_count == count,
                same_window,
                ShareVisit.seconds == visit.seconds,
            )
            .values(
                seconds=total, beacon_window_at=new_window, beacon_count=new_count, last_seen_at=now
            )
        ).rowcount
        if claimed != 1:
            db.session.rollback()
            continue
        for (asset, page), seconds in changed.items():
            if (asset, page) in current:
                db.session.execute(
                    update(SharePageTime)
                    .where(
                        SharePageTime.visit_id == visit_id,
                        SharePageTime.asset_id == asset,
                        SharePageTime.page == page,
                    )
                    .values(seconds=seconds)
                )
            else:
                db.session.execute(
                    insert(SharePageTime).values(
                        visit_id=visit_id, asset_id=asset, page=page, seconds=seconds
                    )
                )
        db.session.commit()
        return outcome
    raise BeaconConflict


def _bounded(
    items: list[BeaconItem],
    pages_of: dict[int, set[int]],
    current: dict[tuple[int, int], float],
    visit: Any,
    now: datetime,
) -> tuple[BeaconOutcome, dict[tuple[int, int], float], float]:
    """What a beacon may add: the outcome, the new seconds of each page it changes, and the
    visit's new total; never past the time since the visit began, per page and in sum."""
    elapsed = (now - visit.started_at).total_seconds() + CLOCK_SLACK_SECONDS
    total = sum(current.values())
    changed: dict[tuple[int, int], float] = {}
    outcome = BeaconOutcome()
    for item in items:
        if item.page not in pages_of.get(item.asset, ()):
            outcome.refused.append({"asset": item.asset, "page": item.page, "reason": "not shown"})
            continue
        where = (item.asset, item.page)
        before = changed.get(where, current.get(where, 0.0))
        room = max(0.0, min(elapsed - before, elapsed - total))
        taken = min(item.seconds, room)
        if taken < item.seconds:
            outcome.refused.append(
                {
                    "asset": item.asset,
                    "page": item.page,
                    "reason": "more than has passed",
                    "cut": round(item.seconds - taken, 3),
                }
            )
        changed[where] = before + taken
        total += taken
        outcome.accepted += taken
    return outcome, changed, total
