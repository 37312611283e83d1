"""Supersede alerts: telling the people who used an asset that it changed under them.

Who used an asset: in the last 90 days they downloaded it or sent it in a link to buyers; or
it is in one of their collections, or starred by them, now (a kit or a star held today is use
today, however old). They are told when a new version replaces the one they used
(`new_version`), when it expires (`expired`) and when it is archived (`archived`); never the
person who made the change. The notifications are written in the same transaction as the
change, so none is lost; an expiry happens by time passing, so a sweep of the background jobs
finds each newly expired asset once (`notify_expired_assets`).

Each alert names the most telling use: the link it went out in (and to whom), else the
download, the collection, the star.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, or_, select, update

from ..extensions import db
from ..models import (
    Asset,
    Collection,
    CollectionItem,
    Event,
    Favourite,
    Notification,
    Share,
    ShareAsset,
    User,
    utcnow,
)
from ..permissions import SEE_DRAFTS, roles_with

USE_DAYS = 90  # how far back a download or a link counts as using an asset
MAX_NOTE = 300  # how much of a version note an alert quotes
SWEEP_BATCH = 100  # expired assets told per sweep (~20 ms each); the rest in the next minute


@dataclass
class Use:
    """How one user used the asset: the most telling use wins (a link, a download, a
    collection, a star)."""

    rank: int
    what: str  # "shared", "downloaded", "collected", "starred"
    at: datetime | None = None
    share: Share | None = None
    collection_title: str = ""


def _day(moment: datetime | date, now: datetime) -> str:
    """ "3 March", with the year when it is not this year's."""
    text = f"{moment.day} {moment:%B}"
    return text if moment.year == now.year else f"{text} {moment.year}"


def users_of(asset_id: int, now: datetime) -> dict[int, Use]:
    """Who used the asset, each with their most telling use; four indexed queries, however
    large the library (each reads only this asset's rows)."""
    since = now - timedelta(days=USE_DAYS)
    found: dict[int, Use] = {}

    def offer(user_id: int | None, use: Use) -> None:
        if user_id is not None and (user_id not in found or use.rank < found[user_id].rank):
            found[user_id] = use

    shares = db.session.scalars(
        select(Share)
        .join(ShareAsset, ShareAsset.share_id == Share.id)
        .where(ShareAsset.asset_id == asset_id, Share.created_at >= since)
        .order_by(Share.created_at.desc(), Share.id.desc())  # each sender's newest link first
    )
    for share in shares:
        offer(share.created_by_id, Use(0, "shared", share.created_at, share=share))
    downloads = db.session.execute(
        select(Event.user_id, func.max(Event.at))
        .where(
            Event.asset_id == asset_id,
            Event.type == "download",
            Event.at >= since,
            Event.user_id.is_not(None),
        )
        .group_by(Event.user_id)
    )
    for user_id, last in downloads:
        offer(user_id, Use(1, "downloaded", last))
    collections = db.session.execute(
        select(Collection.owner_id, Collection.title)
        .join(CollectionItem, CollectionItem.collection_id == Collection.id)
        .where(CollectionItem.asset_id == asset_id)
        .order_by(Collection.updated_at.desc(), Collection.id.desc())
    )
    for owner_id, title in collections:
        offer(owner_id, Use(2, "collected", collection_title=title))
    for user_id in db.session.scalars(
        select(Favourite.user_id).where(Favourite.asset_id == asset_id)
    ):
        offer(user_id, Use(3, "starred"))
    return found


def _subject(title: str, use: Use, now: datetime) -> str:
    """The start of an alert: "The “Atlas pricing” you sent to … on 3 March"."""
    if use.what == "shared" and use.share is not None:
        share = use.share
        to = (
            f"to {share.recipient} (link “{share.title}”)"
            if share.recipient
            else f"in your link “{share.title}”"
        )
        return f"The “{title}” you sent {to} on {_day(use.at, now)}"
    if use.what == "downloaded":
        return f"The “{title}” you downloaded on {_day(use.at, now)}"
    if use.what == "collected":
        return f"The “{title}” in your collection “{use.collection_title}”"
    return f"The “{title}” you starred"


