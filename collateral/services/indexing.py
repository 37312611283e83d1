"""Keeping the search index true to the database, through the index outbox."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from flask import current_app
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import Asset, IndexOutbox, Page, Version
from ..search_index import IndexBusy, IndexDocument
from .resources import search_index

log = logging.getLogger(__name__)
OUTBOX_BATCH = 200


def queue_index_update(asset_id: int) -> None:
    """Owe the index an update for this asset, in the caller's transaction."""
    db.session.add(IndexOutbox(asset_id=asset_id))


def current_text(version: Version | None) -> str:
    """All the extracted text of a version, page after page."""
    if version is None:
        return ""
    texts = db.session.scalars(
        select(Page.text).where(Page.version_id == version.id).order_by(Page.number)
    )
    return "\n\n".join(texts)


def index_document(asset: Asset) -> IndexDocument:
    """What the index holds for an asset, built from the database."""
    version = asset.current_version
    ids = {kind: [t.id for t in asset.terms_of(kind)] for kind in ("product", "industry", "stage")}
    # Names as words too, so a rename or merge changes what a search for them finds.
    term_names = [t.name for t in asset.terms]
    if asset.content_type is not None:
        term_names.append(asset.content_type.name)
    return IndexDocument(
        asset_id=asset.id,
        title=asset.title,
        description=asset.description or "",
        body=current_text(version),
        filename=version.original_filename if version else "",
        tags=list(asset.tags or []),
        products=ids["product"],
        industries=ids["industry"],
        stages=ids["stage"],
        content_type=asset.content_type_id,
        status=asset.status,
        sort_date=version.uploaded_at if version else asset.created_at,
        expires_on=asset.expires_at,
        term_names=term_names,
    )


def apply_pending_index_updates(*, rounds: int = 3) -> int:
    """Apply what the outbox owes; rows stay when the index is busy, for the next writer.

    Runs a few rounds because another worker may queue rows while this one holds the lock.
    """
    applied = 0
    timeout = float(current_app.config["INDEX_LOCK_TIMEOUT_SECONDS"])
    for _ in range(rounds):
        rows = list(
            db.session.scalars(select(IndexOutbox).order_by(IndexOutbox.id).limit(OUTBOX_BATCH))
        )
        if not rows:
            break
        asset_ids = sorted({row.asset_id for row in rows})
        # Fresh from the database: rows kept across commits may be older than the change owed.
        assets = db.session.scalars(
            select(Asset).where(Asset.id.in_(asset_ids)).execution_options(populate_existing=True)
        ).all()
        found = {asset.id for asset in assets}
        try:
            search_index().apply(
                (index_document(asset) for asset in assets),
                deletes=[i for i in asset_ids if i not in found],
                timeout=timeout,
            )
        except IndexBusy:
            log.info("index busy: %d updates left in the outbox", len(rows))
            db.session.rollback()
            break
        db.session.execute(delete(IndexOutbox).where(IndexOutbox.id.in_([r.id for r in rows])))
        db.session.commit()
        applied += len(rows)
    return applied


def pending_index_updates() -> int:
    return db.session.scalar(select(func.count(IndexOutbox.id))) or 0


def _all_documents() -> Iterator[IndexDocument]:
    ids = list(db.session.scalars(select(Asset.id).order_by(Asset.id)))
    for start in range(0, len(ids), 100):
        batch = db.session.scalars(select(Asset).where(Asset.id.in_(ids[start : start + 100])))
        for asset in batch:
            yield index_document(asset)
        db.session.expunge_all()  # keep memory flat on a large library


def rebuild_index() -> int:
    """Rebuild the whole index from the database into a fresh folder and swap it in."""
    covered = db.session.scalar(select(func.max(IndexOutbox.id))) or 0
    count = search_index().rebuild(_all_documents())
    # Updates queued before the rebuild began are in it; later ones stay owed.
    db.session.execute(delete(IndexOutbox).where(IndexOutbox.id <= covered))
    db.session.commit()
    return count
