"""What a buyer holding a link may open: the link itself, its assets' current versions, their
page images and files. A buyer is not a user: everything here starts from a share token and
reaches only the assets of that share.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash

from ..errors import NotFound
from ..extensions import db
from ..models import Asset, Page, Share, ShareAsset, Version, utcnow
from ..page_images import IMAGE_MIME
from ..storage import BlobMissing
from .assets import today_utc
from .downloads import MISSING_FILE, Download, PageImage, open_blob
from .page_images import open_page_image_file, page_key, page_label
from .pages import pages_of_version
from .shares import share_state, token_hash

MAX_TOKEN_LENGTH = 64
# Looked up in place of a malformed token, so every miss costs the same query.
_NO_SUCH_TOKEN = "-" * 32


@dataclass
class Link:
    """A link as a buyer reaches it: 200 (works), 404 (unknown) or 410 (revoked, expired)."""

    status: int
    share: Share | None = None
    sender: str = ""


def open_link(token: str) -> Link:
    """The share a token names, looked up by hash and then compared in constant time."""
    wellformed = 0 < len(token) <= MAX_TOKEN_LENGTH and token.isascii()
    share = db.session.scalar(
        select(Share)
        .options(joinedload(Share.created_by))
        .where(Share.token_hash == token_hash(token if wellformed else _NO_SUCH_TOKEN))
    )
    if share is None or not hmac.compare_digest(share.token.encode(), token.encode()):
        return Link(404)
    sender = share.created_by.name or share.created_by.email
    if share_state(share, utcnow()) != "active":
        return Link(410, share, sender)
    return Link(200, share, sender)


def passcode_matches(share: Share, passcode: str) -> bool:
    """Whether a buyer typed the link's passcode (hashed like passwords)."""
    return share.passcode_hash is not None and check_password_hash(share.passcode_hash, passcode)


def passcode_proof(share: Share) -> str:
    """What a buyer's cookie keeps once the passcode was right: it changes with the passcode,
    so a new passcode asks everyone again."""
    return hashlib.sha256((share.passcode_hash or "").encode()).hexdigest()[:24]


@dataclass
class BuyerPage:
    """One page as the buyer's page shows it: an image where there is one, else its text."""

    number: int
    label: str
    image: bool
    text: str = ""


@dataclass
class BuyerAsset:
    asset: Asset
    version: Version
    pages: list[BuyerPage]


def _visible(asset: Asset) -> bool:
    return asset.status == "published" and not asset.is_expired(today_utc())


def buyer_assets(share: Share) -> tuple[list[BuyerAsset], int]:
    """The share's assets a buyer sees (current versions, in order) and how many were left
    out because they were archived or expired since the link was made."""
    items = db.session.scalars(
        select(ShareAsset)
        .where(ShareAsset.share_id == share.id)
        .order_by(ShareAsset.position)
        .options(joinedload(ShareAsset.asset).selectinload(Asset.versions))
    )
    shown, left_out = [], 0
    for item in items:
        version = item.asset.current_version
        if not _visible(item.asset) or version is None:
            left_out += 1
            continue
        shown.append(BuyerAsset(item.asset, version, buyer_pages(version)))
    return shown, left_out


def shared_asset(share: Share, asset_id: int) -> tuple[Asset, Version]:
    """An asset of this share that buyers may still see, with its current version; any
    other id is a 404, whatever it names elsewhere in the library."""
    item = db.session.scalar(
        select(ShareAsset)
        .where(ShareAsset.share_id == share.id, ShareAsset.asset_id == asset_id)
        .options(joinedload(ShareAsset.asset).selectinload(Asset.versions))
    )
    version = item.asset.current_version if item is not None else None
    if item is None or version is None or not _visible(item.asset):
        raise NotFound("This link has no such document.")
    return item.asset, version


