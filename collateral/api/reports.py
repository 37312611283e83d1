"""Usage reports as JSON and, at the same path with ".csv", as a streamed CSV download."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flask import Response, jsonify, request, stream_with_context

from ..csv_export import csv_rows
from ..permissions import READ_PEOPLE, READ_USAGE, requires
from ..services import reports
from . import api_bp
from .serializers import iso


def _asset(asset) -> dict[str, Any]:
    return {"id": asset.id, "title": asset.title}


def _totals(totals: reports.Totals) -> dict[str, int]:
    return {
        "downloads": totals.downloads,
        "views": totals.views,
        "searches": totals.searches,
        "active_reps": totals.active_reps,
    }


def _point(point: reports.OverviewPoint) -> dict[str, Any]:
    return {"start": point.start.isoformat(), **_totals(point)}  # same four figures


def _top(row: reports.TopAsset) -> dict[str, Any]:
    return {
        "asset": _asset(row.asset),
        "downloads": row.downloads,
        "views": row.views,
        "unique_users": row.unique_users,
    }


def _stale(row: reports.StaleAsset) -> dict[str, Any]:
    return {
        "asset": _asset(row.asset),
        "last_download_at": iso(row.last_download_at),
        "owner": row.owner.email,
    }


def _search(row: reports.SearchRow) -> dict[str, Any]:
    return {
        "query": row.query,
        "count": row.count,
        "last_at": iso(row.last_at),
        "avg_results": round(row.avg_results, 2),
        "zero_results": row.zero_results,
        "opened": row.opened,
    }


def _user(row: reports.UserRow) -> dict[str, Any]:
    return {
        "user": row.user.email,
        "role": row.user.role,
        "searches": row.searches,
        "views": row.views,
        "downloads": row.downloads,
        "last_active": iso(row.last_active),
    }


def _flat(item: dict[str, Any]) -> dict[str, Any]:
    """A JSON item as one CSV row: the asset object becomes asset_id and title."""
    if "asset" in item:
        asset = item.pop("asset")
        item = {"asset_id": asset["id"], "title": asset["title"], **item}
    return item


def _csv(name: str, columns: Sequence[str], items: Iterable[dict[str, Any]]) -> Response:
    return Response(
        stream_with_context(csv_rows(columns, (_flat(item) for item in items))),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _rows(report: Callable, to_json: Callable) -> list[dict[str, Any]]:
    """Parse the period and filters (a 400 before anything is sent), run the report."""
    return [to_json(row) for row in report(reports.parse_report_params(request.args))]


OVERVIEW_COLUMNS = ("start", "downloads", "views", "searches", "active_reps")
TOP_COLUMNS = ("asset_id", "title", "downloads", "views", "unique_users")
STALE_COLUMNS = ("asset_id", "title", "last_download_at", "owner")
SEARCH_COLUMNS = ("query", "count", "last_at", "avg_results", "zero_results", "opened")
USER_COLUMNS = ("user", "role", "searches", "views", "downloads", "last_active")


def _overview() -> dict[str, Any]:
    params = reports.parse_report_params(request.args)
    result = reports.overview(params)
    return {
        "since": iso(params.since),
        "until": iso(params.until),
        "bucket": result.bucket,
        "points": [_point(p) for p in result.points],
        "totals": _totals(result.totals),
        "previous": _totals(result.previous),
    }


@api_bp.get("/reports/overview")
@requires(READ_USAGE)
def report_overview():
    return jsonify(_overview())


@api_bp.get("/reports/overview.csv")
@requires(READ_USAGE)
def report_overview_csv():
    return _csv("overview", OVERVIEW_COLUMNS, _overview()["points"])


@api_bp.get("/reports/top-assets")
@requires(READ_PEOPLE)
def report_top_assets():
    return jsonify(_rows(reports.top_assets, _top))


@api_bp.get("/reports/top-assets.csv")
@requires(READ_PEOPLE)
def report_top_assets_csv():
    return _csv("top-assets", TOP_COLUMNS, _rows(reports.top_assets, _top))


@api_bp.get("/reports/stale")
@requires(READ_USAGE)
def report_stale():
    return jsonify(_rows(reports.stale_assets, _stale))


@api_bp.get("/reports/stale.csv")
@requires(READ_USAGE)
def report_stale_csv():
    return _csv("stale", STALE_COLUMNS, _rows(reports.stale_assets, _stale))


@api_bp.get("/reports/searches")
@requires(READ_USAGE)
def report_searches():
    return jsonify(_rows(reports.searches, _search))


@api_bp.get("/reports/searches.csv")
@requires(READ_USAGE)
def report_searches_csv():
    return _csv("searches", SEARCH_COLUMNS, _rows(reports.searches, _search))


@api_bp.get("/reports/users")
@requires(READ_PEOPLE)
def report_users():
    return jsonify(_rows(reports.users_report, _user))


@api_bp.get("/reports/users.csv")
@requires(READ_PEOPLE)
def report_users_csv():
    return _csv("users", USER_COLUMNS, _rows(reports.users_report, _user))
