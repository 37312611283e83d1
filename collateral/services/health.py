"""Whether this process can serve: the database, the blob store, the index and the job queue."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import text

from ..extensions import db
from . import change_log
from .indexing import applied_position
from .page_images import failed_count
from .resources import blob_store, search_index

_UNAVAILABLE = {"status": "unavailable", "lag": 0}


def index_state() -> dict[str, Any]:
    """This node's index: "ok" when it answers and is at most INDEX_READY_MAX_LAG changes
    behind the log; "building" while it has no usable index (none, or new and not yet brought
    up to date, or older than the pruned log: the follower is building it); "behind" when
    further back; with the lag."""
    try:
        index = search_index()
        position = applied_position()
        lag = change_log.count_after(position)
        if position is None or position < change_log.pruned_through() or index.is_new():
            return {"status": "building", "lag": lag}
        index.missing_fields()  # opens the live generation's schema
    except Exception:
        db.session.rollback()
        return dict(_UNAVAILABLE)
    behind = lag > int(current_app.config["INDEX_READY_MAX_LAG"])
    return {"status": "behind" if behind else "ok", "lag": lag}


def readiness() -> tuple[bool, dict[str, Any]]:
    """(ready, report); each part says "ok" or "unavailable", never why (no sign-in needed)."""
    report: dict[str, Any] = {}
    try:
        db.session.execute(text("SELECT 1"))
        report["database"] = "ok"
    except Exception:
        db.session.rollback()
        report["database"] = "unavailable"
    report["blob_store"] = "ok" if blob_store().available() else "unavailable"
    report["index"] = index_state() if report["database"] == "ok" else _UNAVAILABLE
    jobs = {"queued": 0, "failed": 0}
    try:
        jobs["queued"] = current_app.extensions["collateral.jobs"].counts()["queued"]
        if report["database"] == "ok":
            jobs["failed"] = failed_count()
    except Exception:
        current_app.logger.exception("The job queue could not be read")
    report["jobs"] = jobs
    ready = (
        report["database"] == "ok"
        and report["blob_store"] == "ok"
        and report["index"]["status"] == "ok"
    )
    return ready, report
