"""What a user is told in the app (a link of theirs was opened), and marking it read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from ..errors import InvalidInput
from ..extensions import db
from ..models import MAX_ID, Notification, User

LIMIT = 50


def _iso(moment) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def list_notifications(user: User) -> dict[str, Any]:
    """The user's latest notifications, newest first, and how many are unread."""
    unread = db.session.scalar(
        select(func.count()).where(Notification.user_id == user.id, Notification.read.is_(False))
    )
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.at.desc(), Notification.id.desc())
        .limit(LIMIT)
    )
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
