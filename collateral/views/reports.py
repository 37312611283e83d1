"""What managers use: the audit log."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..api.events import event_filters
from ..permissions import AUDITORS, roles_required
from ..query_params import positive_int
from ..services.audit import list_events

reports_bp = Blueprint("reports", __name__, url_prefix="/reports")
PER_PAGE = 50


@reports_bp.get("/events")
@roles_required(*AUDITORS)
def events():
    page = positive_int(request.args.get("page"), "page", 1)
    total, rows = list_events(event_filters(), page, PER_PAGE)
    return render_template(
        "reports/events.html",
        events=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        args=request.args,
    )
