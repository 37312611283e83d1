"""What marketers use: upload, new versions, edit, archive and restore."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..errors import DuplicateFile, ServiceError
from ..models import Asset
from ..permissions import ASSIGN_OWNERS, UPLOAD, can, may_own_assets, requires
from ..request_input import acting, allow_duplicate, link_duplicate, upload_fields, uploaded_file
from ..services import accounts
from ..services import assets as asset_service
from ..services.asset_fields import FIELDS, LIST_FIELDS
from ..services.assets import today_utc
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
    return {"terms": offered_terms(), **extra}


def _refused(template: str, exc: ServiceError, **context):
    """The form again with the reason; a duplicate names the asset that already has the file."""
    if isinstance(exc, DuplicateFile) and "asset" in exc.extra:
        context["duplicate"] = link_duplicate(exc).extra["asset"]
    else:
        flash(exc.message, "error")
    return render_template(template, **_form_context(**context)), exc.status


def _flash_text_outcome(asset: Asset, done: str) -> None:
    version = asset.current_version
    if version and not version.has_text:
        reason = version.extraction_error or "the file type has no text"
        flash(
            f"{done}, but with no searchable text ({reason}). It is found by its "
            "title, description and tags.",
            "warning",
        )
    else:
        flash(f"{done} and indexed.", "success")


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
        return _refused("manage/upload.html", exc, values=_form_values())
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
        flash(exc.message, "error")
        return render_template("manage/edit.html", **_form_context(**context)), exc.status
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
