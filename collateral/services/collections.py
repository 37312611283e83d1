"""Collections (call kits): a user's ordered set of assets, kept, reordered, featured for every
rep, and downloaded as one zip of the current files.

A collection never shows anyone an asset they may not see: it is left out, and counted, so the
page can say "1 item is not available to you" without saying which.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, BinaryIO

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..models import FULL_ASSET, MAX_ID, Asset, Collection, CollectionItem, User, utcnow
from ..permissions import (
    FEATURE_COLLECTIONS,
    can,
    can_edit_collection,
    can_view_asset,
    can_view_collection,
)
from ..storage import BlobStore
from ..zip_stream import ZipEntry, stream_zip, unique_names
from .actor import Actor
from .assets import today_utc
from .audit import record_event
from .downloads import MISSING_FILE
from .resources import blob_store

MAX_TITLE = 300
MAX_DESCRIPTION = 5000
MAX_ITEMS = 500
FIELDS = ("title", "description", "assets", "featured")


@dataclass
class CollectionView:
    """A collection as one user sees it: the assets they may see, in order, and how many of
    its assets were left out for them."""

    collection: Collection
    assets: list[Asset]
    left_out: int
    editable: bool


def _visible(user: User, collection: Collection) -> CollectionView:
    today = today_utc()
    assets = [i.asset for i in collection.items if can_view_asset(user, i.asset, today)]
    return CollectionView(
        collection,
        assets,
        len(collection.items) - len(assets),
        can_edit_collection(user, collection),
    )


def _load(collection_id: int) -> Collection | None:
    if not 0 < collection_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(Collection)
        .where(Collection.id == collection_id)
        .options(
            selectinload(Collection.items).selectinload(CollectionItem.asset).options(*FULL_ASSET)
        )
    )


def _viewable(user: User, collection_id: int) -> Collection:
    collection = _load(collection_id)
    if collection is None or not can_view_collection(user, collection):
        raise NotFound(f"No collection with id {collection_id}.")
    return collection


def _editable(user: User, collection_id: int) -> Collection:
    collection = _viewable(user, collection_id)
    if not can_edit_collection(user, collection):
        who = "marketers and admins" if collection.featured else "its owner"
        raise Forbidden(f"Only {who} can change this collection.")
    return collection


def _text(body: Mapping[str, Any], name: str, limit: int, required: bool) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: send text.", field=name)
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{name}: give the collection a {name}.", field=name)
    if len(value) > limit or "\x00" in value:
        raise InvalidInput(f"{name}: at most {limit} characters.", field=name)
    return value


def _asset_ids(raw: Any) -> list[int]:
    if not isinstance(raw, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in raw
    ):
        raise InvalidInput("assets: send a list of asset ids, in order.", field="assets")
    if len(raw) > MAX_ITEMS:
        raise InvalidInput(f"assets: at most {MAX_ITEMS} in a collection.", field="assets")
    if len(set(raw)) != len(raw):
        raise InvalidInput("assets: each asset may be in a collection once.", field="assets")
    return raw


def _visible_assets(user: User, ids: list[int]) -> list[Asset]:
    """The assets named, in order; an unknown or hidden id is refused alike, so a rep cannot
    learn that a draft exists by adding it."""
    found = {
        a.id: a
        for a in db.session.scalars(
            select(Asset).where(Asset.id.in_([i for i in ids if 0 < i <= MAX_ID]))
        )
    }
    today = today_utc()
    for asset_id in ids:
        asset = found.get(asset_id)
        if asset is None or not can_view_asset(user, asset, today):
            raise InvalidInput(f"assets: no asset with id {asset_id}.", field="assets")
    return [found[i] for i in ids]


def _featured(user: User, body: Mapping[str, Any], current: bool) -> bool:
    value = body.get("featured", current)
    if not isinstance(value, bool):
        raise InvalidInput("featured: send true or false.", field="featured")
    if value != current and not can(user, FEATURE_COLLECTIONS):
        raise Forbidden("Only marketers and admins can feature a collection for every rep.")
    return value


def _check_fields(body: Mapping[str, Any]) -> None:
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise InvalidInput(
            f"{unknown[0]}: not a field of a collection. Fields: {', '.join(FIELDS)}.",
            field=unknown[0],
        )


def _set_items(user: User, collection: Collection, ids: list[int]) -> None:
    """Put the named assets in this order; assets the user cannot see stay, after them."""
    assets = _visible_assets(user, ids)
    today = today_utc()
    kept = [i.asset for i in collection.items if not can_view_asset(user, i.asset, today)]
    kept = [a for a in kept if a.id not in ids]
    wanted = [*assets, *kept]
    if len(wanted) > MAX_ITEMS:
        raise InvalidInput(f"assets: at most {MAX_ITEMS} in a collection.", field="assets")
    existing = {i.asset_id: i for i in collection.items}
    items = []
    for position, asset in enumerate(wanted):
        item = existing.get(asset.id) or CollectionItem(asset=asset, asset_id=asset.id)
        item.position = position
        items.append(item)
    collection.items = items


def create_collection(actor: Actor, body: Mapping[str, Any]) -> CollectionView:
    """A new collection owned by the actor; featuring it needs the capability."""
    user = actor.user
    _check_fields(body)
    collection = Collection(
        title=_text(body, "title", MAX_TITLE, required=True),
        description=_text(body, "description", MAX_DESCRIPTION, required=False),
        owner=user,
        featured=_featured(user, body, False),
        items=[],
    )
    _set_items(user, collection, _asset_ids(body.get("assets", [])))
    db.session.add(collection)
    db.session.flush()
    record_event(
        "collection_created", actor, collection=collection.id, assets=len(collection.items)
    )
    db.session.commit()
    return _visible(user, collection)


def update_collection(actor: Actor, collection_id: int, body: Mapping[str, Any]) -> CollectionView:
    """Change title, description, the whole ordered list of assets, or featured."""
    user = actor.user
    _check_fields(body)
    if not body:
        raise InvalidInput("Send at least one field to change: " + ", ".join(FIELDS) + ".")
    collection = _editable(user, collection_id)
    if "title" in body:
        collection.title = _text(body, "title", MAX_TITLE, required=True)
    if "description" in body:
        collection.description = _text(body, "description", MAX_DESCRIPTION, required=False)
    if "featured" in body:
        collection.featured = _featured(user, body, collection.featured)
    if "assets" in body:
        _set_items(user, collection, _asset_ids(body["assets"]))
    collection.updated_at = utcnow()
    record_event("collection_changed", actor, collection=collection.id, fields=sorted(body))
    db.session.commit()
    return _visible(user, collection)


def delete_collection(actor: Actor, collection_id: int) -> None:
    collection = _editable(actor.user, collection_id)
    record_event("collection_deleted", actor, collection=collection.id, title=collection.title)
    db.session.delete(collection)
    db.session.commit()


def open_collection(actor: Actor, collection_id: int) -> CollectionView:
    """A collection its owner, or anyone when featured, may see."""
    return _visible(actor.user, _viewable(actor.user, collection_id))


def list_collections(actor: Actor) -> list[CollectionView]:
    """The actor's own collections, then every featured one, newest change first."""
    user = actor.user
    rows = db.session.scalars(
        select(Collection)
        .where(or_(Collection.owner_id == user.id, Collection.featured.is_(True)))
        .order_by(Collection.featured.desc(), Collection.updated_at.desc(), Collection.id.desc())
        .options(
            selectinload(Collection.items).selectinload(CollectionItem.asset).options(*FULL_ASSET)
        )
    )
    return [_visible(user, c) for c in rows]


