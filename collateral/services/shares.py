"""Links to buyers, as their senders see them: make, list, read, change and revoke a share.

What buyers do with a link is services/share_access.py (opening it) and share_visits.py
(visits, time per page); the figures are services/share_reports.py.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.security import generate_password_hash

from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..models import MAX_ID, Asset, Share, ShareAsset, SharePageTime, ShareVisit, User, utcnow
from ..permissions import SEE_ALL_SHARES, can, can_manage_share, can_see_share, can_view_asset
from .accounts import find_user
from .actor import Actor
from .assets import today_utc
from .audit import record_event
from .collections import CollectionView, open_collection

TOKEN_BYTES = 24  # 192 random bits; the URL-safe text is 32 characters
MAX_ASSETS = 50
MAX_TITLE = 300
MAX_PASSCODE = 200
LIST_LIMIT = 500
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
SHARE_FIELDS = ("title", "recipient", "expires_at", "passcode", "require_email", "allow_download")
CREATE_FIELDS = ("assets", "collection", *SHARE_FIELDS)
PATCH_FIELDS = ("title", "expires_at", "passcode", "require_email", "allow_download")


def token_hash(token: str) -> str:
    """How a token is looked up: its SHA-256, so the lookup's timing tells nothing of it."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    """A link's key: 192 bits from the operating system's random source."""
    return secrets.token_urlsafe(TOKEN_BYTES)


@dataclass
class Totals:
    """What a link's visits add up to."""

    visits: int = 0
    visitors: int = 0
    seconds: float = 0.0
    downloads: int = 0
    last_visit_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "visits": self.visits,
            "visitors": self.visitors,
            "seconds": round(self.seconds, 1),
            "downloads": self.downloads,
            "last_visit_at": _iso(self.last_visit_at),
        }


@dataclass
class VisitReport:
    """One visit, with its seconds per asset and page (assets in the link's order)."""

    visit: ShareVisit
    pages: list[SharePageTime] = field(default_factory=list)

    def seconds_per_asset(self) -> dict[int, float]:
        found: dict[int, float] = {}
        for row in self.pages:
            found[row.asset_id] = found.get(row.asset_id, 0.0) + row.seconds
        return found


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment is not None else None


def _text(body: dict, name: str, limit: int) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: send text.", field=name)
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(f"{name}: at most {limit} characters.", field=name)
    return value


def _flag(body: dict, name: str, default: bool) -> bool:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "on", "yes"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "off", "no", ""):
        return False
    raise InvalidInput(f"{name}: send true or false.", field=name)


def _recipient(body: dict) -> str:
    recipient = _text(body, "recipient", 254)
    if recipient and not EMAIL.match(recipient):
        raise InvalidInput(
            f"recipient: {recipient!r} is not an email address; leave it empty if you like.",
            field="recipient",
        )
    return recipient


