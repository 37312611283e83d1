"""The ordered change log in the database, which every node's search index follows.

A change to what search sees notes the asset (`log_change`) in the caller's transaction; just
before that transaction commits, one log row per asset is inserted, so the row commits or
rolls back with the change. Each node's index records the last position it applied and applies
the rows after it (`services/indexing.py`).

Why positions follow commit order: a reader takes every row after the position it applied, so
a row committed *after* a row with a higher position would be skipped for ever. On PostgreSQL,
identity values are handed out at insert time, not commit time: transaction T1 may take 41,
T2 42, and T2 commit first. So each writer first takes one transaction-level advisory lock
(`pg_advisory_xact_lock(LOG_LOCK)`), held until its commit or rollback, and only then inserts:
T2 cannot draw a position until T1 has committed and is visible, so the positions readers see
only ever grow. The rows are inserted in the `before_commit` hook, so the lock is held only for
the insert and the commit itself, not for the rest of the request. On SQLite, writers already
take the database's one write lock for the whole transaction, so the order comes free. Gaps (a
position drawn by a transaction that then rolled back) are harmless: readers never wait for a
missing number. Rows every recently seen node has passed are pruned (`prune`); the highest
position pruned is kept, so a node whose index is older knows it must rebuild.
"""

from __future__ import annotations

import socket
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import delete, event, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import ChangeLog, ChangeLogPruned, IndexNode, utcnow

LOG_LOCK = 0x636F6C6C  # the advisory lock's key: any constant no other code uses
_OWED_KEY = "collateral.changed_assets"
_LOGGED_KEY = "collateral.change_logged"


def log_change(asset_id: int, session: Session | None = None) -> None:
    """Log a change to this asset when the caller's transaction commits (and only then)."""
    (session or db.session).info.setdefault(_OWED_KEY, set()).add(int(asset_id))


@event.listens_for(Session, "before_commit")
def _write_log_rows(session: Session) -> None:
    owed = session.info.pop(_OWED_KEY, None)
    if not owed:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOG_LOCK})
    now = utcnow()
    session.execute(insert(ChangeLog), [{"asset_id": a, "logged_at": now} for a in sorted(owed)])
    session.info[_LOGGED_KEY] = True


@event.listens_for(Session, "after_commit")
def _wake_follower(session: Session) -> None:
    if session.info.pop(_LOGGED_KEY, None) and has_app_context():
        follower = current_app.extensions.get("collateral.index_follower")
        if follower is not None:
            follower.wake()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_OWED_KEY, None)
    session.info.pop(_LOGGED_KEY, None)


def last_position() -> int:
    """The highest position committed (0 when the log has never had a row)."""
    newest = db.session.scalar(select(func.max(ChangeLog.position)))
    return int(newest or pruned_through())


def pruned_through() -> int:
    """The highest position pruned: an index that applied less has missed changes."""
    return int(db.session.scalar(select(ChangeLogPruned.through).limit(1)) or 0)


def rows_after(position: int, limit: int) -> list[tuple[int, int]]:
    """(position, asset id) of the first `limit` rows after `position`, in order."""
    found = db.session.execute(
        select(ChangeLog.position, ChangeLog.asset_id)
        .where(ChangeLog.position > position)
        .order_by(ChangeLog.position)
        .limit(limit)
    )
    return [(int(p), int(a)) for p, a in found]


def count_after(position: int | None) -> int:
    """How many committed rows follow `position` (every row when None)."""
    query = select(func.count(ChangeLog.position))
    if position is not None:
        query = query.where(ChangeLog.position > position)
    return int(db.session.scalar(query) or 0)


def node_name() -> str:
    """This node's name: the setting, else this host and its index folder (stable across
    restarts, distinct for two nodes on one host)."""
    configured = str(current_app.config.get("INDEX_NODE_NAME") or "")
    return configured or f"{socket.gethostname()}:{current_app.config['INDEX_ROOT']}"[:300]


def report_position(position: int) -> None:
    """Record that this node's index has applied `position`, now (commits)."""
    name, now = node_name(), utcnow()
    changed = db.session.execute(
        update(IndexNode).where(IndexNode.name == name).values(position=position, seen_at=now)
    ).rowcount
    if not changed:
        db.session.add(IndexNode(name=name, position=position, seen_at=now))
    try:
        db.session.commit()
    except IntegrityError:  # two processes of one node inserted it at once: the other's row stands
        db.session.rollback()


def prune() -> int:
    """Delete the rows every node seen within INDEX_NODE_FORGET_HOURS has applied; how many.

    A node not seen for longer is forgotten: when it comes back its index is older than the
    log and it rebuilds.
    """
    recent = utcnow() - timedelta(hours=float(current_app.config["INDEX_NODE_FORGET_HOURS"]))
    cutoff = db.session.scalar(
        select(func.min(IndexNode.position)).where(IndexNode.seen_at >= recent)
    )
    if not cutoff or cutoff <= pruned_through():
        db.session.rollback()
        return 0
    removed = db.session.execute(delete(ChangeLog).where(ChangeLog.position <= cutoff)).rowcount
    marked = db.session.execute(
        update(ChangeLogPruned).where(ChangeLogPruned.through < cutoff).values(through=cutoff)
    ).rowcount
    if not marked and db.session.get(ChangeLogPruned, 1) is None:  # the migration makes it
        db.session.add(ChangeLogPruned(id=1, through=cutoff))
    db.session.execute(delete(IndexNode).where(IndexNode.seen_at < recent))
    try:
        db.session.commit()
    except DBAPIError:  # another node pruned at the same moment; its prune stands
        db.session.rollback()
        return 0
    return int(removed or 0)


# Far above any position a node of the library before a restore can have reached.
_EPOCH_STEP = 2**40


def start_new_epoch() -> int:
    """After a restore: forget the log and move every position past any other node's, so every
    node rebuilds its index from the restored database (their recorded positions belong to the
    database as it was, and would otherwise skip the restored one's changes). Commits; returns
    the new floor."""
    floor = last_position() + _EPOCH_STEP
    db.session.execute(delete(ChangeLog))
    db.session.execute(delete(IndexNode))
    db.session.execute(update(ChangeLogPruned).values(through=floor))
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT setval(pg_get_serial_sequence('change_log', 'position'), :floor)"),
            {"floor": floor},
        )
    else:
        db.session.execute(text("DELETE FROM sqlite_sequence WHERE name = 'change_log'"))
        db.session.execute(
            text("INSERT INTO sqlite_sequence (name, seq) VALUES ('change_log', :floor)"),
            {"floor": floor},
        )
    db.session.commit()
    return floor
