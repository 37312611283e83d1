"""What reps use: search, the asset page, download."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Page
from ..permissions import can_download_old_versions, roles_required
from ..services.assets import view_asset
from ..services.search import parse_search_params, search_assets
from ..services.taxonomy import offered_terms
from .downloads import send_download

library_bp = Blueprint("library", __name__)


@library_bp.get("/")
@roles_required()
def search():
    params = parse_search_params(request.args)
    outcome = search_assets(current_user, params)
    return render_template(
        "library/search.html", outcome=outcome, params=params, terms=offered_terms()
    )


@library_bp.get("/assets/<int:asset_id>")
@roles_required()
def asset(asset_id: int):
    item = view_asset(current_user, asset_id)
    version = item.current_version
    pages = []
    if version is not None:
        pages = db.session.scalars(
            select(Page).where(Page.version_id == version.id).order_by(Page.number)
        ).all()
    return render_template(
        "library/asset.html",
        asset=item,
        version=version,
        pages=pages,
        old_versions_allowed=can_download_old_versions(current_user),
    )


@library_bp.get("/assets/<int:asset_id>/download")
@roles_required()
def download(asset_id: int):
    return send_download(asset_id)
