"""Assets: search, upload, read, change, archive, download."""

from __future__ import annotations

from flask import jsonify, request, url_for

from ..errors import InvalidInput
from ..file_responses import send_download, send_page_image, send_thumbnail
from ..permissions import BROWSE, UPLOAD, requires
from ..request_input import (
    UPLOAD_OPTIONS,
    acting,
    allow_duplicate,
    json_object,
    unknown_field,
    upload_fields,
    uploaded_file,
)
from ..services import assets as asset_service
from ..services.audit import search_origin
from ..services.downloads import page_listing
from ..services.search import parse_search_params, search_assets
from . import api_bp
from .serializers import asset_json


@api_bp.get("/assets")
@requires(BROWSE)
def list_assets():
    outcome = search_assets(acting(), parse_search_params(request.args))
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
@requires(UPLOAD)
def create_asset():
    file = uploaded_file()
    asset = asset_service.create_asset(
        acting(),
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
@requires(BROWSE)
def get_asset(asset_id: int):
    origin = search_origin(acting().user, request.args.get("search"))
    return jsonify(asset_json(asset_service.view_asset(acting(), asset_id, origin)))


@api_bp.patch("/assets/<int:asset_id>")
@requires(UPLOAD)
def update_asset(asset_id: int):
    body = json_object()
    return jsonify(asset_json(asset_service.update_asset(acting(), asset_id, body)))


@api_bp.post("/assets/<int:asset_id>/versions")
@requires(UPLOAD)
def add_version(asset_id: int):
    file = uploaded_file()
    unknown = unknown_field(("note", *UPLOAD_OPTIONS))
    if unknown:
        raise InvalidInput(
            f"{unknown}: not a field of a version; send file and, if you like, note.",
            field=unknown,
        )
    asset = asset_service.add_version(
        acting(),
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
@requires(UPLOAD)
def archive_asset(asset_id: int):
    return jsonify(asset_json(asset_service.archive_asset(acting(), asset_id)))


@api_bp.get("/assets/<int:asset_id>/download")
@requires(BROWSE)
def download_asset(asset_id: int):
    return send_download(asset_id)


@api_bp.get("/assets/<int:asset_id>/thumbnail")
@requires(BROWSE)
def asset_thumbnail(asset_id: int):
    return send_thumbnail(asset_id)


@api_bp.get("/assets/<int:asset_id>/pages")
@requires(BROWSE)
def asset_pages(asset_id: int):
    listing = page_listing(acting().user, asset_id)
    pages = [
        {
            **page,
            "image_url": url_for(
                "api.asset_page_image",
                asset_id=asset_id,
                number=page["number"],
                v=listing.fingerprint,
            ),
        }
        for page in listing.pages
    ]
    return jsonify({"preview": listing.preview, "pages": pages})


@api_bp.get("/assets/<int:asset_id>/pages/<int:number>")
@requires(BROWSE)
def asset_page_image(asset_id: int, number: int):
    return send_page_image(asset_id, number)
