"""The JSON API, /api/v1, as the contract in API.md describes it."""

from flask import Blueprint

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import assets, collections, events, openapi, reports, shares, taxonomy  # noqa: E402,F401  (routes register on import)
