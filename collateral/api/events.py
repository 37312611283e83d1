"""The audit log, as JSON pages and as a streamed CSV."""

from __future__ import annotations

from flask import Response, jsonify, request, stream_with_context

from ..permissions import AUDIT, requires
from ..query_params import MAX_PAGE, positive_int
from ..services.audit_log import iter_events_csv, list_events, parse_event_filters
from . import api_bp


@api_bp.get("/events")
@requires(AUDIT)
def get_events():
    filters = parse_event_filters(request.args)
    page = positive_int(request.args.get("page"), "page", 1, MAX_PAGE)
    per_page = positive_int(request.args.get("per_page"), "per_page", 50, 500)
    total, events = list_events(filters, page, per_page)
    return jsonify({"total": total, "page": page, "per_page": per_page, "events": events})


@api_bp.get("/events.csv")
@requires(AUDIT)
def get_events_csv():
    filters = parse_event_filters(request.args)
    return Response(
        stream_with_context(iter_events_csv(filters)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="events.csv"'},
    )
