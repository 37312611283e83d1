"""Links to buyers (shares), the notifications they cause, and the engagement report."""

from __future__ import annotations

from flask import jsonify, request, url_for

from ..permissions import READ_USAGE, SHARE, requires
from ..request_input import acting, json_object
from ..services import share_reports
from ..services.notifications import list_notifications, mark_read
from ..services.shares import (
    create_share,
    get_share,
    list_shares,
    revoke_share,
    share_json,
    totals_of,
    update_share,
    visits_of,
)
from . import api_bp
from .reports import _csv


def _url(share) -> str:
    return url_for("buyer.page", token=share.token, _external=True)


def _one(share, with_visits: bool = True):
    visits = visits_of(share.id) if with_visits else None
    return share_json(share, _url(share), totals_of([share.id])[share.id], visits)


@api_bp.post("/shares")
@requires(SHARE)
def create_share_api():
    share = create_share(acting(), json_object())
    response = jsonify(_one(share, with_visits=False))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_share_api", share_id=share.id)
    return response


@api_bp.get("/shares")
@requires(SHARE)
def list_shares_api():
    shares = list_shares(acting().user, request.args.get("user") or None)
    totals = totals_of([s.id for s in shares])
    return jsonify({"results": [share_json(s, _url(s), totals[s.id]) for s in shares]})


@api_bp.get("/shares/<int:share_id>")
@requires(SHARE)
def get_share_api(share_id: int):
    return jsonify(_one(get_share(acting().user, share_id)))


@api_bp.patch("/shares/<int:share_id>")
@requires(SHARE)
def update_share_api(share_id: int):
    return jsonify(_one(update_share(acting(), share_id, json_object())))


@api_bp.post("/shares/<int:share_id>/revoke")
@requires(SHARE)
def revoke_share_api(share_id: int):
    return jsonify(_one(revoke_share(acting(), share_id)))


@api_bp.get("/notifications")
@requires(SHARE)
def notifications_api():
    return jsonify(list_notifications(acting().user))


@api_bp.post("/notifications/read")
@requires(SHARE)
def notifications_read_api():
    mark_read(acting().user, json_object())
    return "", 204


def _engagement():
    params = share_reports.parse_engagement_params(request.args)
    return share_reports.engagement_json(share_reports.engagement_report(params))


ENGAGEMENT_COLUMNS = (
    "asset_id",
    "title",
    "shares",
    "visits",
    "readers",
    "seconds",
    "average_seconds",
    "downloads",
)


@api_bp.get("/reports/engagement")
@requires(READ_USAGE)
def report_engagement():
    return jsonify(_engagement())


@api_bp.get("/reports/engagement.csv")
@requires(READ_USAGE)
def report_engagement_csv():
    rows = [
        {"asset_id": r["asset"]["id"], "title": r["asset"]["title"], **r}
        for r in _engagement()["results"]
    ]
    return _csv("engagement", ENGAGEMENT_COLUMNS, rows)