def own_collections(actor: Actor) -> list[Collection]:
    """The actor's collections an asset may be added to ("Add to collection")."""
    user = actor.user
    return list(
        db.session.scalars(
            select(Collection)
            .where(Collection.owner_id == user.id)
            .order_by(Collection.updated_at.desc(), Collection.id.desc())
        )
    )


def add_to_collection(actor: Actor, collection_id: int, asset_id: int) -> CollectionView:
    """Add one asset at the end (already there: nothing changes)."""
    collection = _editable(actor.user, collection_id)
    ids = [i.asset_id for i in collection.items]
    if asset_id not in ids:
        visible = [a.id for a in _visible(actor.user, collection).assets]
        return update_collection(actor, collection_id, {"assets": [*visible, asset_id]})
    return _visible(actor.user, collection)


def remove_from_collection(actor: Actor, collection_id: int, asset_id: int) -> CollectionView:
    view = _visible(actor.user, _editable(actor.user, collection_id))
    ids = [a.id for a in view.assets]
    if asset_id not in ids:
        raise NotFound(f"Asset {asset_id} is not in this collection.")
    return update_collection(actor, collection_id, {"assets": [i for i in ids if i != asset_id]})


def move_in_collection(
    actor: Actor, collection_id: int, asset_id: int, offset: int
) -> CollectionView:
    """Move one asset `offset` places (negative: earlier), as the keyboard and the no-script
    buttons do; past either end it stops there."""
    view = _visible(actor.user, _editable(actor.user, collection_id))
    ids = [a.id for a in view.assets]
    if asset_id not in ids:
        raise NotFound(f"Asset {asset_id} is not in this collection.")
    old = ids.index(asset_id)
    new = min(max(old + offset, 0), len(ids) - 1)
    ids.insert(new, ids.pop(old))
    return update_collection(actor, collection_id, {"assets": ids})


def featured_collections(actor: Actor) -> list[CollectionView]:
    return [v for v in list_collections(actor) if v.collection.featured]


@dataclass
class ZipDownload:
    filename: str
    chunks: Iterator[bytes]


def collection_zip(actor: Actor, collection_id: int, *, counted: bool = True) -> ZipDownload:
    """The current file of every asset the actor may see in the collection, as one zip that
    is written while it is sent. Each file counts as a download, audited as one, unless not
    `counted` (a HEAD request sends no file)."""
    view = open_collection(actor, collection_id)
    if not view.assets:
        raise NotFound("This collection has no files you can download.")
    store = blob_store()
    versions = [a.current_version for a in view.assets]
    names = unique_names(v.original_filename for v in versions)
    entries = []
    for version, name in zip(versions, names, strict=True):
        if not store.exists(version.blob_sha256):
            raise NotFound(MISSING_FILE)
        opener = partial(_open_stream, store, version.blob_sha256)
        entries.append(ZipEntry(name, opener, version.uploaded_at, version.mime_type))
    if not counted:
        return ZipDownload(_zip_name(view.collection.title), iter(()))
    for asset in view.assets:
        asset.download_count += 1
        record_event(
            "download", actor, asset, version=asset.current_version_number,
            collection=collection_id,
        )  # fmt: skip
    record_event("collection_download", actor, collection=collection_id, files=len(entries))
    db.session.commit()
    return ZipDownload(_zip_name(view.collection.title), stream_zip(entries))


def _open_stream(store: BlobStore, sha256: str) -> BinaryIO:
    return store.open(sha256).stream


def _zip_name(title: str) -> str:
    safe = "".join(c if c.isalnum() or c in " -_." else "_" for c in title).strip(" ._")
    return f"{safe or 'collection'}.zip"
