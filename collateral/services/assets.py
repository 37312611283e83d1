"""Collateral: upload, change, archive, view and download assets."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import select

from ..errors import Forbidden, InvalidInput, NotFound, TooLarge, UnsupportedType
from ..extensions import db
from ..extract import Extraction, extract_in_child
from ..filetypes import UnsupportedFileType, detect_file_type
from ..models import Asset, Page, User, Version, utcnow
from ..permissions import can_download_old_versions, can_edit_assets, can_view_asset
from ..storage import BlobTooLarge
from .asset_fields import AssetFields, parse_asset_fields
from .audit import record_event
from .indexing import apply_pending_index_updates, queue_index_update
from .resources import blob_store

MAX_FILENAME = 255


def today_utc():
    return datetime.now(UTC).date()


def clean_filename(filename: str | None) -> str:
    """The name to show and to offer on download: no folders, no control characters.

    It is never used as a path: blobs are stored under their hash.
    """
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if not name.strip("."):
        raise InvalidInput("file: the file has no usable name.", field="file")
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_FILENAME - len(ext) - 1] + dot + ext) if dot else name[:MAX_FILENAME]
    return name


def _limit_bytes() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024


def too_large_error() -> TooLarge:
    limit = current_app.config["MAX_UPLOAD_MB"]
    return TooLarge(f"The file is larger than the upload limit of {limit} MB.", field="file")


@dataclass
class StoredFile:
    sha256: str
    size: int
    filename: str
    kind: str
    mime_type: str
    extraction: Extraction


def _store_upload(stream: BinaryIO, filename: str) -> StoredFile:
    """Check, extract and store an uploaded file; nothing stays behind when it is refused."""
    if "\x00" in (filename or ""):
        raise UnsupportedType("file: the file name contains a NUL byte.", field="file")
    name = clean_filename(filename)
    store = blob_store()
    try:
        with store.staged(stream, max_bytes=_limit_bytes()) as staged:
            try:
                file_type = detect_file_type(staged.temp_path, name)
            except UnsupportedFileType as exc:
                raise UnsupportedType(str(exc), field="file") from exc
            extraction = extract_in_child(
                staged.temp_path,
                file_type.kind,
                timeout_seconds=float(current_app.config["EXTRACT_TIMEOUT_SECONDS"]),
                memory_mb=int(current_app.config["EXTRACT_MEMORY_MB"]),
            )
            store.commit(staged)
    except BlobTooLarge as exc:
        raise too_large_error() from exc
    return StoredFile(
        staged.sha256, staged.size, name, file_type.kind, file_type.mime_type, extraction
    )


def _forget_blob_if_unused(sha256: str) -> None:
    used = db.session.scalar(select(Version.id).where(Version.blob_sha256 == sha256).limit(1))
    if used is None:
        blob_store().delete(sha256)


MEDIA_KINDS = frozenset({"png", "jpeg", "gif", "webp", "mp4", "mov", "webm"})


def _why_no_text(kind: str, extraction: Extraction) -> str | None:
    """The reason a document has no searchable text, for the marketer to act on."""
    if extraction.error or extraction.has_text or kind in MEDIA_KINDS:
        return extraction.error
    return "The file contains no text."


def _new_version(asset: Asset, number: int, stored: StoredFile, user: User, note: str) -> Version:
    extraction = stored.extraction
    version = Version(
        number=number,
        original_filename=stored.filename,
        blob_sha256=stored.sha256,
        size=stored.size,
        mime_type=stored.mime_type,
        kind=stored.kind,
        page_count=extraction.page_count,
        has_text=extraction.has_text,
        extraction_error=_why_no_text(stored.kind, extraction),
        file_metadata=extraction.metadata or {},
        uploaded_by_id=user.id,
        uploaded_at=utcnow(),
        note=note,
    )
    version.pages = [
        Page(number=p.number, label=p.label, name=p.name, text=p.text.replace("\x00", ""))
        for p in extraction.pages
    ]
    asset.versions.append(version)
    return version


def _apply_fields(asset: Asset, fields: AssetFields) -> dict[str, list[Any]]:
    """Set the given fields on an asset; returns what changed as {field: [old, new]}."""
    changes: dict[str, list[Any]] = {}

    def change(name: str, old: Any, new: Any) -> None:
        if old != new:
            changes[name] = [old, new]

    if "title" in fields.given:
        change("title", asset.title, fields.title)
        asset.title = fields.title
    if "description" in fields.given:
        change("description", asset.description, fields.description)
        asset.description = fields.description
    for plural, kind in (("products", "product"), ("industries", "industry"), ("stages", "stage")):
        if plural in fields.given:
            old_terms = asset.terms_of(kind)
            change(plural, [t.name for t in old_terms], [t.name for t in fields.terms[kind]])
            others = [t for t in asset.terms if t.kind != kind]
            asset.terms = others + fields.terms[kind]
    if "content_type" in fields.given:
        old = asset.content_type.name if asset.content_type else None
        change("content_type", old, fields.content_type.name if fields.content_type else None)
        asset.content_type = fields.content_type
    if "tags" in fields.given:
        change("tags", list(asset.tags or []), fields.tags)
        asset.tags = fields.tags
    if "status" in fields.given:
        change("status", asset.status, fields.status)
        asset.status = fields.status
    if "expires_at" in fields.given:
        old_date = asset.expires_at.isoformat() if asset.expires_at else None
        new_date = fields.expires_at.isoformat() if fields.expires_at else None
        change("expires_at", old_date, new_date)
        asset.expires_at = fields.expires_at
    return changes


def require_editor(user: User) -> None:
    if not can_edit_assets(user):
        raise Forbidden("Only marketers and admins can change collateral.")


def create_asset(
    user: User, stream: BinaryIO, filename: str | None, raw_fields: Mapping[str, Any]
) -> Asset:
    """Upload a file as a new asset: stored, its text extracted and indexed, the upload audited."""
    require_editor(user)
    fields = parse_asset_fields(raw_fields, partial=False)
    fields.given |= {"title", "status"}
    stored = _store_upload(stream, filename or "")
    try:
        asset = Asset(owner_id=user.id, tags=[], terms=[])
        _apply_fields(asset, fields)
        db.session.add(asset)
        version = _new_version(asset, 1, stored, user, note="")
        asset.current_version_number = 1
        db.session.flush()
        queue_index_update(asset.id)
        record_event(
            "upload",
            user,
            asset,
            version=1,
            filename=stored.filename,
            size=stored.size,
            sha256=stored.sha256,
            searchable_text=version.has_text,
            text_error=version.extraction_error,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _forget_blob_if_unused(stored.sha256)
        raise
    apply_pending_index_updates()
    return asset


def update_asset(user: User, asset_id: int, raw_fields: Mapping[str, Any]) -> Asset:
    """Change an asset's metadata; re-indexed at once, and the change audited with old and new."""
    require_editor(user)
    asset = get_asset(user, asset_id)
    if not raw_fields:
        raise InvalidInput("Send at least one field to change.")
    fields = parse_asset_fields(raw_fields, partial=True)
    changes = _apply_fields(asset, fields)
    if changes:
        asset.updated_at = utcnow()
        queue_index_update(asset.id)
        record_event("update", user, asset, changes=changes)
        db.session.commit()
        apply_pending_index_updates()
    return asset


