"""Keeping this node's search index true to the database, by following the change log.

Each change to what search sees logs the asset in the change's own transaction
(`change_log.py`); this node's index records, in the same Whoosh commit as the documents, the
last log position it applied, and `apply_pending_index_updates` applies the rows after it. The
service that made a change applies at once (so its own node shows it in the next search); a
thread in each process (`index_follower.py`) applies what other nodes commit. An index that
records no position (new, emptied, or from an older release) or one older than the pruned log
cannot be brought up to date by changes: it is rebuilt from the database.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Asset, Version
from ..search_index import ChangeBatch, IndexBusy, IndexDocument
from . import change_log
from .index_rebuild import asset_document, rebuild_from_database
from .pages import text_of_version
from .resources import search_index

log = logging.getLogger(__name__)
OUTBOX_BATCH = 200
# Lock timeouts a writer waits, at most, for the updates owed when it began to be applied.
BUSY_ATTEMPTS = 3


def queue_index_update(asset_id: int) -> None:
    """Owe every node's index an update for this asset, logged with the caller's transaction."""
    change_log.log_change(asset_id)


def current_text(version: Version | None) -> str:
    """All the extracted text of a version, page after page."""
    if version is None:
        return ""
    return text_of_version(version.id)


def index_document(asset: Asset) -> IndexDocument:
    """What the index holds for an asset, built from the database."""
    return asset_document(
        asset,
        current_text(asset.current_version),
        int(current_app.config["INDEX_MAX_CHARS"]),
        int(current_app.config["INDEX_MAX_WORDS"]),
    )


class _OwedBatch:
    """The log rows after the position the index records, and what they owe; read only once
    the writer lock is held.

    Read under the lock, a batch follows exactly the position the index holds, and no other
    writer can write an older state of an asset over it afterwards.
    """

    def __init__(self) -> None:
        self.rows: list[tuple[int, int]] = []
        self.needs_rebuild = False

    def owed(self, position: int | None) -> ChangeBatch | None:
        if position is None or position < change_log.pruned_through():
            self.needs_rebuild = True
            return None
        self.rows = change_log.rows_after(position, OUTBOX_BATCH)
        if not self.rows:
            return None
        asset_ids = sorted({asset_id for _, asset_id in self.rows})
        # The assets after the rows, fresh from the database: an asset read first could
        # predate a change whose row is in the batch (and so would be marked applied).
        assets = list(
            db.session.scalars(
                select(Asset)
                .where(Asset.id.in_(asset_ids))
                .execution_options(populate_existing=True)
            )
        )
        found = {asset.id for asset in assets}
        return ChangeBatch(
            upserts=[index_document(asset) for asset in assets],
            deletes=[asset_id for asset_id in asset_ids if asset_id not in found],
            position=self.rows[-1][0],
        )


def applied_position() -> int | None:
    """The log position this node's index has applied; None when it has none to apply on."""
    index = search_index()
    return index.applied_position() if index.has_index() else None


def apply_pending_index_updates(*, rounds: int = 3, rebuild: bool = False) -> int:
    """Apply the log rows this node's index has not, in at most `rounds` batches; returns the
    rows applied. An index that records no position, or one older than the pruned log, is
    rebuilt instead with `rebuild` (the follower thread, the CLI), else left for them: a
    request must not hold its user for a whole rebuild.

    While the writer lock is busy (another process of this node applying or rebuilding), the
    rows committed when this call began are waited for a few lock timeouts at most; whoever
    holds the lock meanwhile usually applies them, and what is left stays for the next writer,
    the follower thread or `index-sync`.
    """
    target = change_log.last_position()
    if _up_to_date(target):
        return 0  # nothing owed: no need to take the writer lock
    timeout = float(current_app.config["INDEX_LOCK_TIMEOUT_SECONDS"])
    applied, batches, busy = 0, 0, 0
    while batches < rounds:
        batch = _OwedBatch()
        try:
            search_index().apply_owed(batch.owed, timeout=timeout)
        except IndexBusy:
            db.session.rollback()
            busy += 1
            if (applied_position() or -1) >= target:
                break  # the writer that held the lock applied them
            if busy >= BUSY_ATTEMPTS:
                log.warning("index busy: log rows left for the follower or the next writer")
                break
            continue
        db.session.commit()  # end the read transaction
        if batch.needs_rebuild:
            if rebuild:
                rebuild_index()
            break
        applied += len(batch.rows)
        batches += 1
        if len(batch.rows) < OUTBOX_BATCH:
            break  # all that was committed when the lock was taken; later rows' writers follow
    return applied


def _up_to_date(target: int) -> bool:
    """Whether this node's index has applied up to `target` and needs no rebuild (read
    without the lock: a wrong "no" only costs taking it)."""
    index = search_index()
    if not index.has_index() or index.is_new():
        return False
    position = index.applied_position()
    return position is not None and target <= position and position >= change_log.pruned_through()


def pending_index_updates() -> int:
    """Committed log rows this node's index has not applied (its lag)."""
    return change_log.count_after(applied_position())


def optimize_index() -> None:
    """Merge the index's segments into one: changes' own commits never merge big segments, so
    a library holding big documents gathers segments until this runs (`flask optimize`)."""
    search_index().optimize(timeout=float(current_app.config["INDEX_LOCK_TIMEOUT_SECONDS"]) * 6)


def rebuild_index(processes: int | None = None) -> int:
    """Rebuild the whole index from the database into a fresh folder and swap it in, with
    `processes` workers (None: the INDEX_REBUILD_PROCESSES setting; see index_rebuild); the new
    index records the log position read before the documents, so rows committed during the
    rebuild are applied after it (applying a row twice is harmless: it reads the asset anew)."""
    covered = change_log.last_position()
    # Reported before building, so no node prunes the rows this index will start from.
    change_log.report_position(covered)
    count = rebuild_from_database(search_index(), processes, position=covered)
    db.session.commit()
    return count
