"""Signing in and out, and changing one's own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from ..errors import ServiceError
from ..extensions import limiter, retry_after_seconds
from ..permissions import BROWSE, requires
from ..request_input import acting
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


def _address_and_email() -> str:
    """The rate-limit key of one person's sign-in from one place."""
    email = accounts.normalise_email(request.form.get("email", ""))[:254]
    return f"{get_remote_address()}|{email}"


def _failed(response) -> bool:
    """Only failed sign-ins count against the limits, so colleagues who type well never wait."""
    return response.status_code == 401


@auth_bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT"],
    key_func=_address_and_email,
    methods=["POST"],
    deduct_when=_failed,
    scope="login-email",
)
@limiter.limit(
    lambda: current_app.config["LOGIN_ADDRESS_LIMIT"],
    methods=["POST"],
    deduct_when=_failed,
    scope="login-address",
)
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next")))
        return render_template("auth/login.html", next=request.args.get("next", ""))
    email = request.form.get("email", "")
    user = accounts.authenticate(email, request.form.get("password", ""), request.remote_addr)
    if user is None:
        flash("That email and password do not match an active account.", "error")
        return render_template(
            "auth/login.html", email=email, next=request.form.get("next", "")
        ), 401
    session.clear()  # a fresh session at sign-in, so a planted session id is worthless
    login_user(user, remember=bool(request.form.get("remember")))
    return redirect(safe_next(request.form.get("next")))


@auth_bp.errorhandler(RateLimitExceeded)
def too_many_sign_ins(exc: RateLimitExceeded):
    """The sign-in form again, saying how long to wait; the limit forgets within minutes."""
    wait = retry_after_seconds()
    flash(
        f"Too many failed sign-ins from your address. Wait {wait} seconds, "
        "then sign in again, checking the email and password.",
        "error",
    )
    page = render_template(
        "auth/login.html",
        email=request.form.get("email", ""),
        next=request.form.get("next", ""),
    )
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(wait)
    return response


@auth_bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        accounts.record_logout(acting())
    # Cleared before logout_user, which marks the remember cookie for deletion in the session.
    session.clear()
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def _password_page(status: int = 200):
    page = render_template(
        "auth/password.html",
        min_length=accounts.MIN_PASSWORD_LENGTH,
        live_tokens=accounts.live_token_count(current_user),
    )
    return page, status


@auth_bp.route("/account/password", methods=["GET", "POST"])
@requires(BROWSE)
def change_password():
    if request.method == "GET":
        return _password_page()
    form = request.form
    if form.get("new_password", "") != form.get("confirm_password", ""):
        flash("The new password and its confirmation differ; type them again.", "error")
        return _password_page(400)
    try:
        revoked = accounts.change_password(
            acting(),
            form.get("current_password", ""),
            form.get("new_password", ""),
            keep_tokens=form.get("keep_tokens") == "1",
        )
    except ServiceError as exc:
        flash(exc.message, "error")
        return _password_page(exc.status)
    # Every other session has just ended; this one goes on under the new session version.
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    user = current_user._get_current_object()
    session.clear()
    login_user(user, remember=remember)
    flash(_password_changed_message(revoked, accounts.live_token_count(user)), "success")
    return redirect(url_for("account.profile"))


def _password_changed_message(revoked: int, kept: int) -> str:
    """What a password change ended, and what goes on."""
    message = "Your password is changed; you were signed out everywhere else"
    if revoked:
        tokens = "API token was" if revoked == 1 else f"{revoked} API tokens were"
        return f"{message}, and your {tokens} revoked: create new ones below for scripts."
    if kept:
        tokens = "API token still works" if kept == 1 else f"{kept} API tokens still work"
        return f"{message}. Your {tokens}: revoke any you do not recognise below."
    return message + "."
