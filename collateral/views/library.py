"""What reps use: search, the asset page, download."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..file_responses import send_download, send_page_image, send_thumbnail, send_video
from ..permissions import BROWSE, READ_OLD_VERSIONS, UPLOAD, can, requires
from ..request_input import acting
from ..services.assets import today_utc, view_asset
from ..services.attention import attention_counts, missing_fields
from ..services.audit import search_origin
from ..services.collections import own_collections
from ..services.downloads import PLAYABLE_VIDEO_TYPES
from ..services.favourites import favourite_ids
from ..services.home import home_page
from ..services.page_images import preview_json
from ..services.pages import pages_of_version
from ..services.search import parse_search_params, search_assets
from ..services.taxonomy import offered_terms
from .marks import mark_words
from .reports import asset_page_usage

library_bp = Blueprint("library", __name__)
PAGE_LIMIT = 300  # pages of a PDF listed on its page; the file has the rest


@library_bp.get("/")
@requires(BROWSE)
def search():
    params = parse_search_params(request.args)
    outcome = search_assets(acting(), params)
    attention = None
    unfiltered = not (params.q or params.filters or params.tags)
    if can(current_user, UPLOAD) and unfiltered:
        attention = attention_counts(current_user, today_utc())
    # The home sections sit above the unfiltered list; any query or filter is a plain search.
    home = home_page(acting()) if unfiltered and params.page == 1 else None
    return render_template(
        "library/search.html",
        outcome=outcome,
        params=params,
        terms=offered_terms(include_retired=True),
        attention=attention,
        home=home,
        starred=favourite_ids(current_user, [i.asset.id for i in outcome.items]),
        my_collections=own_collections(acting()),
    )


@library_bp.get("/assets/<int:asset_id>")
@requires(BROWSE)
def asset(asset_id: int):
    origin = search_origin(current_user, request.args.get("search"))
    item = view_asset(acting(), asset_id, origin)
    version = item.current_version
    pages = pages_of_version(version.id) if version is not None else []
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
        old_versions_allowed=can(current_user, READ_OLD_VERSIONS),
        missing=missing_fields(item) if can(current_user, UPLOAD) else [],
        page_limit=PAGE_LIMIT,
        search_id=origin,
        usage=asset_page_usage(current_user, asset_id),
        starred=favourite_ids(current_user, [asset_id]),
        my_collections=own_collections(acting()),
    )


@library_bp.get("/assets/<int:asset_id>/download")
@requires(BROWSE)
def download(asset_id: int):
    return send_download(asset_id)


@library_bp.get("/assets/<int:asset_id>/video")
@requires(BROWSE)
def video(asset_id: int):
    return send_video(asset_id)


@library_bp.app_template_test("playable_video")
def playable_video(version) -> bool:
    """`{% if version is playable_video %}`: the asset page shows a player for it."""
    return version is not None and version.kind in PLAYABLE_VIDEO_TYPES


@library_bp.get("/assets/<int:asset_id>/thumbnail.jpg")
@requires(BROWSE)
def thumbnail(asset_id: int):
    return send_thumbnail(asset_id)


@library_bp.get("/assets/<int:asset_id>/pages/<int:page_number>.webp")
@requires(BROWSE)
def page_image(asset_id: int, page_number: int):
    return send_page_image(asset_id, page_number)
