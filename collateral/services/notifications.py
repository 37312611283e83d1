"""What a user is told in the app (a link of theirs was opened, an asset they used changed),
and marking it read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from ..errors import InvalidInput
from ..extensions import db
from ..models import MAX_ID, Asset, Notification, User
from ..permissions import can_view_asset
from .assets import today_utc

LIMIT = 50


def _iso(moment) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def latest(user: User) -> list[Notification]:
    """The user's latest notifications, newest first."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.at.desc(), Notification.id.desc())
            .limit(LIMIT)
        )
    )


def openable_assets(user: User, rows: list[Notification]) -> set[int]:
    """Which of the assets the notifications name the user may open now (an expired or
    archived one is named, not linked)."""
    ids = {n.asset_id for n in rows if n.asset_id is not None}
    if not ids:
        return set()
    today = today_utc()
    assets = db.session.scalars(select(Asset).where(Asset.id.in_(ids)))
    return {a.id for a in assets if can_view_asset(user, a, today)}


def list_notifications(user: User) -> dict[str, Any]:
    """The user's latest notifications, newest first, and how many are unread."""
    unread = unread_count(user)
    rows = latest(user)
    return {
        "unread": unread,
        "results": [
            {
                "id": n.id,
                "type": n.type,
                "at": _iso(n.at),
                "read": n.read,
                "message": n.message,
                "asset": n.asset_id,
                "share": n.share_id,
            }
            for n in rows
        ],
    }


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread (the bell in the header)."""
    return db.session.scalar(
        select(func.count()).where(Notification.user_id == user.id, Notification.read.is_(False))
    )


def mark_read(user: User, body: dict) -> None:
    """Mark some (`ids`) or all (`all: true`) of the user's notifications read."""
    query = update(Notification).where(Notification.user_id == user.id)
    if body.get("all") is True:
        pass
    else:
        ids = body.get("ids")
        if (
            not isinstance(ids, list)
            or len(ids) > 1000
            or not all(
                isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID for i in ids
            )
        ):
            raise InvalidInput('Send {"ids": [notification ids]} or {"all": true}.', field="ids")
        query = query.where(Notification.id.in_(ids))
    db.session.execute(query.values(read=True))
    db.session.commit()
