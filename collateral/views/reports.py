"""What managers use: the audit log."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..permissions import AUDITORS, roles_required
from ..query_params import MAX_PAGE, parse_event_filters, positive_int
from ..services.audit import list_events

reports_bp = Blueprint("reports", __name__, url_prefix="/reports")
PER_PAGE = 50
FILTER_KEYS = ("since", "until", "user", "type", "asset")


@reports_bp.get("/events")
@roles_required(*AUDITORS)
def events():
    page = positive_int(request.args.get("page"), "page", 1, MAX_PAGE)
    total, rows = list_events(parse_event_filters(request.args), page, PER_PAGE)
    return render_template(
        "reports/events.html",
        events=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        filters={k: v for k in FILTER_KEYS if (v := request.args.get(k))},
        args=request.args,
    )
