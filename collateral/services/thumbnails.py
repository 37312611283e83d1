"""Thumbnails for versions that have none: uploads before previews existed, or a lost blob."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Asset, Version
from ..page_images import OFFICE_KINDS
from ..previews import thumbnail_in_child
from ..storage import BlobMissing
from .resources import blob_store

BATCH = 50


def _limits() -> dict:
    return {
        "timeout_seconds": float(current_app.config["EXTRACT_TIMEOUT_SECONDS"]),
        "memory_mb": int(current_app.config["EXTRACT_MEMORY_MB"]),
    }


def redraw_thumbnail(asset: Asset) -> str | None:
    """Draw the current version's thumbnail again (a title card shows the title, which changed).

    Returns the previous thumbnail's SHA-256, for the caller to forget after its commit.
    """
    version = asset.current_version
    if version is None or (version.preview_status == "ready" and version.kind in OFFICE_KINDS):
        return None  # the first slide or page is the thumbnail: no title on it to follow
    try:
        with blob_store().local_copy(version.blob_sha256) as source:
            image = thumbnail_in_child(source, version.kind, asset.title, **_limits())
    except BlobMissing:
        return None
    old, version.thumbnail_sha256 = version.thumbnail_sha256, blob_store().put_bytes(image)
    return old if old != version.thumbnail_sha256 else None


def _needs_thumbnail(version: Version) -> bool:
    sha256 = version.thumbnail_sha256
    return sha256 is None or not blob_store().exists(sha256)


def make_missing_thumbnails() -> int:
    """Make and store a thumbnail for every version without one; returns how many were made.

    Each is made in a limited child process, as at upload; a version whose file is missing
    from the store is left for `flask check`.
    """
    store = blob_store()
    limits = _limits()
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
            if not _needs_thumbnail(version):
                continue
            try:
                with store.local_copy(version.blob_sha256) as source:
                    image = thumbnail_in_child(source, version.kind, title, **limits)
            except BlobMissing:
                continue
            version.thumbnail_sha256 = store.put_bytes(image)
            made += 1
        db.session.commit()
        db.session.expunge_all()
