"""Files a user may fetch: a version's file, its thumbnail, and the images of its pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import Forbidden, NotFound
from ..extensions import db
from ..models import Asset, User, Version
from ..page_images import IMAGE_MIME
from ..permissions import READ_OLD_VERSIONS, can
from ..storage import BlobMissing, OpenedBlob
from .actor import Actor
from .assets import get_asset
from .audit import record_event
from .page_images import open_page_image_file, page_key, page_label, preview_json
from .resources import blob_store

MISSING_FILE = "The file is missing from the store; an admin can run `flask check`."


def open_blob(sha256: str) -> OpenedBlob:
    """A stored file, opened to send; 404 saying what to do when the store lacks it."""
    try:
        return blob_store().open(sha256)
    except BlobMissing:
        raise NotFound(MISSING_FILE) from None


@dataclass
class Download:
    asset_id: int
    version: int
    opened: OpenedBlob
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
    return Download(
        asset_id,
        version.number,
        open_blob(version.blob_sha256),
        version.original_filename,
        version.mime_type,
        version.blob_sha256,
    )


# Videos a browser plays in the page, by the kind of their content. A version's kind was
# checked against its bytes when it was uploaded (filetypes), so a text file named .mp4 never
# got here; QuickTime and Matroska are left to download, as browsers play them unevenly.
PLAYABLE_VIDEO_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}


def open_video(user: User, asset_id: int, version_number: int | None = None) -> Download:
    """The file of a version the user may download, to play in the page: MP4 and WebM only."""
    version = visible_version(user, asset_id, version_number)
    mime_type = PLAYABLE_VIDEO_TYPES.get(version.kind)
    if mime_type is None:
        raise NotFound(
            f"Asset {asset_id} is not a video that plays in the page (MP4 or WebM); download it."
        )
    return Download(
        asset_id,
        version.number,
        open_blob(version.blob_sha256),
        version.original_filename,
        mime_type,
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
    """An image to send: the open file and the tag that changes when it does."""

    opened: OpenedBlob
    etag: str


def open_thumbnail(user: User, asset_id: int, version_number: int | None = None) -> Preview:
    """The JPEG thumbnail of a version the user may see."""
    version = visible_version(user, asset_id, version_number)
    if version.thumbnail_sha256 is None:
        raise NotFound("This version has no thumbnail yet; `flask reindex` makes missing ones.")
    return Preview(open_blob(version.thumbnail_sha256), version.thumbnail_sha256)


@dataclass
class PageImage:
    opened: OpenedBlob
    etag: str
    mime_type: str


@dataclass
class PageListing:
    preview: dict[str, Any]
    pages: list[dict[str, Any]]  # number, label, width, height
    fingerprint: str  # names the file the images were drawn from, for cacheable URLs


def page_listing(user: User, asset_id: int) -> PageListing:
    """The images of the current version's pages, for a user who may see the asset."""
    version = visible_version(user, asset_id, None)
    pages = []
    if version.preview_status == "ready":
        for number, size in enumerate(version.preview_sizes or [], start=1):
            pages.append(
                {
                    "number": number,
                    "label": page_label(version, number),
                    "width": size[0],
                    "height": size[1],
                }
            )
    return PageListing(preview_json(version), pages, version.blob_sha256[:16])


def open_page_image(user: User, asset_id: int, number: int) -> PageImage:
    """A drawn page of the current version; never drawn on request (the jobs draw them all)."""
    version = visible_version(user, asset_id, None)
    if version.preview_status != "ready":
        reason = {
            "pending": "The page images are still being drawn; try again in a minute.",
            "failed": f"The page images could not be drawn: {version.preview_message}",
        }.get(version.preview_status, "This file has no page images.")
        raise NotFound(reason)
    sizes = version.preview_sizes or []
    if not 1 <= number <= len(sizes):
        raise NotFound(f"There is no image of page {number}: the file has {len(sizes)}.")
    width = sizes[number - 1][2]
    try:
        opened = open_page_image_file(version.blob_sha256, number, width)
    except BlobMissing:
        raise NotFound(
            "The page image is missing; an admin can run `flask check --repair`."
        ) from None
    return PageImage(opened, f"{version.blob_sha256[:32]}-{page_key(number, width)}", IMAGE_MIME)
