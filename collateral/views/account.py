"""A user's own page: API tokens, the daily digest email."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..permissions import BROWSE, requires
from ..request_input import acting
from ..services import accounts
from ..services.digest import set_daily_digest

account_bp = Blueprint("account", __name__, url_prefix="/account")


@account_bp.get("")
@requires(BROWSE)
def profile():
    return render_template("account/profile.html", tokens=accounts.list_tokens(current_user))


@account_bp.post("/tokens")
@requires(BROWSE)
def create_token():
    actor = acting()
    token = accounts.create_api_token(
        actor.user, request.form.get("label", "").strip(), actor=actor
    )
    return render_template(
        "account/profile.html", tokens=accounts.list_tokens(current_user), new_token=token
    )


@account_bp.post("/tokens/<int:token_id>/revoke")
@requires(BROWSE)
def revoke_token(token_id: int):
    accounts.revoke_token(acting(), token_id)
    flash("Token revoked.", "info")
    return redirect(url_for("account.profile"))


@account_bp.post("/digest")
@requires(BROWSE)
def daily_digest():
    """The opt-out of the daily digest email (an unticked box is not sent at all)."""
    wanted = request.form.get("daily_digest") == "1"
    set_daily_digest(acting(), wanted)
    flash("You will get the daily digest." if wanted else "No more daily digests.", "info")
    return redirect(url_for("account.profile"), 303)
