"""Whether this process can serve: the database, the blob store, the index and the job queue."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import text

from ..extensions import db
from .page_images import failed_count
from .resources import blob_store, search_index


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
    try:
        search_index().missing_fields()  # opens the live generation's schema
        report["index"] = {"status": "ok", "lag": 0}
    except Exception:
        report["index"] = {"status": "unavailable", "lag": 0}
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