def archive_asset(user: User, asset_id: int) -> Asset:
    """Take an asset out of reps' sight; it is kept and can be published again."""
    require_editor(user)
    asset = get_asset(user, asset_id)
    if asset.status != "archived":
        old = asset.status
        asset.status = "archived"
        asset.updated_at = utcnow()
        queue_index_update(asset.id)
        record_event("archive", user, asset, changes={"status": [old, "archived"]})
        db.session.commit()
        apply_pending_index_updates()
    return asset


def get_asset(user: User, asset_id: int) -> Asset:
    """The asset if this user may see it; 404 otherwise, so hidden assets stay unknown."""
    asset = db.session.get(Asset, asset_id)
    if asset is None or not can_view_asset(user, asset, today_utc()):
        raise NotFound(f"No asset with id {asset_id}.")
    return asset


def view_asset(user: User, asset_id: int) -> Asset:
    """The asset for its page, with the view audited."""
    asset = get_asset(user, asset_id)
    record_event("view", user, asset, version=asset.current_version_number)
    db.session.commit()
    return asset


@dataclass
class Download:
    asset_id: int
    version: int
    path: Path
    filename: str
    mime_type: str
    sha256: str


def open_download(user: User, asset_id: int, version_number: int | None = None) -> Download:
    """The file a user may download: the current version, or an older one for some roles."""
    asset = get_asset(user, asset_id)
    if version_number is None:
        version = asset.current_version
    else:
        if version_number != asset.current_version_number and not can_download_old_versions(user):
            raise Forbidden("Only marketers, managers and admins can download older versions.")
        version = next((v for v in asset.versions if v.number == version_number), None)
    if version is None:
        raise NotFound(f"Asset {asset_id} has no version {version_number}.")
    path = blob_store().path_for(version.blob_sha256)
    if not path.is_file():
        raise NotFound("The file is missing from the store; an admin can run `flask check`.")
    return Download(
        asset.id,
        version.number,
        path,
        version.original_filename,
        version.mime_type,
        version.blob_sha256,
    )


def record_download(user: User, download: Download) -> None:
    """Audit and count a download that sent the file's first byte (not a 304 or a HEAD)."""
    asset = db.session.get(Asset, download.asset_id)
    asset.download_count += 1
    record_event("download", user, asset, version=download.version)
    db.session.commit()
