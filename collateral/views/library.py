"""What reps use: search, the asset page, download."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Page
from ..permissions import can_download_old_versions, can_edit_assets, roles_required
from ..services.assets import today_utc, view_asset
from ..services.attention import attention_counts, missing_fields
from ..services.audit import search_origin
from ..services.page_images import preview_json
from ..services.search import parse_search_params, search_assets
from ..services.taxonomy import offered_terms
from .downloads import send_download, send_page_image, send_thumbnail
from .marks import mark_words
from .reports import asset_page_usage

library_bp = Blueprint("library", __name__)
PAGE_LIMIT = 300  # pages of a PDF listed on its page; the file has the rest


@library_bp.get("/")
@roles_required()
def search():
    params = parse_search_params(request.args)
    outcome = search_assets(current_user, params)
    attention = None
    if can_edit_assets(current_user) and not (params.q or params.filters or params.tags):
        attention = attention_counts(current_user, today_utc())
    return render_template(
        "library/search.html",
        outcome=outcome,
        params=params,
        terms=offered_terms(include_retired=True),
        attention=attention,
    )


@library_bp.get("/assets/<int:asset_id>")
@roles_required()
def asset(asset_id: int):
    origin = search_origin(current_user, request.args.get("search"))
    item = view_asset(current_user, asset_id, origin)
    version = item.current_version
    pages = []
    if version is not None:
        pages = db.session.scalars(
            select(Page).where(Page.version_id == version.id).order_by(Page.number)
        ).all()
    words = request.args.get("q", "")[:200]
    return render_template(
        "library/asset.html",
        asset=item,
        version=version,
        pages=pages,
        marked={page.number: mark_words(page.text[:20000], words) for page in pages}
        if words.strip()
        else {},
        preview=preview_json(version),
        text_beside_images=version is not None and version.kind in ("pdf", "pptx", "odp"),
        old_versions_allowed=can_download_old_versions(current_user),
        missing=missing_fields(item) if can_edit_assets(current_user) else [],
        page_limit=PAGE_LIMIT,
        search_id=origin,
        usage=asset_page_usage(current_user, asset_id),
    )


@library_bp.get("/assets/<int:asset_id>/download")
@roles_required()
def download(asset_id: int):
    return send_download(asset_id)


@library_bp.get("/assets/<int:asset_id>/thumbnail.jpg")
@roles_required()
def thumbnail(asset_id: int):
    return send_thumbnail(asset_id)


@library_bp.get("/assets/<int:asset_id>/pages/<int:page_number>.webp")
@roles_required()
def page_image(asset_id: int, page_number: int):
    return send_page_image(asset_id, page_number)
