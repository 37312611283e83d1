"""Probes for load balancers and orchestrators: no sign-in, nothing revealed but ok or not."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..services.health import readiness

health_bp = Blueprint("health", __name__)


@health_bp.get("/healthz")
def healthz():
    """The process answers (no database call)."""
    response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


@health_bp.get("/readyz")
def readyz():
    """200 when the database, the blob store and this node's index answer, else 503."""
    ready, report = readiness()
    response = jsonify(report)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
