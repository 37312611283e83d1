"""Keeping the library clean: an owner's home, and the assets missing required metadata."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..permissions import UPLOAD, requires
from ..query_params import MAX_PAGE, positive_int
from ..services.assets import today_utc
from ..services.attention import incomplete_assets, owner_home

care_bp = Blueprint("care", __name__)


@care_bp.get("/mine")
@requires(UPLOAD)
def mine():
    return render_template("care/mine.html", home=owner_home(current_user, today_utc()))


@care_bp.get("/incomplete")
@requires(UPLOAD)
def incomplete():
    page = positive_int(request.args.get("page"), "page", 1, MAX_PAGE)
    return render_template("care/incomplete.html", listing=incomplete_assets(page))
