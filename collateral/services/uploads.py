"""Turning an uploaded file into a stored blob, its text and its thumbnail, ready to record."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from sqlalchemy import or_, select

from ..display_text import strip_bidi_controls
from ..errors import DuplicateFile, InvalidInput, TooLarge, Unreadable, UnsupportedType
from ..extensions import db
from ..extract import Extraction
from ..filetypes import ACCEPTED_EXTENSIONS, UnsafeFile, UnsupportedFileType, detect_file_type
from ..models import Asset, Page, User, Version, utcnow
from ..storage import BlobTooLarge
from ..upload_reading import read_upload_in_child
from .page_images import initial_preview
from .resources import blob_store

MAX_FILENAME = 255
MAX_NOTE = 2000
MEDIA_KINDS = frozenset({"png", "jpeg", "gif", "webp", "mp4", "mov", "webm"})


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


def clean_note(note: object) -> str:
    if note is None:
        return ""
    if not isinstance(note, str) or "\x00" in note:
        raise InvalidInput("note: must be text without NUL characters.", field="note")
    note = strip_bidi_controls(note).strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"note: at most {MAX_NOTE} characters.", field="note")
    return note


def too_large_error() -> TooLarge:
    limit = current_app.config["MAX_UPLOAD_MB"]
    return TooLarge(f"The file is larger than the upload limit of {limit} MB.", field="file")


@dataclass
class StoredFile:
    """A file in the blob store with what was read from it, not yet recorded as a version."""

    sha256: str
    size: int
    filename: str
    kind: str
    mime_type: str
    extraction: Extraction
    thumbnail_sha256: str | None


def store_upload(
    stream: BinaryIO,
    filename: str | None,
    *,
    title: str,
    before_extract: Callable[[str], None] | None = None,
) -> StoredFile:
    """Check, extract, preview and store an uploaded file; nothing stays when it is refused.

    `before_extract(sha256)` may raise to refuse the file once its hash is known, before the
    costly reading (duplicates are refused there).

    The order keeps a killed worker harmless: the file stays a locked temporary file through
    hashing, checks, extraction and thumbnail; then the blob is renamed into place, then the
    thumbnail stored, and only then does the caller commit the rows. A kill at any moment
    leaves at most an orphan temporary file or complete blobs no row names (both cleared by
    `flask check --repair`); never a partial blob under a real name or a row without its blob.
    """
    if "\x00" in (filename or ""):
        raise UnsupportedType(
            "file: the file name contains a NUL byte; rename the file and upload it again. "
            f"Accepted: {', '.join(ACCEPTED_EXTENSIONS)}.",
            field="file",
        )
    name = clean_filename(filename)
    store = blob_store()
    limits = {
        "timeout_seconds": float(current_app.config["EXTRACT_TIMEOUT_SECONDS"]),
        "memory_mb": int(current_app.config["EXTRACT_MEMORY_MB"]),
    }
    max_bytes = int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024
    try:
        with store.staged(stream, max_bytes=max_bytes) as staged:
            if before_extract is not None:
                before_extract(staged.sha256)
            try:
                file_type = detect_file_type(staged.temp_path, name)
            except UnsupportedFileType as exc:
                raise UnsupportedType(str(exc), field="file") from exc
            except UnsafeFile as exc:  # a zip bomb: refused, not kept without text
                raise Unreadable(str(exc), field="file") from exc
            # One child reads the text and draws the thumbnail: one Python start-up per file.
            reading = read_upload_in_child(staged.temp_path, file_type.kind, title, **limits)
            extraction, thumbnail = reading.extraction, reading.thumbnail
            store.commit(staged)
    except BlobTooLarge as exc:
        raise too_large_error() from exc
    thumbnail_sha256 = store.put_bytes(thumbnail) if thumbnail else None
    return StoredFile(
        staged.sha256,
        staged.size,
        name,
        file_type.kind,
        file_type.mime_type,
        extraction,
        thumbnail_sha256,
    )


def forget_blob_if_unused(sha256: str | None) -> None:
    """Remove a blob no version refers to, as its file or its thumbnail."""
    if sha256 is None:
        return
    used = db.session.scalar(
        select(Version.id)
        .where(or_(Version.blob_sha256 == sha256, Version.thumbnail_sha256 == sha256))
        .limit(1)
    )
    if used is None:
        blob_store().delete(sha256)


def forget_unused_blobs(stored: StoredFile) -> None:
    """After a failed write, remove the blobs this upload added that nothing refers to."""
    forget_blob_if_unused(stored.sha256)
    forget_blob_if_unused(stored.thumbnail_sha256)


def asset_with_current_file(sha256: str) -> Asset | None:
    """The asset whose current version has exactly this content, if any."""
    return db.session.scalar(
        select(Asset)
        .join(
            Version,
            (Version.asset_id == Asset.id) & (Version.number == Asset.current_version_number),
        )
        .where(Version.blob_sha256 == sha256)
        .order_by(Asset.id)
        .limit(1)
    )


def refuse_duplicates(*, except_asset_id: int | None = None) -> Callable[[str], None]:
    """A `before_extract` check: the content must not be another asset's current version."""

    def check(sha256: str) -> None:
        existing = asset_with_current_file(sha256)
        if existing is None or existing.id == except_asset_id:
            return
        raise DuplicateFile.of_asset(existing.id, existing.title, existing.status)

    return check


def refuse_same_as_current(asset: Asset) -> Callable[[str], None]:
    """A `before_extract` check for a new version: it must differ from the current one."""

    def check(sha256: str) -> None:
        current = asset.current_version
        if current is not None and current.blob_sha256 == sha256:
            raise DuplicateFile(
                f"This file is identical to version {current.number}, the current one; "
                "nothing to add.",
                field="file",
            )

    return check


def why_no_text(kind: str, extraction: Extraction) -> str | None:
    """The reason a document has no searchable text, for the marketer to act on."""
    if extraction.error or extraction.has_text or kind in MEDIA_KINDS:
        return extraction.error
    return "The file contains no text."


def build_version(asset: Asset, number: int, stored: StoredFile, user: User, note: str) -> Version:
    """A version row (with its pages) for a stored file, appended to the asset."""
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
        extraction_error=why_no_text(stored.kind, extraction),
        file_metadata=extraction.metadata or {},
        uploaded_by_id=user.id,
        uploaded_at=utcnow(),
        note=note,
        thumbnail_sha256=stored.thumbnail_sha256,
    )
    version.preview_status, version.preview_message = initial_preview(stored.kind)
    version.pages = [
        Page(number=p.number, label=p.label, name=p.name, text=p.text.replace("\x00", ""))
        for p in extraction.pages
    ]
    asset.versions.append(version)
    return version