def _recipients(
    asset: Asset, actor_id: int | None, now: datetime, *, visible_only: bool
) -> dict[int, Use]:
    """Its users, less the one who made the change and inactive accounts; with
    `visible_only`, only those who may open the asset now (a new version of a draft is news
    for editors only)."""
    uses = users_of(asset.id, now)
    uses.pop(actor_id, None)
    if not uses:
        return {}
    users = select(User.id).where(User.id.in_(list(uses)), User.active.is_(True))
    everyone_sees = asset.status == "published" and not asset.is_expired(now.date())
    if visible_only and not everyone_sees:
        users = users.where(User.role.in_(roles_with(SEE_DRAFTS)))
    keep = set(db.session.scalars(users))
    return {user_id: use for user_id, use in uses.items() if user_id in keep}


def _write(kind: str, asset: Asset, messages: dict[int, tuple[str, Use]], now: datetime) -> int:
    """Add the notifications to the current transaction in one statement; how many."""
    rows = [
        {
            "user_id": user_id,
            "type": kind,
            "at": now,
            "read": False,
            "message": message,
            "asset_id": asset.id,
            "share_id": use.share.id if use.share is not None else None,
        }
        for user_id, (message, use) in messages.items()
    ]
    if rows:
        db.session.execute(insert(Notification), rows)
    return len(rows)


def notify_new_version(asset: Asset, number: int, note: str, actor_id: int | None) -> int:
    """Tell the asset's users that version `number` replaced the one they used; in the
    caller's transaction. How many were told."""
    now = utcnow()
    note = " ".join(note.split())
    if len(note) > MAX_NOTE:
        note = note[: MAX_NOTE - 1] + "…"
    what = f"has a new version (v{number}): {note}" if note else (
        f"has a new version (v{number}), with no note on what changed."
    )  # fmt: skip
    messages = {}
    for user_id, use in _recipients(asset, actor_id, now, visible_only=True).items():
        text = f"{_subject(asset.title, use, now)} {what}"
        if use.what == "shared":
            text += " Your link shows the new version now."
        messages[user_id] = (text, use)
    return _write("new_version", asset, messages, now)


def notify_archived(asset: Asset, actor_id: int | None) -> int:
    """Tell the asset's users that it was archived (reps and buyers no longer see it)."""
    now = utcnow()
    messages = {}
    for user_id, use in _recipients(asset, actor_id, now, visible_only=False).items():
        text = f"{_subject(asset.title, use, now)} was archived: reps no longer find it"
        text += ", and buyers of your link no longer see it." if use.what == "shared" else "."
        messages[user_id] = (text, use)
    return _write("archived", asset, messages, now)


def _notify_expired(asset: Asset, now: datetime) -> int:
    messages = {}
    when = _day(asset.expires_at, now)
    for user_id, use in _recipients(asset, None, now, visible_only=False).items():
        text = f"{_subject(asset.title, use, now)} expired after {when}: reps no longer find it"
        text += ", and buyers of your link no longer see it." if use.what == "shared" else "."
        messages[user_id] = (text, use)
    return _write("expired", asset, messages, now)


def notify_expired_assets(today: date | None = None) -> int:
    """The sweep: tell the users of each published asset whose expiry date passed and was not
    told yet. Each asset is claimed by a conditional update committed with its
    notifications, so two workers or a second run never tell twice. At most SWEEP_BATCH
    assets a sweep, so a day when many expire never holds the job runner long. How many."""
    now = utcnow()
    today = today or now.date()
    not_told = or_(
        Asset.expiry_notified_for.is_(None), Asset.expiry_notified_for != Asset.expires_at
    )
    due = db.session.execute(
        select(Asset.id, Asset.expires_at)
        .where(Asset.expires_at < today, Asset.status == "published", not_told)
        .order_by(Asset.expires_at, Asset.id)
        .limit(SWEEP_BATCH)
    ).all()
    told = 0
    for asset_id, expires_at in due:
        claimed = db.session.execute(
            update(Asset)
            .where(Asset.id == asset_id, Asset.expires_at == expires_at, not_told)
            .values(expiry_notified_for=expires_at)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            asset = db.session.get(Asset, asset_id)
            _notify_expired(asset, now)
            told += 1
        db.session.commit()
    return told
