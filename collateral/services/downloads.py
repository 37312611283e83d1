"""Files a user may fetch: a version's file, its thumbnail, and a PDF's rendered pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from ..errors import Forbidden, InvalidInput, NotFound, Unreadable
from ..extensions import db
from ..models import Asset, User, Version
from ..permissions import READ_OLD_VERSIONS, can
from ..previews import PageImageUnavailable, page_image_in_child
from .actor import Actor
from .assets import get_asset
from .audit import record_event
from .resources import blob_store

PAGE_IMAGE_WIDTHS = (400, 800, 1200)
MISSING_FILE = "The file is missing from the store; an admin can run `flask check`."


@dataclass
class Download:
    asset_id: int
    version: int
    path: Path
    filename: str
    mime_type: str
    sha256: str


def visible_version(user: User, asset_id: int, version_number: int | None) -> Version:
    """The version a user may fetch: the current one, or an older one for some roles."""
    asset = get_asset(user, asset_id)
    if version_number is None:
        version = asset.current_version
    else:
        if version_number != asset.current_version_number and not can(user, READ_OLD_VERSIONS):
            raise Forbidden("Only marketers, managers and admins can download older versions.")
        version = next((v for v in asset.versions if v.number == version_number), None)
    if version is None:
        raise NotFound(f"Asset {asset_id} has no version {version_number}.")
    return version


def open_download(user: User, asset_id: int, version_number: int | None = None) -> Download:
    """The file of a version the user may download."""
    version = visible_version(user, asset_id, version_number)
    path = blob_store().path_for(version.blob_sha256)
    if not path.is_file():
        raise NotFound(MISSING_FILE)
    return Download(
        asset_id,
        version.number,
        path,
        version.original_filename,
        version.mime_type,
        version.blob_sha256,
    )


def record_download(actor: Actor, download: Download, search_event_id: int | None = None) -> None:
    """Audit and count a download that sent the file's first byte (not a 304 or a HEAD)."""
    asset = db.session.get(Asset, download.asset_id)
    asset.download_count += 1
    record_event(
        "download", actor, asset, version=download.version, search_event_id=search_event_id
    )
    db.session.commit()


@dataclass
class Preview:
    """An image to send: where it is and the tag that changes when it does."""

    path: Path
    etag: str


def open_thumbnail(user: User, asset_id: int, version_number: int | None = None) -> Preview:
    """The JPEG thumbnail of a version the user may see."""
    version = visible_version(user, asset_id, version_number)
    if version.thumbnail_sha256 is None:
        raise NotFound("This version has no thumbnail yet; `flask reindex` makes missing ones.")
    path = blob_store().path_for(version.thumbnail_sha256)
    if not path.is_file():
        raise NotFound(MISSING_FILE)
    return Preview(path, version.thumbnail_sha256)


def open_page_image(
    user: User, asset_id: int, page_number: int, width: int, version_number: int | None = None
) -> Preview:
    """A PDF page rendered as a JPEG, made once in a limited child process and then kept."""
    if width not in PAGE_IMAGE_WIDTHS:
        allowed = ", ".join(map(str, PAGE_IMAGE_WIDTHS))
        raise InvalidInput(f"width: must be one of {allowed}.", field="width")
    version = visible_version(user, asset_id, version_number)
    if version.kind != "pdf":
        raise NotFound("Page images are made for PDF files only; the text is on the asset page.")
    if version.page_count is None or not 1 <= page_number <= version.page_count:
        raise NotFound(f"The file has no page {page_number}.")
    store = blob_store()
    key = f"page-{page_number}-w{width}"
    cached = store.derived_path(version.blob_sha256, key, ".jpg")
    if not cached.is_file():
        source = store.path_for(version.blob_sha256)
        if not source.is_file():
            raise NotFound(MISSING_FILE)
        try:
            image = page_image_in_child(
                source,
                page_number,
                width,
                timeout_seconds=float(current_app.config["EXTRACT_TIMEOUT_SECONDS"]),
                memory_mb=int(current_app.config["EXTRACT_MEMORY_MB"]),
            )
        except PageImageUnavailable as exc:
            raise Unreadable(str(exc)) from exc
        store.put_derived(version.blob_sha256, key, ".jpg", image)
    return Preview(cached, f"{version.blob_sha256[:32]}-{key}")
