"""Assets and versions as the API returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for

from ..models import KIND_PLURALS, LIST_TERM_KINDS, Asset, Version
from ..services.page_images import preview_json


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def version_json(version: Version) -> dict[str, Any]:
    return {
        "number": version.number,
        "filename": version.original_filename,
        "size": version.size,
        "sha256": version.blob_sha256,
        "mime_type": version.mime_type,
        "pages": version.page_count,
        "uploaded_at": iso(version.uploaded_at),
        "uploaded_by": version.uploaded_by.email,
        "note": version.note or "",
        "searchable_text": version.has_text,
        "text_error": version.extraction_error,
    }


def thumbnail_url(asset: Asset, endpoint: str = "api.asset_thumbnail") -> str | None:
    """The current thumbnail's address; it names the content, so browsers may keep it."""
    current = asset.current_version
    if current is None or current.thumbnail_sha256 is None:
        return None
    return url_for(endpoint, asset_id=asset.id, v=current.thumbnail_sha256[:16])


def asset_json(asset: Asset) -> dict[str, Any]:
    current = asset.current_version
    return {
        "id": asset.id,
        "title": asset.title,
        "description": asset.description or "",
        **{KIND_PLURALS[kind]: [t.name for t in asset.terms_of(kind)] for kind in LIST_TERM_KINDS},
        "content_type": asset.content_type.name if asset.content_type else None,
        "tags": list(asset.tags or []),
        "status": asset.status,
        "owner": asset.owner.email,
        "created_at": iso(asset.created_at),
        "updated_at": iso(asset.updated_at),
        "expires_at": asset.expires_at.isoformat() if asset.expires_at else None,
        "current_version": version_json(current) if current else None,
        "versions": [version_json(v) for v in asset.versions],
        "download_url": url_for("api.download_asset", asset_id=asset.id),
        "thumbnail_url": thumbnail_url(asset),
        "preview": preview_json(current),
    }