def parse_expiry(raw: Any, now: datetime) -> datetime | None:
    """An expiry from an ISO date (the link works through that day, UTC) or date and time;
    None for empty. A moment already past is refused: revoking stops a link now."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str):
        raise InvalidInput("expires_at: send an ISO date such as 2026-12-31.", field="expires_at")
    text = raw.strip()
    try:
        moment = datetime.combine(date.fromisoformat(text), time()) + timedelta(days=1)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(
                f"expires_at: {text!r} is not an ISO date such as 2026-12-31.", field="expires_at"
            ) from None
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    if moment <= now:
        raise InvalidInput(
            "expires_at: that moment has passed; to stop the link now, revoke it.",
            field="expires_at",
        )
    if moment.year > 9000:
        raise InvalidInput("expires_at: too far ahead.", field="expires_at")
    return moment


def _passcode_hash(body: dict) -> str | None:
    passcode = body.get("passcode")
    if passcode is None or passcode == "":
        return None
    if not isinstance(passcode, str) or len(passcode) > MAX_PASSCODE:
        raise InvalidInput(f"passcode: text of at most {MAX_PASSCODE} characters.", "passcode")
    if len(passcode.strip()) < 4:
        raise InvalidInput("passcode: at least 4 characters.", field="passcode")
    return generate_password_hash(passcode, method="scrypt")


def _unknown(body: dict, allowed: tuple[str, ...]) -> None:
    unknown = sorted(str(k) for k in body if k not in allowed)
    if unknown:
        raise InvalidInput(
            f"{unknown[0]}: not a field of a share. Fields: {', '.join(allowed)}.",
            field=unknown[0],
        )


def _collection(actor: Actor, body: dict) -> CollectionView | None:
    """The collection a link is made from, if one is named: one the sender may see."""
    raw = body.get("collection")
    if raw in (None, ""):
        return None
    if body.get("assets") not in (None, []):
        raise InvalidInput(
            "collection: send a collection or a list of assets, not both.", field="collection"
        )
    if isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) < 11:
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_ID:
        raise InvalidInput("collection: send a collection id.", field="collection")
    try:
        return open_collection(actor, raw)
    except NotFound:
        raise InvalidInput(
            f"collection: no collection with id {raw}.", field="collection"
        ) from None


def _collection_assets(view: CollectionView, today: date) -> list[Asset]:
    """All of the collection's assets, in order (buyers' pages leave out hidden ones, as
    the collection changes); refused when buyers would see none of them now."""
    if not any(a.status == "published" and not a.is_expired(today) for a in view.assets):
        raise InvalidInput(
            f"collection: “{view.collection.title}” holds nothing buyers could see (drafts, "
            "archived and expired documents are left out); add published documents first.",
            field="collection",
        )
    return [item.asset for item in view.collection.items]


def _asset_ids(body: dict) -> list[int]:
    raw = body.get("assets")
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("assets: send a list of one or more asset ids.", field="assets")
    if len(raw) > MAX_ASSETS:
        raise InvalidInput(f"assets: at most {MAX_ASSETS} in one link.", field="assets")
    ids: list[int] = []
    for value in raw:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            raise InvalidInput("assets: every item must be an asset id.", field="assets")
        if value not in ids:
            ids.append(value)
    return ids


def create_share(actor: Actor, body: dict) -> Share:
    """A new link to assets the sender may see, or to a collection they may see (the link then
    follows the collection's list), working for SHARE_DAYS unless told otherwise."""
    user = actor.user
    _unknown(body, CREATE_FIELDS)
    today = today_utc()
    collection = _collection(actor, body)
    ids = _asset_ids(body) if collection is None else []
    assets = [] if collection is None else _collection_assets(collection, today)
    for asset_id in ids:
        asset = db.session.get(Asset, asset_id)
        if asset is None or not can_view_asset(user, asset, today):
            raise InvalidInput(f"assets: no asset with id {asset_id}.", field="assets")
        if asset.status != "published" or asset.is_expired(today):
            raise InvalidInput(
                f"assets: “{asset.title}” is not published or has expired; buyers would not "
                "see it.",
                field="assets",
            )
        assets.append(asset)
    now = utcnow()
    recipient = _recipient(body)
    title = _text(body, "title", MAX_TITLE)
    if not title and collection is not None:
        title = collection.collection.title
    if not title:
        title = assets[0].title if len(assets) == 1 else (f"For {recipient}" if recipient else "")
        title = title or f"{len(assets)} documents"
    expires_at = parse_expiry(body.get("expires_at"), now)
    if expires_at is None:
        expires_at = now + timedelta(days=int(current_app.config["SHARE_DAYS"]))
    token = new_token()
    share = Share(
        token=token,
        token_hash=token_hash(token),
        title=title,
        recipient=recipient,
        expires_at=expires_at,
        passcode_hash=_passcode_hash(body),
        require_email=_flag(body, "require_email", False),
        allow_download=_flag(body, "allow_download", True),
        created_by_id=user.id,
        created_at=now,
        collection_id=collection.collection.id if collection is not None else None,
    )
    share.items = [ShareAsset(asset_id=a.id, position=i) for i, a in enumerate(assets)]
    db.session.add(share)
    db.session.flush()
    record_event(
        "share_created",
        actor,
        assets[0] if len(assets) == 1 else None,
        share=share.id,
        assets=[a.id for a in assets],
        collection=share.collection_id,
        title=title,
        recipient=recipient,
    )
    db.session.commit()
    return share


def _load(share_id: int) -> Share | None:
    return db.session.scalar(
        select(Share)
        .where(Share.id == share_id)
        .options(
            joinedload(Share.created_by), selectinload(Share.items).joinedload(ShareAsset.asset)
        )
    )


def get_share(user: User, share_id: int) -> Share:
    """A share its sender, a manager or an admin may see; 404 for anyone else."""
    share = _load(share_id)
    if share is None or not can_see_share(user, share):
        raise NotFound(f"No share with id {share_id}.")
    return share


def list_shares(user: User, owner_email: str | None = None) -> list[Share]:
    """The user's links (or, for managers and admins, everyone's or one person's), newest
    activity first."""
    query = select(Share).options(
        joinedload(Share.created_by), selectinload(Share.items).joinedload(ShareAsset.asset)
    )
    if owner_email:
        if not can(user, SEE_ALL_SHARES) and owner_email.strip().lower() != user.email.lower():
            raise Forbidden("Only managers and admins may see other people's links.")
        owner = find_user(owner_email)
        if owner is None:
            raise InvalidInput(f"user: no user with the email {owner_email!r}.", field="user")
        query = query.where(Share.created_by_id == owner.id)
    elif not can(user, SEE_ALL_SHARES):
        query = query.where(Share.created_by_id == user.id)
    last = (
        select(ShareVisit.share_id, func.max(ShareVisit.last_seen_at).label("last"))
        .group_by(ShareVisit.share_id)
        .subquery()
    )
    activity = func.coalesce(last.c.last, Share.created_at)
    query = (
        query.outerjoin(last, last.c.share_id == Share.id)
        .order_by(activity.desc(), Share.id.desc())
        .limit(LIST_LIMIT)
    )
    return list(db.session.scalars(query).unique())


def totals_of(share_ids: list[int]) -> dict[int, Totals]:
    """The totals of several links in one query."""
    found = {i: Totals() for i in share_ids}
    if not share_ids:
        return found
    visitor = func.coalesce(ShareVisit.email, ShareVisit.visitor_key)
    rows = db.session.execute(
        select(
            ShareVisit.share_id,
            func.count(ShareVisit.id),
            func.count(visitor.distinct()),
            func.coalesce(func.sum(ShareVisit.seconds), 0.0),
            func.coalesce(func.sum(ShareVisit.downloads), 0),
            func.max(ShareVisit.started_at),
        )
        .where(ShareVisit.share_id.in_(share_ids))
        .group_by(ShareVisit.share_id)
    )
    for share_id, visits, visitors, seconds, downloads, last in rows:
        found[share_id] = Totals(visits, visitors, float(seconds), int(downloads), last)
    return found


def visits_of(share_id: int) -> list[VisitReport]:
    """A link's visits, newest first, each with its time per page."""
    visits = list(
        db.session.scalars(
            select(ShareVisit)
            .where(ShareVisit.share_id == share_id)
            .order_by(ShareVisit.started_at.desc(), ShareVisit.id.desc())
            .limit(LIST_LIMIT)
        )
    )
    reports = {v.id: VisitReport(v) for v in visits}
    if reports:
        rows = db.session.scalars(
            select(SharePageTime)
            .where(SharePageTime.visit_id.in_(list(reports)))
            .order_by(SharePageTime.asset_id, SharePageTime.page)
        )
        for row in rows:
            reports[row.visit_id].pages.append(row)
    return list(reports.values())


def update_share(actor: Actor, share_id: int, body: dict) -> Share:
    """Change a link's expiry, passcode, download, email question or title (sender, admin)."""
    share = get_share(actor.user, share_id)
    if not can_manage_share(actor.user, share):
        raise Forbidden("Only the link's sender or an admin may change it.")
    _unknown(body, PATCH_FIELDS)
    changes: dict[str, Any] = {}
    if "title" in body:
        title = _text(body, "title", MAX_TITLE)
        if not title:
            raise InvalidInput("title: a link needs a title.", field="title")
        share.title = title
        changes["title"] = title
    if "expires_at" in body:
        share.expires_at = parse_expiry(body["expires_at"], utcnow())
        changes["expires_at"] = _iso(share.expires_at)
    if "passcode" in body:
        share.passcode_hash = _passcode_hash(body)
        changes["passcode"] = "set" if share.passcode_hash else "removed"
    for name in ("require_email", "allow_download"):
        if name in body:
            value = _flag(body, name, getattr(share, name))
            setattr(share, name, value)
            changes[name] = value
    if changes:
        record_event("share_changed", actor, share=share.id, changes=changes)
    db.session.commit()
    return share


def revoke_share(actor: Actor, share_id: int) -> Share:
    """Stop a link now: every worker reads `revoked_at` from the database on each request."""
    share = get_share(actor.user, share_id)
    if share.revoked_at is None:
        share.revoked_at = utcnow()
        record_event("share_revoked", actor, share=share.id, title=share.title)
        db.session.commit()
    return share


def share_state(share: Share, now: datetime) -> str:
    """ "active", "revoked" or "expired"."""
    if share.revoked_at is not None:
        return "revoked"
    if share.expires_at is not None and share.expires_at <= now:
        return "expired"
    return "active"


def share_json(
    share: Share, url: str, totals: Totals, visits: list[VisitReport] | None = None
) -> dict[str, Any]:
    """A share as the API returns it (with `visits` when asked for one share)."""
    body: dict[str, Any] = {
        "id": share.id,
        "url": url,
        "title": share.title,
        "assets": [{"id": item.asset_id, "title": item.asset.title} for item in share.items],
        "collection": share.collection_id,
        "recipient": share.recipient or None,
        "expires_at": _iso(share.expires_at),
        "allow_download": share.allow_download,
        "require_email": share.require_email,
        "has_passcode": share.passcode_hash is not None,
        "created_by": share.created_by.email,
        "created_at": _iso(share.created_at),
        "revoked_at": _iso(share.revoked_at),
        "state": share_state(share, utcnow()),
        "totals": totals.as_json(),
    }
    if visits is not None:
        body["visits"] = [
            {
                "id": report.visit.id,
                "started_at": _iso(report.visit.started_at),
                "last_seen_at": _iso(report.visit.last_seen_at),
                "email": report.visit.email,
                "seconds": round(report.visit.seconds, 1),
                "downloads": report.visit.downloads,
                "pages": [
                    {"asset": row.asset_id, "page": row.page, "seconds": round(row.seconds, 1)}
                    for row in report.pages
                ],
            }
            for report in visits
        ]
    return body
