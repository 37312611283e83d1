"""What admins use: users and the taxonomy."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..errors import ServiceError
from ..models import ROLES
from ..permissions import roles_required
from ..services import accounts, taxonomy

admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


@admin_bp.get("/users")
@roles_required("admin")
def users():
    return render_template("admin/users.html", users=accounts.list_users(), roles=ROLES)


@admin_bp.post("/users")
@roles_required("admin")
def create_user():
    form = request.form
    try:
        user = accounts.create_user(
            form.get("email", ""),
            form.get("role", ""),
            form.get("password", ""),
            form.get("name", ""),
        )
    except ServiceError as exc:
        flash(exc.message, "error")
        return render_template(
            "admin/users.html", users=accounts.list_users(), roles=ROLES, values=form
        ), exc.status
    flash(f"Added {user.email} as {user.role}.", "success")
    return redirect(url_for("admin.users"))


@admin_bp.post("/users/<int:user_id>")
@roles_required("admin")
def update_user(user_id: int):
    form = request.form
    active = form.get("active")
    try:
        accounts.update_user(
            user_id, role=form.get("role") or None, active=None if active is None else active == "1"
        )
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.users")), 303
    flash("Saved.", "success")
    return redirect(url_for("admin.users"))


@admin_bp.get("/taxonomy")
@roles_required("admin")
def terms():
    return render_template(
        "admin/taxonomy.html", terms=taxonomy.list_terms(), kinds=taxonomy.PLURALS
    )


@admin_bp.post("/taxonomy")
@roles_required("admin")
def add_term():
    try:
        term = taxonomy.add_term(request.form.get("kind", ""), request.form.get("name", ""))
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.terms")), 303
    flash(f"Added {term.name}.", "success")
    return redirect(url_for("admin.terms"))
