"""The audit log, as JSON pages and as a streamed CSV."""

from __future__ import annotations

from flask import Response, jsonify, request, stream_with_context

from ..errors import InvalidInput
from ..permissions import AUDITORS, roles_required
from ..query_params import parse_moment, positive_int
from ..services.audit import EventFilters, iter_events_csv, list_events
from . import api_bp


def event_filters() -> EventFilters:
    args = request.args
    asset = args.get("asset")
    if asset not in (None, "") and not asset.isdigit():
        raise InvalidInput("asset: must be an asset id (a whole number).", field="asset")
    return EventFilters(
        since=parse_moment(args.get("since"), "since"),
        until=parse_moment(args.get("until"), "until"),
        user_email=args.get("user") or None,
        type=args.get("type") or None,
        asset_id=int(asset) if asset else None,
    )


@api_bp.get("/events")
@roles_required(*AUDITORS)
def get_events():
    filters = event_filters()
    page = positive_int(request.args.get("page"), "page", 1)
    per_page = positive_int(request.args.get("per_page"), "per_page", 50, 500)
    total, events = list_events(filters, page, per_page)
    return jsonify({"total": total, "page": page, "per_page": per_page, "events": events})


@api_bp.get("/events.csv")
@roles_required(*AUDITORS)
def get_events_csv():
    filters = event_filters()
    return Response(
        stream_with_context(iter_events_csv(filters)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="events.csv"'},
    )
