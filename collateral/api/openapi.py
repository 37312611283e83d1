"""The OpenAPI 3 description of /api/v1; tests check it against the routes and the responses."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ..booleans import BOOL_WORDS
from ..models import KIND_PLURALS, STATUSES
from ..search_index import SORTS
from ..services.asset_fields import LIST_FIELDS
from . import api_bp
from .openapi_home import HOME_PATHS, HOME_SCHEMAS
from .openapi_schemas import (
    ASSET,
    ASSET_EXAMPLE,
    ASSET_FIELDS,
    ERROR,
    ERROR_TEXT,
    EVENT,
    EVENT_PAGE,
    PAGE_LIST,
    PREVIEW,
    REPORT_SCHEMAS,
    SEARCH_RESULT,
    SHARE_CREATE,
    SHARE_PATCH,
    SHARE_SCHEMAS,
    STR_LIST,
    TAXONOMY,
    TERM,
    VERSION,
    error_refs,
    json_body,
    ref,
)


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _repeatable(name: str, description: str) -> dict[str, Any]:
    return {**_query(name, STR_LIST, description), "style": "form", "explode": True}


ASSET_ID = {"name": "asset_id", "in": "path", "required": True, "schema": {"type": "integer"}}
SHARE_ID = {"name": "share_id", "in": "path", "required": True, "schema": {"type": "integer"}}
VERSION_PARAM = _query(
    "version", {"type": "integer", "minimum": 1}, "older versions: marketers, managers, admins"
)
SEARCH_PARAM = _query(
    "search", {"type": "integer"}, "the search_id of the search this came from, for usage reports"
)
REQUIRED_HEADER = {"required": True, "schema": {"type": "string"}}
RANGE = {
    "name": "Range",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "bytes=FIRST-LAST; one range",
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "the ETag of a copy the client holds: 304 while it is current",
}
ASSET_CREATED = {
    **json_body(ref("Asset"), "Created"),
    "headers": {"Location": {"schema": {"type": "string"}}},
}
ALLOW_DUPLICATE = {
    "type": "string",
    "enum": list(BOOL_WORDS),
    "description": "true keeps a file that is already another asset's current version",
}
PERIOD = [
    _query("since", {"type": "string"}, "ISO 8601 date or time (UTC)"),
    _query("until", {"type": "string"}, "ISO 8601 date or time (UTC), exclusive"),
]

PATHS: dict[str, Any] = {
    "/api/v1/taxonomy": {
        "get": {
            "summary": "The taxonomy in display order",
            "responses": {"200": json_body(ref("Taxonomy")), **error_refs(401)},
        },
    },
    "/api/v1/taxonomy/{kind}": {
        "post": {
            "summary": "Add a term (admins)",
            "parameters": [
                {
                    "name": "kind",
                    "in": "path",
                    "required": True,
                    "schema": {
                        "type": "string",
                        "enum": list(KIND_PLURALS.values()),
                    },
                }
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {"name": {"type": "string"}},
                        }
                    }
                },
            },
            "responses": {
                "201": json_body(ref("Term"), "Created"),
                **error_refs(400, 401, 403, 404, 409, 413),
            },
        }
    },
    "/api/v1/assets": {
        "get": {
            "summary": "Search the assets the caller may see",
            "parameters": [
                _query("q", {"type": "string", "maxLength": 500}, "free text"),
                _repeatable("product", "product names; OR within, AND across facets"),
                _repeatable("industry", "industry names"),
                _repeatable("stage", "stage names"),
                _repeatable("content_type", "content type names"),
                _repeatable("tag", "tags"),
                {
                    **_repeatable("status", "marketers and admins only"),
                    "schema": {
                        "type": "array",
                        "items": {"type": "string", "enum": list(STATUSES)},
                    },
                },
                _query("sort", {"type": "string", "enum": list(SORTS)}),
                _query("page", {"type": "integer", "minimum": 1, "maximum": 10000}),
                _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100}),
            ],
            "responses": {"200": json_body(ref("SearchResult")), **error_refs(400, 401, 403)},
        },
        "post": {
            "summary": "Upload a new asset (marketers, admins)",
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file", "title"],
                            "properties": {
                                "file": {"type": "string", "format": "binary"},
                                **ASSET_FIELDS,
                                "allow_duplicate": ALLOW_DUPLICATE,
                            },
                            "additionalProperties": False,
                        },
                        "example": {"file": "Pricing deck text", **ASSET_EXAMPLE},
                        "encoding": {k: {"style": "form", "explode": True} for k in LIST_FIELDS},
                    }
                },
            },
            "responses": {
                "201": ASSET_CREATED,
                **error_refs(400, 401, 403, 409, 413, 415, 422),
            },
        },
    },
    "/api/v1/assets/{asset_id}": {
        "get": {
            "summary": "One asset",
            "parameters": [ASSET_ID, SEARCH_PARAM],
            "responses": {"200": json_body(ref("Asset")), **error_refs(401, 404)},
        },
        "patch": {
            "summary": "Change metadata (marketers, admins)",
            "parameters": [ASSET_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": ASSET_FIELDS,
                            "additionalProperties": False,
                        },
                        "example": ASSET_EXAMPLE,
                    }
                },
            },
            "responses": {
                "200": json_body(ref("Asset")),
                **error_refs(400, 401, 403, 404, 413),
            },
        },
    },
    "/api/v1/assets/{asset_id}/versions": {
        "post": {
            "summary": "Upload a new version; it becomes current (marketers, admins)",
            "parameters": [ASSET_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {"type": "string", "format": "binary"},
                                "note": {"type": "string", "maxLength": 2000},
                                "allow_duplicate": ALLOW_DUPLICATE,
                            },
                            "additionalProperties": False,
                        }
                    }
                },
            },
            "responses": {
                "201": ASSET_CREATED,
                **error_refs(400, 401, 403, 404, 409, 413, 415, 422),
            },
        }
    },
    "/api/v1/assets/{asset_id}/thumbnail": {
        "get": {
            "summary": "The current version's JPEG thumbnail (or `version`'s)",
            "parameters": [
                ASSET_ID,
                VERSION_PARAM,
                _query("v", {"type": "string"}, "the content tag from thumbnail_url; cacheable"),
                IF_NONE_MATCH,
            ],
            "responses": {
                "200": {
                    "description": "The thumbnail",
                    "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
                },
                "304": {"description": "Not modified"},
                **error_refs(400, 401, 403, 404),
            },
        }
    },
    "/api/v1/assets/{asset_id}/pages": {
        "get": {
            "summary": "The images of the current version's pages or slides, and their status",
            "parameters": [ASSET_ID],
            "responses": {"200": json_body(ref("PageList")), **error_refs(401, 403, 404)},
        }
    },
    "/api/v1/assets/{asset_id}/pages/{number}": {
        "get": {
            "summary": "One page image (WebP), drawn in the background; cacheable, with an ETag",
            "parameters": [
                ASSET_ID,
                {"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}},
                _query("v", {"type": "string"}, "the content tag from image_url; cacheable"),
                IF_NONE_MATCH,
            ],
            "responses": {
                "200": {
                    "description": "The page image",
                    "headers": {"ETag": REQUIRED_HEADER},
                    "content": {"image/webp": {"schema": {"type": "string", "format": "binary"}}},
                },
                "304": {"description": "Not modified"},
                **error_refs(401, 403, 404),
            },
        }
    },
    "/api/v1/assets/{asset_id}/archive": {
        "post": {
            "summary": "Archive (marketers, admins)",
            "parameters": [ASSET_ID],
            "responses": {"200": json_body(ref("Asset")), **error_refs(401, 403, 404, 413)},
        },
    },
    "/api/v1/assets/{asset_id}/download": {
        "get": {
            "summary": "The file, as an attachment; Range and conditional requests answered",
            "parameters": [ASSET_ID, VERSION_PARAM, SEARCH_PARAM, RANGE, IF_NONE_MATCH],
            "responses": {
                "200": {
                    "description": "The file, with the media type it was uploaded as",
                    "headers": {"Content-Disposition": REQUIRED_HEADER, "ETag": REQUIRED_HEADER},
                    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                },
                "206": {
                    "description": "Part of the file",
                    "headers": {"Content-Range": REQUIRED_HEADER},
                    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                },
                "304": {"description": "Not modified"},
                **error_refs(400, 401, 403, 404, 416),
            },
        }
    },
    "/api/v1/events": {
        "get": {
            "summary": "The audit log (managers, admins), newest first",
            "parameters": [
                *PERIOD,
                _query("user", {"type": "string"}, "email"),
                _query("type", {"type": "string"}),
                _query("asset", {"type": "integer"}),
                _query("page", {"type": "integer", "minimum": 1}),
                _query("per_page", {"type": "integer", "minimum": 1, "maximum": 500}),
            ],
            "responses": {"200": json_body(ref("EventPage")), **error_refs(400, 401, 403)},
        }
    },
    "/api/v1/events.csv": {
        "get": {
            "summary": "The audit log as CSV (managers, admins), oldest first",
            "parameters": [
                *PERIOD,
                _query("user", {"type": "string"}),
                _query("type", {"type": "string"}),
                _query("asset", {"type": "integer"}),
            ],
            "responses": {
                "200": {
                    "description": "CSV",
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                },
                **error_refs(400, 401, 403),
            },
        }
    },
    "/api/v1/shares": {
        "get": {
            "summary": "Links to buyers, newest activity first: the caller's own; managers and "
            "admins see everyone's (or one person's with `user`)",
            "parameters": [_query("user", {"type": "string"}, "the sender's email")],
            "responses": {"200": json_body(ref("ShareList")), **error_refs(401, 403)},
        },
        "post": {
            "summary": "Make a link to one or more assets the caller may see (a room), or to a "
            "collection (the link follows its list)",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": SHARE_CREATE}},
            },
            "responses": {
                "201": {
                    **json_body(ref("Share"), "Created"),
                    "headers": {"Location": {"schema": {"type": "string"}}},
                },
                **error_refs(401, 403, 413),
            },
        },
    },
    "/api/v1/shares/{share_id}": {
        "get": {
            "summary": "One link with its visits (its sender, managers, admins)",
            "parameters": [SHARE_ID],
            "responses": {"200": json_body(ref("Share")), **error_refs(401, 404)},
        },
        "patch": {
            "summary": "Change expiry, passcode, download, email question or title (its "
            "sender, admins)",
            "parameters": [SHARE_ID],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": SHARE_PATCH}},
            },
            "responses": {"200": json_body(ref("Share")), **error_refs(401, 403, 404, 413)},
        },
    },
    "/api/v1/shares/{share_id}/revoke": {
        "post": {
            "summary": "Stop the link now, on every worker (its sender, managers, admins)",
            "parameters": [SHARE_ID],
            "responses": {"200": json_body(ref("Share")), **error_refs(401, 404)},
        },
    },
    "/api/v1/notifications": {
        "get": {
            "summary": "The caller's notifications, newest first: share_opened, new_version, "
            "expired, archived",
            "responses": {"200": json_body(ref("Notifications")), **error_refs(401)},
        },
    },
    "/api/v1/notifications/read": {
        "post": {
            "summary": "Mark notifications read",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "ids": {"type": "array", "items": {"type": "integer"}},
                                "all": {"type": "boolean"},
                            },
                        }
                    }
                },
            },
            "responses": {"204": {"description": "Marked"}, **error_refs(401, 413)},
        },
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {"200": json_body({"type": "object"}), **error_refs()},
        },
    },
}


REPORT_FILTERS = [
    *PERIOD,
    _repeatable("product", "product names; OR within, AND across kinds"),
    _repeatable("industry", "industry names"),
    _repeatable("stage", "stage names"),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "default 50"),
    _query(
        "count",
        {"type": "string", "enum": ["sales", "everyone"]},
        "whose usage counts: everyone (the default) or sales, the users who may not upload"
        " (reps and managers), as the report pages count",
    ),
]
FLAG = {"type": "string", "enum": list(BOOL_WORDS)}
REPORTS = {
    # path: (who, schema, extra parameters, summary)
    "overview": ("managers, marketers, admins", "ReportOverview", [], "Usage per day or week"),
    "top-assets": ("managers, admins", "ReportTopAssets", [], "Assets by downloads"),
    "stale": (
        "managers, marketers, admins",
        "ReportStale",
        [_query("days", {"type": "integer", "minimum": 1, "maximum": 3650}, "default 90")],
        "Published assets nobody downloaded in `days` before `until`",
    ),
    "searches": (
        "managers, marketers, admins",
        "ReportSearches",
        [
            _query("zero_results", FLAG, "only the runs that found nothing (content gaps)"),
            _query("unopened", FLAG, "only queries with results nobody opened"),
        ],
        "Queries by how often they were run",
    ),
    "users": ("managers, admins", "ReportUsers", [], "Per user: searches, views, downloads"),
    "engagement": (
        "managers, marketers, admins",
        "ReportEngagement",
        [],
        "What buyers read of shared links: per asset, and per deck seconds per page",
    ),
}
PATHS.update(HOME_PATHS)
CSV_BODY = {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}
for _name, (_who, _schema, _extra, _summary) in REPORTS.items():
    PATHS[f"/api/v1/reports/{_name}"] = {
        "get": {
            "summary": f"{_summary} ({_who})",
            "parameters": [*REPORT_FILTERS, *_extra],
            "responses": {"200": json_body(ref(_schema)), **error_refs(400, 401, 403)},
        }
    }
    PATHS[f"/api/v1/reports/{_name}.csv"] = {
        "get": {
            "summary": f"{_summary}, as CSV ({_who})",
            "parameters": [*REPORT_FILTERS, *_extra],
            "responses": {"200": CSV_BODY, **error_refs(400, 401, 403)},
        }
    }


def _error_response(code: int, text: str) -> dict[str, Any]:
    response = json_body(ref("Error"), text)
    if code in (429, 503):
        response["headers"] = {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}}
    return response


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document, as served at /api/v1/openapi.json."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "collateral", "version": "1"},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"cookie": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "schemas": {
                "Asset": ASSET,
                "Version": VERSION,
                "Preview": PREVIEW,
                "PageList": PAGE_LIST,
                "SearchResult": SEARCH_RESULT,
                "Event": EVENT,
                "EventPage": EVENT_PAGE,
                "Taxonomy": TAXONOMY,
                "Term": TERM,
                "Error": ERROR,
                **REPORT_SCHEMAS,
                **SHARE_SCHEMAS,
                **HOME_SCHEMAS,
            },
            "responses": {
                f"E{code}": _error_response(code, text) for code, text in ERROR_TEXT.items()
            },
        },
    }


@api_bp.get("/openapi.json")
def get_openapi():
    return jsonify(openapi_document())
