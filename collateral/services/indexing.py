"""Keeping the search index true to the database, through the index outbox."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from flask import current_app
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import Asset, IndexOutbox, Version
from ..search_index import IndexBusy, IndexDocument
from .index_rebuild import asset_document, rebuild_from_database
from .pages import text_of_version
from .resources import search_index

log = logging.getLogger(__name__)
OUTBOX_BATCH = 200
# Lock timeouts a writer waits, at most, for the updates owed when it began to be applied.
BUSY_ATTEMPTS = 3


def queue_index_update(asset_id: int) -> None:
    """Owe the index an update for this asset, in the caller's transaction."""
    db.session.add(IndexOutbox(asset_id=asset_id))


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
    """The oldest outbox rows and what they owe, read only once the writer lock is held.

    Read under the lock, a batch holds every update committed before this writer took the
    lock, and no other writer can write an older state of an asset over it afterwards.
    """

    def __init__(self) -> None:
        self.rows: list[IndexOutbox] | None = None
        self.assets: list[Asset] = []
        self.gone: list[int] = []

    def _load(self) -> None:
        if self.rows is not None:
            return
        self.rows = list(
            db.session.scalars(select(IndexOutbox).order_by(IndexOutbox.id).limit(OUTBOX_BATCH))
        )
        asset_ids = sorted({row.asset_id for row in self.rows})
        # The assets after the rows, fresh from the database: an asset read first could
        # predate a change whose row is in the batch (and so would be marked applied).
        self.assets = list(
            db.session.scalars(
                select(Asset)
                .where(Asset.id.in_(asset_ids))
                .execution_options(populate_existing=True)
            )
        )
        found = {asset.id for asset in self.assets}
        self.gone = [asset_id for asset_id in asset_ids if asset_id not in found]

    def deletes(self) -> Iterator[int]:
        self._load()
        yield from self.gone

    def upserts(self) -> Iterator[IndexDocument]:
        self._load()
        for asset in self.assets:
            yield index_document(asset)


def _owed_up_to(last_id: int) -> bool:
    """Whether any update queued up to outbox row `last_id` is still owed."""
    owed = select(IndexOutbox.id).where(IndexOutbox.id <= last_id).limit(1)
    return db.session.scalar(owed) is not None


def apply_pending_index_updates(*, rounds: int = 3) -> int:
    """Apply what the outbox owes, in at most `rounds` batches; returns the rows applied.

    Each batch is read under the writer lock, so it holds every update committed before.
    While the lock is busy, the updates owed when this call began are waited for a few lock
    timeouts at most; whoever holds the lock meanwhile usually applies them, and what is still
    owed after that stays for the next writer or `index-sync`.
    """
    last_owed = db.session.scalar(select(func.max(IndexOutbox.id)))
    if last_owed is None:
        return 0
    timeout = float(current_app.config["INDEX_LOCK_TIMEOUT_SECONDS"])
    applied, batches, busy = 0, 0, 0
    while batches < rounds:
        batch = _OwedBatch()
        try:
            search_index().apply(batch.upserts(), batch.deletes(), timeout=timeout)
        except IndexBusy:
            db.session.rollback()
            busy += 1
            if not _owed_up_to(last_owed):
                break  # the writer that held the lock applied them
            if busy >= BUSY_ATTEMPTS:
                log.warning("index busy: updates left in the outbox for the next writer")
                break
            continue
        rows = batch.rows or []
        if rows:
            db.session.execute(delete(IndexOutbox).where(IndexOutbox.id.in_([r.id for r in rows])))
        db.session.commit()
        applied += len(rows)
        batches += 1
        if len(rows) < OUTBOX_BATCH:
            break  # all that was owed when the lock was taken; later rows' writers follow
    return applied


def pending_index_updates() -> int:
    return db.session.scalar(select(func.count(IndexOutbox.id))) or 0


def optimize_index() -> None:
    """Merge the index's segments into one: changes' own commits never merge big segments, so
    a library holding big documents gathers segments until this runs (`flask optimize`)."""
    search_index().optimize(timeout=float(current_app.config["INDEX_LOCK_TIMEOUT_SECONDS"]) * 6)


def rebuild_index(processes: int | None = None) -> int:
    """Rebuild the whole index from the database into a fresh folder and swap it in, with
    `processes` workers (None: the INDEX_REBUILD_PROCESSES setting; see index_rebuild)."""
    covered = db.session.scalar(select(func.max(IndexOutbox.id))) or 0
    count = rebuild_from_database(search_index(), processes)
    # Updates queued before the rebuild began are in it; later ones stay owed.
    db.session.execute(delete(IndexOutbox).where(IndexOutbox.id <= covered))
    db.session.commit()
    return count
