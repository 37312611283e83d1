"""What admins use: users and the taxonomy."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..errors import NotFound, ServiceError
from ..models import MAX_ID, ROLES
from ..permissions import ADMINISTER, requires
from ..request_input import acting
from ..services import accounts, taxonomy, taxonomy_care

admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


@admin_bp.get("/users")
@requires(ADMINISTER)
def users():
    return render_template("admin/users.html", users=accounts.list_users(), roles=ROLES)


@admin_bp.post("/users")
@requires(ADMINISTER)
def create_user():
    form = request.form
    try:
        user = accounts.create_user(
            form.get("email", ""),
            form.get("role", ""),
            form.get("password", ""),
            form.get("name", ""),
            actor=acting(),
        )
    except ServiceError as exc:
        flash(exc.message, "error")
        return render_template(
            "admin/users.html", users=accounts.list_users(), roles=ROLES, values=form
        ), exc.status
    flash(f"Added {user.email} as {user.role}.", "success")
    return redirect(url_for("admin.users"))


@admin_bp.post("/users/<int:user_id>")
@requires(ADMINISTER)
def update_user(user_id: int):
    form = request.form
    active = form.get("active")
    try:
        accounts.update_user(
            user_id,
            role=form.get("role") or None,
            active=None if active is None else active == "1",
            actor=acting(),
        )
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.users")), 303
    flash("Saved.", "success")
    return redirect(url_for("admin.users"))


@admin_bp.get("/taxonomy")
@requires(ADMINISTER)
def terms():
    return render_template(
        "admin/taxonomy.html",
        terms=taxonomy.list_terms(),
        kinds=taxonomy.PLURALS,
        singulars=taxonomy.SINGULARS,
        counts=taxonomy.asset_counts(),
    )


@admin_bp.post("/taxonomy")
@requires(ADMINISTER)
def add_term():
    try:
        term = taxonomy.add_term(
            request.form.get("kind", ""), request.form.get("name", ""), actor=acting()
        )
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.terms")), 303
    flash(f"Added {term.name}.", "success")
    return redirect(url_for("admin.terms"))


def _back_to():
    """To the taxonomy page, whose top shows the message (303: the browser then GETs it)."""
    return redirect(url_for("admin.terms"), 303)


def _refused(exc: ServiceError):
    """An unknown term in the URL is a 404 page; other refusals are said on the list."""
    if isinstance(exc, NotFound) and exc.field is None:
        raise exc
    flash(exc.message, "error")
    return _back_to()


@admin_bp.post("/taxonomy/<int:term_id>/rename")
@requires(ADMINISTER)
def rename_term(term_id: int):
    try:
        old = taxonomy.get_term(term_id).name
        term = taxonomy_care.rename_term(term_id, request.form.get("name", ""), actor=acting())
    except ServiceError as exc:
        return _refused(exc)
    if term.name == old:
        flash(f"“{old}” already has that name.", "info")
    else:
        flash(f"Renamed “{old}” to “{term.name}”; its collateral is re-indexed.", "success")
    return _back_to()


@admin_bp.post("/taxonomy/<int:term_id>/move")
@requires(ADMINISTER)
def move_term(term_id: int):
    direction = request.form.get("direction", "")
    try:
        term = taxonomy.get_term(term_id)
        moved = taxonomy_care.move_term(term_id, direction, actor=acting())
    except ServiceError as exc:
        return _refused(exc)
    where = {"up": "up", "down": "down", "top": "to the top", "bottom": "to the bottom"}
    if moved:
        flash(f"Moved “{term.name}” {where[direction]}.", "success")
    else:
        end = "top" if direction in ("up", "top") else "bottom"
        flash(f"“{term.name}” is already at the {end}.", "info")
    return _back_to()


@admin_bp.post("/taxonomy/<int:term_id>/retire")
@requires(ADMINISTER)
def retire_term(term_id: int):
    try:
        term = taxonomy_care.retire_term(term_id, actor=acting())
    except ServiceError as exc:
        return _refused(exc)
    flash(
        f"Retired “{term.name}”: collateral that has it keeps it, but it is no longer offered.",
        "success",
    )
    return _back_to()


@admin_bp.post("/taxonomy/<int:term_id>/restore")
@requires(ADMINISTER)
def restore_term(term_id: int):
    try:
        term = taxonomy_care.restore_term(term_id, actor=acting())
    except ServiceError as exc:
        return _refused(exc)
    flash(f"Restored “{term.name}”: it is offered again.", "success")
    return _back_to()


@admin_bp.post("/taxonomy/<int:term_id>/merge")
@requires(ADMINISTER)
def merge_term(term_id: int):
    form = request.form
    try:
        source = taxonomy.get_term(term_id)
        if form.get("confirm") != "yes":
            flash(f"Nothing merged: tick the box to confirm merging “{source.name}”.", "error")
            return _back_to()
        into = form.get("into", "")
        if not into.isascii() or not into.isdigit() or int(into) > MAX_ID:
            flash("Nothing merged: choose the term to merge into.", "error")
            return _back_to()
        merged = taxonomy_care.merge_terms(term_id, int(into), actor=acting())
    except ServiceError as exc:
        return _refused(exc)
    moved = f"{merged.assets} asset{'' if merged.assets == 1 else 's'}"
    flash(
        f"Merged “{merged.source_name}” into “{merged.target.name}”: {moved} moved and re-indexed.",
        "success",
    )
    return _back_to()
