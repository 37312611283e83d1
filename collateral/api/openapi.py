"""The OpenAPI 3 description of /api/v1; tests check it against the routes and the responses."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from . import api_bp


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in codes}


NULLABLE_STR = {"type": ["string", "null"]}
STR_LIST = {"type": "array", "items": {"type": "string"}}
_ERROR_TEXT = {
    400: "Invalid input; the message names the field.",
    401: "Not signed in.",
    403: "The role may not do this.",
    404: "Not found (or not visible to this user).",
    409: "Conflict.",
    413: "File too large; the message gives the limit.",
    415: "File type not accepted; the message lists the accepted types.",
    422: "File could not be read.",
    429: "Too many requests.",
}

VERSION = {
    "type": "object",
    "required": [
        "number",
        "filename",
        "size",
        "sha256",
        "mime_type",
        "pages",
        "uploaded_at",
        "uploaded_by",
    ],
    "properties": {
        "number": {"type": "integer"},
        "filename": {"type": "string"},
        "size": {"type": "integer"},
        "sha256": {"type": "string"},
        "mime_type": {"type": "string"},
        "pages": {"type": ["integer", "null"]},
        "uploaded_at": {"type": "string"},
        "uploaded_by": {"type": "string"},
        "note": {"type": "string"},
        "searchable_text": {"type": "boolean"},
        "text_error": NULLABLE_STR,
    },
}
ASSET = {
    "type": "object",
    "required": [
        "id",
        "title",
        "description",
        "products",
        "industries",
        "stages",
        "content_type",
        "tags",
        "status",
        "owner",
        "created_at",
        "updated_at",
        "expires_at",
        "current_version",
        "versions",
        "download_url",
    ],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "products": STR_LIST,
        "industries": STR_LIST,
        "stages": STR_LIST,
        "content_type": NULLABLE_STR,
        "tags": STR_LIST,
        "status": {"type": "string", "enum": ["draft", "published", "archived"]},
        "owner": {"type": "string"},
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "expires_at": NULLABLE_STR,
        "current_version": {"oneOf": [_ref("Version"), {"type": "null"}]},
        "versions": {"type": "array", "items": _ref("Version")},
        "download_url": {"type": "string"},
    },
}
FACET_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
SEARCH_RESULT = {
    "type": "object",
    "required": ["total", "page", "per_page", "results", "facets", "suggestion"],
    "properties": {
        "total": {"type": "integer"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "results": {
            "type": "array",
            "items": {
                "allOf": [
                    _ref("Asset"),
                    {
                        "type": "object",
                        "required": ["score", "highlights"],
                        "properties": {
                            "score": {"type": ["number", "null"]},
                            "highlights": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["where", "text"],
                                    "properties": {
                                        "where": {"type": "string"},
                                        "text": {"type": "string"},
                                    },
                                },
                            },
                        },
                    },
                ]
            },
        },
        "facets": {
            "type": "object",
            "required": ["product", "industry", "stage", "content_type"],
            "properties": {
                k: FACET_COUNTS for k in ("product", "industry", "stage", "content_type")
            },
        },
        "suggestion": NULLABLE_STR,
    },
}
EVENT = {
    "type": "object",
    "required": ["id", "at", "type", "user", "asset", "version", "detail", "ip"],
    "properties": {
        "id": {"type": "integer"},
        "at": {"type": "string"},
        "type": {"type": "string"},
        "user": NULLABLE_STR,
        "asset": {"type": ["integer", "null"]},
        "version": {"type": ["integer", "null"]},
        "detail": {"type": "object"},
        "ip": NULLABLE_STR,
    },
}
EVENT_PAGE = {
    "type": "object",
    "required": ["total", "page", "per_page", "events"],
    "properties": {
        "total": {"type": "integer"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "events": {"type": "array", "items": _ref("Event")},
    },
}
TAXONOMY = {
    "type": "object",
    "required": ["products", "industries", "stages", "content_types"],
    "properties": {k: STR_LIST for k in ("products", "industries", "stages", "content_types")},
}
TERM = {
    "type": "object",
    "required": ["kind", "name", "position"],
    "properties": {
        "kind": {"type": "string"},
        "name": {"type": "string"},
        "position": {"type": "integer"},
    },
}
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}

ASSET_FIELDS = {
    "title": {"type": "string", "maxLength": 300},
    "description": {"type": "string"},
    "products": STR_LIST,
    "industries": STR_LIST,
    "stages": STR_LIST,
    "content_type": {"type": ["string", "null"]},
    "tags": STR_LIST,
    "status": {"type": "string", "enum": ["draft", "published", "archived"]},
    "expires_at": {"type": ["string", "null"], "description": "ISO date or empty"},
}


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
PERIOD = [
    _query("since", {"type": "string"}, "ISO 8601 date or time (UTC)"),
    _query("until", {"type": "string"}, "ISO 8601 date or time (UTC), exclusive"),
]

PATHS: dict[str, Any] = {
    "/api/v1/taxonomy": {
        "get": {
            "summary": "The taxonomy in display order",
            "responses": {"200": _json(_ref("Taxonomy")), **_errors(401)},
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
                        "enum": ["products", "industries", "stages", "content_types"],
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
                "201": _json(_ref("Term"), "Created"),
                **_errors(400, 401, 403, 404, 409),
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
                        "items": {"type": "string", "enum": ["draft", "published", "archived"]},
                    },
                },
                _query("sort", {"type": "string", "enum": ["relevance", "newest", "popular"]}),
                _query("page", {"type": "integer", "minimum": 1, "maximum": 10000}),
                _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100}),
            ],
            "responses": {"200": _json(_ref("SearchResult")), **_errors(400, 401, 403)},
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
                            },
                        },
                        "encoding": {
                            k: {"style": "form", "explode": True}
                            for k in ("products", "industries", "stages", "tags")
                        },
                    }
                },
            },
            "responses": {
                "201": {
                    **_json(_ref("Asset"), "Created"),
                    "headers": {"Location": {"schema": {"type": "string"}}},
                },
                **_errors(400, 401, 403, 409, 413, 415, 422),
            },
        },
    },
    "/api/v1/assets/{asset_id}": {
        "get": {
            "summary": "One asset",
            "parameters": [ASSET_ID],
            "responses": {"200": _json(_ref("Asset")), **_errors(401, 404)},
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
                        }
                    }
                },
            },
            "responses": {"200": _json(_ref("Asset")), **_errors(400, 401, 403, 404)},
        },
    },
    "/api/v1/assets/{asset_id}/archive": {
        "post": {
            "summary": "Archive (marketers, admins)",
            "parameters": [ASSET_ID],
            "responses": {"200": _json(_ref("Asset")), **_errors(401, 403, 404)},
        },
    },
    "/api/v1/assets/{asset_id}/download": {
        "get": {
            "summary": "The file, as an attachment; Range and conditional requests answered",
            "parameters": [
                ASSET_ID,
                _query(
                    "version",
                    {"type": "integer", "minimum": 1},
                    "older versions: marketers, managers, admins",
                ),
            ],
            "responses": {
                "200": {
                    "description": "The file",
                    "content": {
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
                "206": {"description": "Part of the file"},
                "304": {"description": "Not modified"},
                **_errors(400, 401, 403, 404),
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
            "responses": {"200": _json(_ref("EventPage")), **_errors(400, 401, 403)},
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
                **_errors(400, 401, 403),
            },
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {"200": _json({"type": "object"})},
        },
    },
}


def openapi_document() -> dict[str, Any]:
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
                "SearchResult": SEARCH_RESULT,
                "Event": EVENT,
                "EventPage": EVENT_PAGE,
                "Taxonomy": TAXONOMY,
                "Term": TERM,
                "Error": ERROR,
            },
            "responses": {
                f"E{code}": _json(_ref("Error"), text) for code, text in _ERROR_TEXT.items()
            },
        },
    }


@api_bp.get("/openapi.json")
def get_openapi():
    return jsonify(openapi_document())
