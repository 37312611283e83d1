"""Assets: search, upload, read, change, archive, download."""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_login import current_user

from ..errors import InvalidInput
from ..permissions import EDITORS, roles_required
from ..query_params import json_object
from ..services import assets as asset_service
from ..services.audit import search_origin
from ..services.downloads import page_listing
from ..services.search import parse_search_params, search_assets
from ..views.downloads import send_download, send_page_image, send_thumbnail
from . import api_bp
from .serializers import asset_json
from .uploads import (
    UPLOAD_OPTIONS,
    allow_duplicate,
    unknown_field,
    upload_fields,
    uploaded_file,
)


@api_bp.get("/assets")
@roles_required()
def list_assets():
    outcome = search_assets(current_user, parse_search_params(request.args))
    return jsonify(
        {
            "total": outcome.total,
            "page": outcome.params.page,
            "per_page": outcome.params.per_page,
            "results": [
                {**asset_json(item.asset), "score": item.score, "highlights": item.highlights}
                for item in outcome.items
            ],
            "facets": outcome.facets,
            "suggestion": outcome.suggestion,
            "search_id": outcome.search_id,
        }
    )


@api_bp.post("/assets")
@roles_required(*EDITORS)
def create_asset():
    file = uploaded_file()
    asset = asset_service.create_asset(
        current_user,
        file.stream,
        file.filename,
        upload_fields(),
        allow_duplicate=allow_duplicate(),
    )
    response = jsonify(asset_json(asset))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_asset", asset_id=asset.id)
    return response


@api_bp.get("/assets/<int:asset_id>")
@roles_required()
def get_asset(asset_id: int):
    origin = search_origin(current_user, request.args.get("search"))
    return jsonify(asset_json(asset_service.view_asset(current_user, asset_id, origin)))


@api_bp.patch("/assets/<int:asset_id>")
@roles_required(*EDITORS)
def update_asset(asset_id: int):
    body = json_object(request)
    return jsonify(asset_json(asset_service.update_asset(current_user, asset_id, body)))


@api_bp.post("/assets/<int:asset_id>/versions")
@roles_required(*EDITORS)
def add_version(asset_id: int):
    file = uploaded_file()
    unknown = unknown_field(("note", *UPLOAD_OPTIONS))
    if unknown:
        raise InvalidInput(
            f"{unknown}: not a field of a version; send file and, if you like, note.",
            field=unknown,
        )
    asset = asset_service.add_version(
        current_user,
        asset_id,
        file.stream,
        file.filename,
        request.form.get("note"),
        allow_duplicate=allow_duplicate(),
    )
    response = jsonify(asset_json(asset))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_asset", asset_id=asset.id)
    return response


@api_bp.post("/assets/<int:asset_id>/archive")
@roles_required(*EDITORS)
def archive_asset(asset_id: int):
    return jsonify(asset_json(asset_service.archive_asset(current_user, asset_id)))


@api_bp.get("/assets/<int:asset_id>/download")
@roles_required()
def download_asset(asset_id: int):
    return send_download(asset_id)


@api_bp.get("/assets/<int:asset_id>/thumbnail")
@roles_required()
def asset_thumbnail(asset_id: int):
    return send_thumbnail(asset_id)


@api_bp.get("/assets/<int:asset_id>/pages")
@roles_required()
def asset_pages(asset_id: int):
    return jsonify(page_listing(current_user, asset_id, "api.asset_page_image"))


@api_bp.get("/assets/<int:asset_id>/pages/<int:number>")
@roles_required()
def asset_page_image(asset_id: int, number: int):
    return send_page_image(asset_id, number)
