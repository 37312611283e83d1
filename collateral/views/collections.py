"""A rep's collections (call kits) and favourites as pages, and the deal picker they keep.

Every form here works without script; static/app.js enhances the star, the reordering and
"Add to collection" with the JSON API, the server still deciding everything.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..booleans import parse_bool
from ..errors import InvalidInput
from ..file_responses import send_zip
from ..models import MAX_ID
from ..permissions import BROWSE, SHARE, requires
from ..request_input import acting
from ..services import collections as collection_service
from ..services.favourites import set_favourite
from ..services.recommendations import parse_deal, remember_deal
from .auth import safe_next

collections_bp = Blueprint("collections", __name__)
MOVES = {"up": -1, "down": 1, "top": -(10**6), "bottom": 10**6}


def _flag(name: str) -> bool:
    try:
        return parse_bool(request.form.get(name, ""), name)
    except ValueError as error:
        raise InvalidInput(str(error), field=name) from None


def _collection_id(raw: str | None) -> int | None:
    if raw in (None, "", "new"):
        return None
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise InvalidInput("collection: choose one of your collections.", field="collection")
    return int(raw)


@collections_bp.get("/collections")
@requires(SHARE)
def index():
    return render_template(
        "collections/index.html", views=collection_service.list_collections(acting())
    )


@collections_bp.post("/collections")
@requires(SHARE)
def create():
    """A new collection, from the "My collections" page or "Add to collection" with "new"."""
    assets = [int(a) for a in request.form.getlist("asset_id") if a.isascii() and a.isdigit()]
    body = {"title": request.form.get("title", ""), "assets": assets}
    if request.form.get("description"):
        body["description"] = request.form["description"]
    view = collection_service.create_collection(acting(), body)
    flash(f"Collection “{view.collection.title}” made.", "success")
    if request.form.get("next"):
        return redirect(safe_next(request.form.get("next")), 303)
    return redirect(url_for("collections.show", collection_id=view.collection.id), 303)


@collections_bp.post("/collections/add")
@requires(SHARE)
def add():
    """Add one asset to a chosen collection, or to a new one named in `title`."""
    raw_asset = request.form.get("asset_id", "")
    if not raw_asset.isascii() or not raw_asset.isdigit() or not 0 < int(raw_asset) <= MAX_ID:
        raise InvalidInput("asset_id: name the asset to add.", field="asset_id")
    asset_id = int(raw_asset)
    collection_id = _collection_id(request.form.get("collection"))
    if collection_id is None:
        title = request.form.get("title", "").strip() or "New collection"
        view = collection_service.create_collection(
            acting(), {"title": title, "assets": [asset_id]}
        )
    else:
        view = collection_service.add_to_collection(acting(), collection_id, asset_id)
    flash(f"Added to “{view.collection.title}”.", "success")
    target = request.form.get("next")
    if target:
        return redirect(safe_next(target), 303)
    return redirect(url_for("collections.show", collection_id=view.collection.id), 303)


@collections_bp.get("/collections/<int:collection_id>")
@requires(SHARE)
def show(collection_id: int):
    view = collection_service.open_collection(acting(), collection_id)
    return render_template("collections/show.html", view=view)


@collections_bp.post("/collections/<int:collection_id>")
@requires(SHARE)
def edit(collection_id: int):
    body = {
        "title": request.form.get("title", ""),
        "description": request.form.get("description", ""),
    }
    if "featured" in request.form or request.form.get("featured_shown"):
        body["featured"] = _flag("featured") if "featured" in request.form else False
    collection_service.update_collection(acting(), collection_id, body)
    flash("Collection saved.", "success")
    return redirect(url_for("collections.show", collection_id=collection_id), 303)


@collections_bp.post("/collections/<int:collection_id>/delete")
@requires(SHARE)
def delete(collection_id: int):
    collection_service.delete_collection(acting(), collection_id)
    flash("Collection deleted.", "success")
    return redirect(url_for("collections.index"), 303)


@collections_bp.post("/collections/<int:collection_id>/items/<int:asset_id>/move")
@requires(SHARE)
def move(collection_id: int, asset_id: int):
    direction = request.form.get("direction", "")
    if direction not in MOVES:
        raise InvalidInput(f"direction: one of {', '.join(MOVES)}.", field="direction")
    collection_service.move_in_collection(acting(), collection_id, asset_id, MOVES[direction])
    return redirect(
        url_for("collections.show", collection_id=collection_id, _anchor=f"item-{asset_id}"),
        303,
    )


@collections_bp.post("/collections/<int:collection_id>/items/<int:asset_id>/remove")
@requires(SHARE)
def remove(collection_id: int, asset_id: int):
    collection_service.remove_from_collection(acting(), collection_id, asset_id)
    flash("Removed from the collection.", "success")
    return redirect(url_for("collections.show", collection_id=collection_id), 303)


@collections_bp.get("/collections/<int:collection_id>/download")
@requires(SHARE)
def download(collection_id: int):
    return send_zip(
        collection_service.collection_zip(acting(), collection_id, counted=request.method == "GET")
    )


@collections_bp.post("/assets/<int:asset_id>/favourite")
@requires(BROWSE)
def favourite(asset_id: int):
    """The star without script: `starred` says on or off."""
    set_favourite(acting(), asset_id, _flag("starred"))
    target = request.form.get("next") or url_for("library.asset", asset_id=asset_id)
    return redirect(safe_next(target), 303)


@collections_bp.post("/deal")
@requires(BROWSE)
def deal():
    """Remember the deal picked on the home page; the home page then recommends for it."""
    remember_deal(acting(), parse_deal(request.form))
    return redirect(url_for("library.search", _anchor="for-your-deal"), 303)
