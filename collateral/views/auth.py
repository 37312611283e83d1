"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..services import accounts

auth_bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (another host, a scheme) goes home.

    Browsers drop tabs and newlines and read backslashes as slashes, so any of those,
    or any other control or space character, makes the target untrusted.
    """
    if (
        target
        and target.startswith("/")
        and not any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in target)
        and not urlsplit(target).netloc
        and not target.startswith("//")
    ):
        return target
    return url_for("library.search")


@auth_bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next")))
        return render_template("auth/login.html", next=request.args.get("next", ""))
    email = request.form.get("email", "")
    user = accounts.authenticate(email, request.form.get("password", ""))
    if user is None:
        flash("That email and password do not match an active account.", "error")
        return render_template(
            "auth/login.html", email=email, next=request.form.get("next", "")
        ), 401
    session.clear()  # a fresh session at sign-in, so a planted session id is worthless
    login_user(user, remember=bool(request.form.get("remember")))
    return redirect(safe_next(request.form.get("next")))


@auth_bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        accounts.record_logout(current_user)
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