# ---------------------------------------------------------------------------------------------
# Page images. The ONE place the buyer's page learns which pages have images and where they
# are: the images the background jobs drew for every page (services/page_images.py); a file
# whose pages are not drawn (yet, or ever) shows its thumbnail and each page's text.
# ---------------------------------------------------------------------------------------------


def _drawn_pages(version: Version) -> int:
    """How many pages of a version have images drawn (0 while pending, failed or none)."""
    return len(version.preview_sizes or []) if version.preview_status == "ready" else 0


def buyer_pages(version: Version) -> list[BuyerPage]:
    """The pages a buyer scrolls through, in order; their text goes beside the images, for
    screen readers and for pages with no image."""
    drawn = _drawn_pages(version)
    if drawn:
        texts = {page.number: page.text[:5000] for page in pages_of_version(version.id)}
        return [
            BuyerPage(n, page_label(version, n), True, texts.get(n, ""))
            for n in range(1, drawn + 1)
        ]
    has_thumbnail = version.thumbnail_sha256 is not None
    pages = pages_of_version(version.id)
    if not pages:
        return [BuyerPage(1, "document", has_thumbnail)]
    return [
        BuyerPage(page.number, page.label, has_thumbnail and i == 0, page.text[:5000])
        for i, page in enumerate(pages)
    ]


def beacon_pages(share: Share) -> dict[int, set[int]]:
    """The page numbers a beacon may name, per asset a buyer sees on this link: the same
    pages as buyer_pages, read in two small queries (beacons come every few seconds)."""
    rows = db.session.execute(
        select(
            Asset.id,
            Asset.status,
            Asset.expires_at,
            Version.id,
            Version.preview_status,
            Version.preview_sizes,
        )
        .join(ShareAsset, ShareAsset.asset_id == Asset.id)
        .join(
            Version,
            (Version.asset_id == Asset.id) & (Version.number == Asset.current_version_number),
        )
        .where(ShareAsset.share_id == share.id)
    ).all()
    today = today_utc()
    found: dict[int, set[int]] = {}
    others: dict[int, int] = {}
    for asset_id, status, expires_at, version_id, preview_status, sizes in rows:
        if status != "published" or (expires_at is not None and expires_at < today):
            continue
        if preview_status == "ready" and sizes:
            found[asset_id] = set(range(1, len(sizes) + 1))
        else:
            others[version_id] = asset_id
    if others:
        numbers = db.session.execute(
            select(Page.version_id, Page.number).where(Page.version_id.in_(list(others)))
        )
        for version_id, number in numbers:
            found.setdefault(others[version_id], set()).add(number)
        for asset_id in others.values():
            found.setdefault(asset_id, {1})
    return found


def open_buyer_page_image(version: Version, number: int) -> PageImage:
    """The image of page `number` of a version on a buyer's page; 404 for a page without one.
    Never drawn on request: the background jobs draw every page once."""
    drawn = _drawn_pages(version)
    if drawn:
        if not 1 <= number <= drawn:
            raise NotFound("This document has no such page image.")
        width = version.preview_sizes[number - 1][2]
        try:
            opened = open_page_image_file(version.blob_sha256, number, width)
        except BlobMissing:
            raise NotFound(MISSING_FILE) from None
        etag = f"{version.blob_sha256[:32]}-{page_key(number, width)}"
        return PageImage(opened, etag, IMAGE_MIME)
    if number != 1 or version.thumbnail_sha256 is None:
        raise NotFound("This document has no such page image.")
    return PageImage(open_blob(version.thumbnail_sha256), version.thumbnail_sha256, "image/jpeg")


def open_shared_download(share: Share, asset_id: int) -> Download:
    """The current file of a shared asset, when the link allows downloads."""
    if not share.allow_download:
        raise NotFound("This link does not offer downloads.")
    asset, version = shared_asset(share, asset_id)
    return Download(
        asset.id,
        version.number,
        open_blob(version.blob_sha256),
        version.original_filename,
        version.mime_type,
        version.blob_sha256,
    )
