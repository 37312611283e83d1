"""Collateral: upload, change, version, archive and view assets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, BinaryIO

from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, Forbidden, HiddenAsset, InvalidInput, NotFound
from ..extensions import db
from ..models import KIND_PLURALS, LIST_TERM_KINDS, Asset, User, utcnow
from ..permissions import ASSIGN_OWNERS, UPLOAD, can, can_view_asset
from .actor import Actor
from .alerts import notify_archived, notify_new_version
from .asset_fields import AssetFields, parse_asset_fields
from .audit import record_event
from .indexing import apply_pending_index_updates, queue_index_update
from .thumbnails import redraw_thumbnail
from .uploads import (
    StoredFile,
    build_version,
    clean_note,
    forget_blob_if_unused,
    forget_unused_blobs,
    refuse_duplicates,
    refuse_same_as_current,
    store_upload,
)


def today_utc():
    return datetime.now(UTC).date()


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
    for kind in LIST_TERM_KINDS:
        plural = KIND_PLURALS[kind]
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
    if fields.owner is not None:
        change("owner", asset.owner.email if asset.owner else None, fields.owner.email)
        asset.owner = fields.owner
    return changes


def require_editor(user: User) -> None:
    if not can(user, UPLOAD):
        raise Forbidden("Only marketers and admins can change collateral.")


def _check_owner_change(user: User, fields: AssetFields, current_owner_id: int) -> None:
    """Only admins reassign ownership; giving the owner it already has changes nothing."""
    if fields.owner is None or fields.owner.id == current_owner_id:
        fields.owner = None
    elif not can(user, ASSIGN_OWNERS):
        raise Forbidden("Only admins can give an asset to someone else.")


def create_asset(
    actor: Actor,
    stream: BinaryIO,
    filename: str | None,
    raw_fields: Mapping[str, Any],
    *,
    allow_duplicate: bool = False,
) -> Asset:
    """Upload a file as a new asset: stored, its text extracted and indexed, the upload audited.

    A file whose content is already another asset's current version is refused (409) unless
    `allow_duplicate`, so copies of the same deck do not pile up.
    """
    user = actor.user
    require_editor(user)
    fields = parse_asset_fields(raw_fields, partial=False)
    _check_owner_change(user, fields, current_owner_id=user.id)
    check = None if allow_duplicate else refuse_duplicates()
    stored = store_upload(stream, filename, title=fields.title, before_extract=check)
    return record_new_asset(actor, fields, stored)


def record_new_asset(
    actor: Actor, fields: AssetFields, stored: StoredFile, *, index_now: bool = True
) -> Asset:
    """Record a stored file as a new asset owned by `user` (or the owner given), then index it.

    `index_now=False` leaves the logged change for the caller to apply with others (bulk import).
    """
    user = actor.user
    fields.given |= {"title", "status"}
    try:
        asset = Asset(owner=fields.owner or user, tags=[], terms=[])
        fields.owner = None  # the owner is set, not changed
        _apply_fields(asset, fields)
        db.session.add(asset)
        version = build_version(asset, 1, stored, user, note="")
        asset.current_version_number = 1
        db.session.flush()
        queue_index_update(asset.id)
        record_event(
            "upload",
            actor,
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
        forget_unused_blobs(stored)
        raise
    if index_now:
        apply_pending_index_updates()
    return asset


def update_asset(actor: Actor, asset_id: int, raw_fields: Mapping[str, Any]) -> Asset:
    """Change an asset's metadata; re-indexed at once, and the change audited with old and new."""
    user = actor.user
    require_editor(user)
    asset = get_asset(user, asset_id)
    if not raw_fields:
        raise InvalidInput("Send at least one field to change.")
    fields = parse_asset_fields(raw_fields, partial=True, current=asset)
    _check_owner_change(user, fields, current_owner_id=asset.owner_id)
    changes = _apply_fields(asset, fields)
    if changes:
        old_thumbnail = redraw_thumbnail(asset) if "title" in changes else None
        asset.updated_at = utcnow()
        queue_index_update(asset.id)
        record_event("update", actor, asset, changes=changes)
        if changes.get("status") == ["published", "archived"]:
            notify_archived(asset, user.id)
        db.session.commit()
        forget_blob_if_unused(old_thumbnail)
        apply_pending_index_updates()
    return asset


def archive_asset(actor: Actor, asset_id: int) -> Asset:
    """Take an asset out of reps' sight; it is kept and can be published again."""
    user = actor.user
    require_editor(user)
    asset = get_asset(user, asset_id)
    if asset.status != "archived":
        old = asset.status
        asset.status = "archived"
        asset.updated_at = utcnow()
        queue_index_update(asset.id)
        record_event("archive", actor, asset, changes={"status": [old, "archived"]})
        if old == "published":
            notify_archived(asset, user.id)
        db.session.commit()
        apply_pending_index_updates()
    return asset


def add_version(
    actor: Actor,
    asset_id: int,
    stream: BinaryIO,
    filename: str | None,
    note: object = None,
    *,
    allow_duplicate: bool = False,
) -> Asset:
    """Upload a new file for an asset; it becomes current, and search follows it at once.
    Whoever used the asset lately is told, in the same transaction (services/alerts.py)."""
    user = actor.user
    require_editor(user)
    asset = get_asset(user, asset_id)
    note = clean_note(note)
    same_as_current = refuse_same_as_current(asset)
    elsewhere = None if allow_duplicate else refuse_duplicates(except_asset_id=asset.id)

    def check(sha256: str) -> None:
        same_as_current(sha256)
        if elsewhere is not None:
            elsewhere(sha256)

    stored = store_upload(stream, filename, title=asset.title, before_extract=check)
    try:
        number = max((v.number for v in asset.versions), default=0) + 1
        version = build_version(asset, number, stored, user, note)
        asset.current_version_number = number
        asset.updated_at = utcnow()
        db.session.flush()
        queue_index_update(asset.id)
        record_event(
            "new_version",
            actor,
            asset,
            version=number,
            filename=stored.filename,
            size=stored.size,
            sha256=stored.sha256,
            note=note,
            searchable_text=version.has_text,
            text_error=version.extraction_error,
        )
        notify_new_version(asset, number, note, user.id)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        forget_unused_blobs(stored)
        raise Conflict(
            "Someone else uploaded a version of this asset at the same moment; reload the "
            "asset and try again."
        ) from None
    except BaseException:
        db.session.rollback()
        forget_unused_blobs(stored)
        raise
    apply_pending_index_updates()
    return asset


def get_asset(user: User, asset_id: int) -> Asset:
    """The asset if this user may see it; 404 otherwise, so hidden assets stay unknown."""
    asset = db.session.get(Asset, asset_id)
    if asset is not None and not can_view_asset(user, asset, today_utc()):
        raise HiddenAsset(asset.id, f"asked for a hidden asset ({hidden_state(asset)})")
    if asset is None:
        raise NotFound(f"No asset with id {asset_id}.")
    return asset


def hidden_state(asset: Asset) -> str:
    """Why an asset is out of a rep's sight: its status, or that it has expired."""
    return asset.status if asset.status != "published" else "expired"


def view_asset(actor: Actor, asset_id: int, search_event_id: int | None = None) -> Asset:
    """The asset for its page, with the view audited (and the search that led to it)."""
    user = actor.user
    asset = get_asset(user, asset_id)
    record_event(
        "view",
        actor,
        asset,
        version=asset.current_version_number,
        search_event_id=search_event_id,
    )
    db.session.commit()
    return asset
