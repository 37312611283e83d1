"""Favourites (a star on an asset) and what a user used recently, for their home page."""

from __future__ import annotations

from sqlalchemy import delete, func, select, union_all

from ..extensions import db
from ..models import FULL_ASSET, Asset, Event, Favourite, Share, ShareAsset, User
from ..permissions import can_view_asset
from .actor import Actor
from .assets import get_asset, today_utc

# What counts as using an asset, from the audit log; sending it in a link to buyers counts
# too, read from the links themselves (a link to several assets audits no one asset).
USED_EVENT_TYPES = ("view", "download")


def set_favourite(actor: Actor, asset_id: int, starred: bool) -> None:
    """Star or unstar an asset the actor may see (an unknown or hidden one is a 404); doing
    it twice is the same as once."""
    user = actor.user
    asset = get_asset(user, asset_id)
    exists = db.session.get(Favourite, (user.id, asset.id)) is not None
    if starred and not exists:
        db.session.add(Favourite(user_id=user.id, asset_id=asset.id))
    elif not starred and exists:
        db.session.execute(
            delete(Favourite).where(Favourite.user_id == user.id, Favourite.asset_id == asset.id)
        )
    db.session.commit()


def _visible_in_order(user: User, ids: list[int]) -> list[Asset]:
    if not ids:
        return []
    found = {
        a.id: a
        for a in db.session.scalars(select(Asset).where(Asset.id.in_(ids)).options(*FULL_ASSET))
    }
    today = today_utc()
    return [found[i] for i in ids if i in found and can_view_asset(user, found[i], today)]


def favourites(user: User) -> list[Asset]:
    """The user's starred assets they may still see, most recently starred first."""
    ids = db.session.scalars(
        select(Favourite.asset_id)
        .where(Favourite.user_id == user.id)
        .order_by(Favourite.created_at.desc(), Favourite.asset_id.desc())
    ).all()
    return _visible_in_order(user, list(ids))


def favourite_ids(user: User, asset_ids: list[int]) -> set[int]:
    """Which of these assets the user starred (to draw the stars on a page of results)."""
    if not asset_ids:
        return set()
    return set(
        db.session.scalars(
            select(Favourite.asset_id).where(
                Favourite.user_id == user.id, Favourite.asset_id.in_(asset_ids)
            )
        )
    )


def recently_used(user: User, limit: int = 10) -> list[Asset]:
    """Assets the user viewed, downloaded or sent in a link, last used first."""
    events = select(Event.asset_id.label("asset_id"), Event.at.label("at")).where(
        Event.user_id == user.id,
        Event.type.in_(USED_EVENT_TYPES),
        Event.asset_id.is_not(None),
    )
    shared = (
        select(ShareAsset.asset_id.label("asset_id"), Share.created_at.label("at"))
        .join(Share, Share.id == ShareAsset.share_id)
        .where(Share.created_by_id == user.id)
    )
    used = union_all(events, shared).subquery()
    last = func.max(used.c.at)
    ids = db.session.scalars(
        select(used.c.asset_id)
        .group_by(used.c.asset_id)
        .order_by(last.desc(), used.c.asset_id.desc())
        .limit(limit * 2)  # room for some that are hidden since
    ).all()
    return _visible_in_order(user, list(ids))[:limit]
