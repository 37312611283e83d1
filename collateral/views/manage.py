"""What marketers use: upload, new versions, edit, archive and restore."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..errors import DuplicateFile, ServiceError
from ..models import Asset
from ..permissions import ASSIGN_OWNERS, UPLOAD, can, may_own_assets, requires
from ..request_input import (
    acting,
    allow_duplicate,
    link_duplicate,
    upload_fields,
    uploaded_file,
    wants_json,
)
from ..services import accounts
from ..services import assets as asset_service
from ..services.asset_fields import FIELDS, LIST_FIELDS
from ..services.assets import today_utc
from ..services.attention import required_fields
from ..services.taxonomy import offered_terms

manage_bp = Blueprint("manage", __name__)


def _form_values() -> dict:
    """The asset fields of the submitted form, lists as lists; owner only when it was sent."""
    form = request.form
    return {
        k: form.getlist(k) if k in LIST_FIELDS else form.get(k, "")
        for k in FIELDS
        if k != "owner" or k in form
    }


def _form_context(**extra):
    return {"terms": offered_terms(), "errors": {}, "wanted": required_fields(), **extra}


# Fields the forms show, so a refusal naming one is shown beside it rather than at the top.
FORM_FIELDS = frozenset((*FIELDS, "file", "note"))


def _refused(template: str, exc: ServiceError, **context):
    """The form again with the reason beside the field it concerns (at the top when it
    concerns none); a duplicate names the asset that already has the file."""
    if isinstance(exc, DuplicateFile) and "asset" in exc.extra:
        context["duplicate"] = link_duplicate(exc).extra["asset"]
    elif exc.field in FORM_FIELDS:
        context["errors"] = {exc.field: exc.message}
    else:
        flash(exc.message, "error")
    return render_template(template, **_form_context(**context)), exc.status


def _text_outcome(asset: Asset, done: str) -> tuple[str, str]:
    """What to tell the uploader, and how loudly: a file with no text is found only by its
    metadata."""
    version = asset.current_version
    if version and not version.has_text:
        reason = version.extraction_error or "the file type has no text"
        return (
            f"{done}, but with no searchable text ({reason}). It is found by its "
            "title, description and tags.",
            "warning",
        )
    return f"{done} and indexed.", "success"


def _flash_text_outcome(asset: Asset, done: str) -> None:
    flash(*_text_outcome(asset, done))


def _json_refusal(exc: ServiceError):
    """The API's error shape plus the field it concerns, for the upload page's script."""
    if isinstance(exc, DuplicateFile) and "asset" in exc.extra:
        link_duplicate(exc)
    body = {"code": exc.code, "message": exc.message, "field": exc.field, **exc.extra}
    return jsonify({"error": body}), exc.status


def _json_created(asset: Asset):
    """The created asset's id, title and page, and what became of its text."""
    message, level = _text_outcome(asset, "Uploaded")
    url = url_for("library.asset", asset_id=asset.id)
    body = {"id": asset.id, "title": asset.title, "url": url, "message": message, "level": level}
    return jsonify(body), 201, {"Location": url}


@manage_bp.route("/upload", methods=["GET", "POST"])
@requires(UPLOAD)
def upload():
    if request.method == "GET":
        return render_template("manage/upload.html", **_form_context(values={}))
    try:
        file = uploaded_file()
        asset = asset_service.create_asset(
            acting(),
            file.stream,
            file.filename,
            upload_fields(),
            allow_duplicate=allow_duplicate(),
        )
    except ServiceError as exc:
        if wants_json():  # the page's script sends one file per request, asking for JSON
            return _json_refusal(exc)
        return _refused("manage/upload.html", exc, values=_form_values())
    if wants_json():
        return _json_created(asset)
    _flash_text_outcome(asset, "Uploaded")
    return redirect(url_for("library.asset", asset_id=asset.id))


@manage_bp.route("/assets/<int:asset_id>/versions/new", methods=["GET", "POST"])
@requires(UPLOAD)
def new_version(asset_id: int):
    asset = asset_service.get_asset(current_user, asset_id)
    if request.method == "GET":
        return render_template("manage/new_version.html", asset=asset, note="")
    note = request.form.get("note", "")
    try:
        file = uploaded_file()
        asset = asset_service.add_version(
            acting(),
            asset_id,
            file.stream,
            file.filename,
            note,
            allow_duplicate=allow_duplicate(),
        )
    except ServiceError as exc:
        return _refused("manage/new_version.html", exc, asset=asset, note=note)
    _flash_text_outcome(asset, f"Version {asset.current_version_number} uploaded")
    return redirect(url_for("library.asset", asset_id=asset_id))


def _owner_choices() -> list:
    if not can(current_user, ASSIGN_OWNERS):
        return []
    return [u for u in accounts.list_users() if u.active and may_own_assets(u)]


@manage_bp.route("/assets/<int:asset_id>/edit", methods=["GET", "POST"])
@requires(UPLOAD)
def edit(asset_id: int):
    asset = asset_service.get_asset(current_user, asset_id)
    context = {"asset": asset, "owners": _owner_choices()}
    if request.method == "GET":
        return render_template("manage/edit.html", **_form_context(**context))
    # Every field is sent, so an emptied list or date clears it.
    fields = _form_values()
    try:
        asset_service.update_asset(acting(), asset_id, fields)
    except ServiceError as exc:
        return _refused("manage/edit.html", exc, **context)
    flash("Saved.", "success")
    return redirect(url_for("library.asset", asset_id=asset_id))


@manage_bp.post("/assets/<int:asset_id>/archive")
@requires(UPLOAD)
def archive(asset_id: int):
    asset_service.archive_asset(acting(), asset_id)
    flash("Archived: reps no longer see it. Restore it to publish it again.", "info")
    return redirect(url_for("library.asset", asset_id=asset_id))


@manage_bp.post("/assets/<int:asset_id>/restore")
@requires(UPLOAD)
def restore(asset_id: int):
    asset = asset_service.update_asset(acting(), asset_id, {"status": "published"})
    if asset.is_expired(today_utc()):
        flash(
            "Published again, but it has expired: change its expiry date so reps see it.",
            "warning",
        )
    else:
        flash("Published again: reps can find it.", "success")
    return redirect(url_for("library.asset", asset_id=asset_id))
