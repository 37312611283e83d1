"""Rebuilding the whole search index from the database, in one process or several.

A node with no index is not ready until its rebuild is done, and Whoosh keeps one core busy
per process; so a large library is read and indexed in contiguous slices of asset ids, each in
its own process with its own database connection (`search_index.rebuilding` writes each slice
as a segment, in id order). A small library is rebuilt here, where starting workers would cost
more than it saves.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, selectinload

from ..extensions import db
from ..models import LIST_TERM_KINDS, Asset, Page
from ..search_index import IndexDocument, SearchIndex, bounded_body

# Assets per worker below which one more worker is not worth its start (about a second).
MIN_ASSETS_PER_PROCESS = 500
# Assets read from the database at a time, with their versions and terms.
BATCH = 200


def asset_document(asset: Asset, text: str, max_chars: int, max_words: int) -> IndexDocument:
    """What the index holds for an asset whose current version's text is `text`."""
    version = asset.current_version
    # Sorted: the order a database hands back a collection is not part of the document (the
    # fingerprint must not depend on how the assets were loaded).
    ids = {kind: sorted(t.id for t in asset.terms_of(kind)) for kind in LIST_TERM_KINDS}
    # Names as words too, so a rename or merge changes what a search for them finds.
    term_names = sorted(t.name for t in asset.terms)
    if asset.content_type is not None:
        term_names.append(asset.content_type.name)
    return IndexDocument(
        asset_id=asset.id,
        title=asset.title,
        description=asset.description or "",
        body=bounded_body(text, max_chars, max_words),
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


def version_text(session: Session, version_id: int) -> str:
    """All the extracted text of a version, page after page."""
    texts = session.scalars(
        select(Page.text).where(Page.version_id == version_id).order_by(Page.number)
    )
    return "\n\n".join(texts)


def documents_between(
    session: Session, first_id: int | None, last_id: int | None, max_chars: int, max_words: int
) -> Iterator[IndexDocument]:
    """The documents of the assets with ids from `first_id` to `last_id` (None: no bound), in
    id order, read a batch at a time with their versions and terms (3 queries a batch, not 3
    an asset), each version's text on its own so only one file's text is held at once."""
    after = None if first_id is None else first_id - 1
    while True:
        query = select(Asset).order_by(Asset.id).limit(BATCH)
        if after is not None:
            query = query.where(Asset.id > after)
        if last_id is not None:
            query = query.where(Asset.id <= last_id)
        query = query.options(
            selectinload(Asset.versions),
            selectinload(Asset.terms),
            selectinload(Asset.content_type),
        )
        assets = list(session.scalars(query))
        for asset in assets:
            version = asset.current_version
            text = "" if version is None else version_text(session, version.id)
            yield asset_document(asset, text, max_chars, max_words)
        if len(assets) < BATCH:
            return
        after = assets[-1].id
        session.expunge_all()  # keep memory flat on a large library


@dataclass(frozen=True)
class LibrarySlice:
    """The documents of one slice of asset ids, read through a connection of its own: a
    picklable part for `SearchIndex.rebuild_in_parts`, called in a worker process."""

    database_url: str
    first_id: int | None
    last_id: int | None
    max_chars: int
    max_words: int
    connect_args: dict[str, Any] = field(default_factory=dict)

    def __call__(self) -> Iterator[IndexDocument]:
        engine = create_engine(self.database_url, connect_args=self.connect_args)
        try:
            with Session(engine) as session:
                yield from documents_between(
                    session, self.first_id, self.last_id, self.max_chars, self.max_words
                )
        finally:
            engine.dispose()


def rebuild_processes(asked: int | None, assets: int) -> int:
    """How many processes rebuild `assets` assets: `asked` if given (never more than the
    assets); else the setting (0: one per core), but none with fewer than
    MIN_ASSETS_PER_PROCESS assets to index."""
    if asked:
        return max(1, min(asked, assets))
    setting = int(current_app.config["INDEX_REBUILD_PROCESSES"]) or os.cpu_count() or 1
    return max(1, min(setting, assets // MIN_ASSETS_PER_PROCESS))


def slices(asset_ids: list[int], parts: int) -> list[tuple[int | None, int | None]]:
    """`parts` contiguous ranges of ids, about as many assets in each, covering every id (the
    first and last ranges are open, so an asset added meanwhile falls in one)."""
    bounds: list[tuple[int | None, int | None]] = []
    for part in range(parts):
        start = len(asset_ids) * part // parts
        end = len(asset_ids) * (part + 1) // parts
        first = None if part == 0 else asset_ids[start]
        last = None if part == parts - 1 else asset_ids[end - 1]
        bounds.append((first, last))
    return bounds


def rebuild_from_database(
    index: SearchIndex, processes: int | None = None, *, position: int | None = None
) -> int:
    """Rebuild `index` from every asset in the database, swap it in; returns the count.
    `position`, the change-log position the documents account for, is recorded with them.

    With one process the documents are read here, lazily, once the writer lock is held; with
    several, each worker reads its slice after the lock is taken too.
    """
    max_chars = int(current_app.config["INDEX_MAX_CHARS"])
    max_words = int(current_app.config["INDEX_MAX_WORDS"])
    asset_ids = list(db.session.scalars(select(Asset.id).order_by(Asset.id)))
    parts = rebuild_processes(processes, len(asset_ids))
    if parts == 1:
        return index.rebuild(
            documents_between(db.session, None, None, max_chars, max_words), position=position
        )
    url = db.engine.url.render_as_string(hide_password=False)
    options = current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    connect_args = dict(options.get("connect_args") or {})
    return index.rebuild_in_parts(
        [
            LibrarySlice(url, first, last, max_chars, max_words, connect_args)
            for first, last in slices(asset_ids, parts)
        ],
        position=position,
    )
