"""What reps see of their links to buyers: make one, "My shares", one link's visits; and the
engagement report for marketers and managers."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from ..errors import Forbidden, NotFound, ServiceError
from ..extensions import db
from ..models import Asset, utcnow
from ..permissions import (
    READ_USAGE,
    SEE_ALL_SHARES,
    SHARE,
    can,
    can_manage_share,
    can_view_asset,
    requires,
)
from ..request_input import acting
from ..services import share_reports
from ..services.assets import today_utc
from ..services.collections import CollectionView, open_collection
from ..services.shares import (
    create_share,
    get_share,
    list_shares,
    revoke_share,
    share_state,
    totals_of,
    update_share,
    visits_of,
)
from ..services.taxonomy import offered_terms
from .charts import Series, render_chart

shares_bp = Blueprint("shares", __name__, url_prefix="/shares")
engagement_bp = Blueprint("engagement", __name__, url_prefix="/reports")
FORM_FIELDS = ("title", "recipient", "expires_at", "passcode")
FLAGS = ("require_email", "allow_download")


def share_url(share) -> str:
    return url_for("buyer.page", token=share.token, _external=True)


def _chosen_assets(ids: list[str]) -> list[Asset]:
    """The assets picked for a new link that the rep may see (others are silently dropped:
    the form shows what will be shared)."""
    found = []
    today = today_utc()
    for raw in ids[:50]:
        if raw.isdigit() and len(raw) < 10:
            asset = db.session.get(Asset, int(raw))
            visible = asset is not None and can_view_asset(current_user, asset, today)
            if visible and asset not in found:
                found.append(asset)
    return found


def _chosen_collection(raw: str | None) -> CollectionView | None:
    """The collection a link is being made from (?collection=ID), if one the rep may see."""
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise NotFound("No such collection.")
    return open_collection(acting(), int(raw))


def _new_form(assets, values=None, status: int = 200, collection=None):
    days = int(current_app.config["SHARE_DAYS"])
    default_expiry = (utcnow() + timedelta(days=days)).date().isoformat()
    values = values or {"expires_at": default_expiry, "allow_download": True}
    if collection is not None:
        assets = collection.assets
    page = render_template(
        "shares/new.html", assets=assets, values=values, days=days, collection=collection
    )
    return page, status


@shares_bp.get("/new")
@requires(SHARE)
def new():
    collection = _chosen_collection(request.args.get("collection"))
    return _new_form(_chosen_assets(request.args.getlist("asset")), collection=collection)


@shares_bp.post("/new")
@requires(SHARE)
def create():
    form = request.form
    collection = _chosen_collection(form.get("collection"))
    assets = _chosen_assets(form.getlist("asset"))
    body = {name: form.get(name, "") for name in FORM_FIELDS}
    body.update({name: name in form for name in FLAGS})
    if collection is not None:
        body["collection"] = collection.collection.id
    else:
        body["assets"] = [a.id for a in assets]
    try:
        share = create_share(acting(), body)
    except ServiceError as exc:
        flash(exc.message, "error")
        return _new_form(assets, body, exc.status, collection)
    flash("Your link is ready: copy it and send it to your buyer.", "success")
    return redirect(url_for("shares.detail", share_id=share.id, new=1), 303)


@shares_bp.get("")
@requires(SHARE)
def mine():
    owner = request.args.get("user") or None
    shares = list_shares(current_user, owner)
    totals = totals_of([s.id for s in shares])
    now = utcnow()
    return render_template(
        "shares/list.html",
        shares=shares,
        totals=totals,
        states={s.id: share_state(s, now) for s in shares},
        everyone=can(current_user, SEE_ALL_SHARES) and not owner,
        owner=owner,
    )


@shares_bp.get("/<int:share_id>")
@requires(SHARE)
def detail(share_id: int):
    share = get_share(current_user, share_id)
    visits = visits_of(share.id)
    titles = {item.asset_id: item.asset.title for item in share.items}
    return render_template(
        "shares/detail.html",
        share=share,
        url=share_url(share),
        totals=totals_of([share.id])[share.id],
        visits=visits,
        titles=titles,
        state=share_state(share, utcnow()),
        may_change=can_manage_share(current_user, share),
        new=request.args.get("new") == "1",
    )


@shares_bp.post("/<int:share_id>")
@requires(SHARE)
def change(share_id: int):
    form = request.form
    body: dict = {}
    if "title" in form:
        body["title"] = form["title"]
    if "expires_at" in form:
        body["expires_at"] = form["expires_at"]
    if form.get("passcode_action") == "set":
        body["passcode"] = form.get("passcode", "")
    elif form.get("passcode_action") == "remove":
        body["passcode"] = ""
    if "flags" in form:  # the checkboxes' form: an unticked box is not sent at all
        body.update({name: name in form for name in FLAGS})
    try:
        update_share(acting(), share_id, body)
        flash("The link is changed.", "success")
    except Forbidden:
        raise
    except ServiceError as exc:
        flash(exc.message, "error")
    return redirect(url_for("shares.detail", share_id=share_id), 303)


@shares_bp.post("/<int:share_id>/revoke")
@requires(SHARE)
def revoke(share_id: int):
    revoke_share(acting(), share_id)
    flash("The link is revoked: it stopped working for everyone.", "success")
    return redirect(url_for("shares.detail", share_id=share_id), 303)


@engagement_bp.get("/engagement")
@requires(READ_USAGE)
def engagement():
    params = share_reports.parse_engagement_params(request.args)
    report = share_reports.engagement_report(params)
    charts = {}
    for deck in report.decks:
        # render_chart escapes every label, name and title it puts in the SVG.
        seconds = render_chart(
            [
                Series(
                    "Average seconds per reader",
                    [(str(p.page), p.average_seconds) for p in deck.pages],
                )
            ],
            "Seconds on each page",
            kind="bar",
        )
        reach = render_chart(
            [
                Series(
                    "% of readers still reading",
                    [(str(p.page), p.reach_percent) for p in deck.pages],
                )
            ],
            "Where readers stop: share of readers who got to each page",
            kind="line",
        )
        charts[deck.asset_id] = {
            "seconds": Markup(seconds),  # noqa: S704  # nosec
            "reach": Markup(reach),  # noqa: S704  # nosec
        }
    args = request.args.to_dict(flat=False)
    return render_template(
        "shares/engagement.html",
        report=report,
        charts=charts,
        form=share_reports.form_values(request.args, params),
        terms=offered_terms(include_retired=True),
        csv_url=url_for("api.report_engagement_csv", **args),
    )
