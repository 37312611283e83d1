"""Thumbnails for versions that have none: uploads before previews existed, or a lost blob."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Asset, Version
from ..previews import thumbnail_in_child
from .resources import blob_store

BATCH = 50


def _needs_thumbnail(version: Version) -> bool:
    sha256 = version.thumbnail_sha256
    return sha256 is None or not blob_store().exists(sha256)


def make_missing_thumbnails() -> int:
    """Make and store a thumbnail for every version without one; returns how many were made.

    Each is made in a limited child process, as at upload; a version whose file is missing
    from the store is left for `flask check`.
    """
    store = blob_store()
    limits = {
        "timeout_seconds": float(current_app.config["EXTRACT_TIMEOUT_SECONDS"]),
        "memory_mb": int(current_app.config["EXTRACT_MEMORY_MB"]),
    }
    made = 0
    last_id = 0
    while True:
        rows = db.session.execute(
            select(Version, Asset.title)
            .join(Asset, Asset.id == Version.asset_id)
            .where(Version.id > last_id)
            .order_by(Version.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return made
        for version, title in rows:
            last_id = version.id
            source = store.path_for(version.blob_sha256)
            if not _needs_thumbnail(version) or not source.is_file():
                continue
            image = thumbnail_in_child(source, version.kind, title, **limits)
            version.thumbnail_sha256 = store.put_bytes(image)
            made += 1
        db.session.commit()
        db.session.expunge_all()
