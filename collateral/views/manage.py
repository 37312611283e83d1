"""What marketers use: upload, edit, archive."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..api.uploads import upload_fields, uploaded_file
from ..errors import ServiceError
from ..permissions import EDITORS, roles_required
from ..services import assets as asset_service
from ..services.asset_fields import FIELDS, LIST_FIELDS
from ..services.taxonomy import offered_terms

manage_bp = Blueprint("manage", __name__)


def _form_values() -> dict:
    """The asset fields of the submitted form, lists as lists."""
    form = request.form
    return {k: form.getlist(k) if k in LIST_FIELDS else form.get(k, "") for k in FIELDS}


def _form_context(**extra):
    return {"terms": offered_terms(), **extra}


@manage_bp.route("/upload", methods=["GET", "POST"])
@roles_required(*EDITORS)
def upload():
    if request.method == "GET":
        return render_template("manage/upload.html", **_form_context(values={}))
    try:
        file = uploaded_file()
        asset = asset_service.create_asset(
            current_user, file.stream, file.filename, upload_fields()
        )
    except ServiceError as exc:
        flash(exc.message, "error")
        values = _form_values()
        return render_template("manage/upload.html", **_form_context(values=values)), exc.status
    if asset.current_version and not asset.current_version.has_text:
        reason = asset.current_version.extraction_error or "the file type has no text"
        flash(
            f"Uploaded, but with no searchable text ({reason}). It is found by its "
            "title, description and tags.",
            "warning",
        )
    else:
        flash("Uploaded and indexed.", "success")
    return redirect(url_for("library.asset", asset_id=asset.id))


@manage_bp.route("/assets/<int:asset_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(asset_id: int):
    asset = asset_service.get_asset(current_user, asset_id)
    if request.method == "GET":
        return render_template("manage/edit.html", **_form_context(asset=asset))
    # Every field is sent, so an emptied list or date clears it.
    fields = _form_values()
    try:
        asset_service.update_asset(current_user, asset_id, fields)
    except ServiceError as exc:
        flash(exc.message, "error")
        return render_template("manage/edit.html", **_form_context(asset=asset)), exc.status
    flash("Saved.", "success")
    return redirect(url_for("library.asset", asset_id=asset_id))


@manage_bp.post("/assets/<int:asset_id>/archive")
@roles_required(*EDITORS)
def archive(asset_id: int):
    asset_service.archive_asset(current_user, asset_id)
    flash("Archived: reps no longer see it. Edit its status to publish it again.", "info")
    return redirect(url_for("library.asset", asset_id=asset_id))
