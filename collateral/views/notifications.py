"""The notifications page the bell in the header links to: newest first, each linking to its
asset or link, marked read one by one or all at once."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from ..errors import InvalidInput
from ..permissions import SHARE, requires
from ..services import notifications

notifications_bp = Blueprint("notifications", __name__, url_prefix="/notifications")

KIND_LABELS = {
    "share_opened": "Link opened",
    "new_version": "New version",
    "expired": "Expired",
    "archived": "Archived",
}


@notifications_bp.get("")
@requires(SHARE)
def index():
    rows = notifications.latest(current_user)
    return render_template(
        "notifications/index.html",
        rows=rows,
        unread=notifications.unread_count(current_user),
        openable=notifications.openable_assets(current_user, rows),
        labels=KIND_LABELS,
    )


@notifications_bp.post("/read")
@requires(SHARE)
def read():
    """Mark one notification (`id`) or all of them (`all`) read."""
    if request.form.get("all"):
        body: dict = {"all": True}
    else:
        raw = request.form.get("id", "")
        if not raw.isdigit() or len(raw) > 10:
            raise InvalidInput("Say which notification to mark read.", field="id")
        body = {"ids": [int(raw)]}
    notifications.mark_read(current_user, body)
    return redirect(url_for("notifications.index"), 303)
