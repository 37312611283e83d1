"""Collections (call kits), favourites, recommendations for the deal, and search suggestions."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for

from ..file_responses import send_zip
from ..permissions import BROWSE, SHARE, requires
from ..query_params import positive_int
from ..request_input import acting, json_object
from ..services import collections as collection_service
from ..services.collections import CollectionView
from ..services.favourites import favourites, set_favourite
from ..services.recommendations import MAX_LIMIT, parse_deal, recommend
from ..services.suggest import suggest
from . import api_bp
from .serializers import asset_json, iso


def collection_json(view: CollectionView) -> dict[str, Any]:
    collection = view.collection
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description or "",
        "owner": collection.owner.email,
        "featured": collection.featured,
        "created_at": iso(collection.created_at),
        "updated_at": iso(collection.updated_at),
        "assets": [asset_json(a) for a in view.assets],
        "left_out": view.left_out,
        "editable": view.editable,
        "download_url": url_for("api.download_collection", collection_id=collection.id),
    }


@api_bp.post("/collections")
@requires(SHARE)
def create_collection():
    view = collection_service.create_collection(acting(), json_object())
    response = jsonify(collection_json(view))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_collection", collection_id=view.collection.id)
    return response


@api_bp.get("/collections")
@requires(SHARE)
def list_collections():
    views = collection_service.list_collections(acting())
    return jsonify({"results": [collection_json(v) for v in views]})


@api_bp.get("/collections/<int:collection_id>")
@requires(SHARE)
def get_collection(collection_id: int):
    return jsonify(collection_json(collection_service.open_collection(acting(), collection_id)))


@api_bp.patch("/collections/<int:collection_id>")
@requires(SHARE)
def update_collection(collection_id: int):
    body = json_object()
    view = collection_service.update_collection(acting(), collection_id, body)
    return jsonify(collection_json(view))


@api_bp.delete("/collections/<int:collection_id>")
@requires(SHARE)
def delete_collection(collection_id: int):
    collection_service.delete_collection(acting(), collection_id)
    return "", 204


@api_bp.get("/collections/<int:collection_id>/download")
@requires(SHARE)
def download_collection(collection_id: int):
    return send_zip(
        collection_service.collection_zip(acting(), collection_id, counted=request.method == "GET")
    )


@api_bp.put("/assets/<int:asset_id>/favourite")
@requires(BROWSE)
def add_favourite(asset_id: int):
    set_favourite(acting(), asset_id, True)
    return "", 204


@api_bp.delete("/assets/<int:asset_id>/favourite")
@requires(BROWSE)
def remove_favourite(asset_id: int):
    set_favourite(acting(), asset_id, False)
    return "", 204


@api_bp.get("/favourites")
@requires(BROWSE)
def list_favourites():
    return jsonify({"results": [asset_json(a) for a in favourites(acting().user)]})


@api_bp.get("/recommendations")
@requires(BROWSE)
def recommendations():
    limit = positive_int(request.args.get("limit"), "limit", 10, MAX_LIMIT)
    found = recommend(acting(), parse_deal(request.args), limit)
    return jsonify({"results": [{**asset_json(r.asset), "reasons": r.reasons} for r in found]})


@api_bp.get("/suggest")
@requires(BROWSE)
def suggestions():
    found = suggest(acting().user, request.args.get("q", ""))
    return jsonify(
        {"suggestions": [{"text": s.text, "kind": s.kind, "asset": s.asset} for s in found]}
    )
