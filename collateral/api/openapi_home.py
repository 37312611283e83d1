"""The OpenAPI paths and schemas of collections, favourites, recommendations and suggestions."""

from __future__ import annotations

from typing import Any

from ..services.collections import MAX_DESCRIPTION, MAX_ITEMS, MAX_TITLE
from ..services.recommendations import MAX_LIMIT
from ..services.suggest import MAX_PREFIX, MAX_SUGGESTIONS
from .openapi_schemas import STR_LIST, error_refs, json_body, ref

COLLECTION_ID = {
    "name": "collection_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}
ASSET_ID = {"name": "asset_id", "in": "path", "required": True, "schema": {"type": "integer"}}
NO_CONTENT = {"description": "Done"}
ASSET_IDS = {"type": "array", "items": {"type": "integer"}, "maxItems": MAX_ITEMS}
COLLECTION_FIELDS = {
    "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE},
    "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
    "assets": {**ASSET_IDS, "description": "asset ids, in order"},
    "featured": {"type": "boolean", "description": "shown to every rep; marketers and admins"},
}


def _json_request(required: list[str]) -> dict[str, Any]:
    schema = {
        "type": "object",
        "required": required,
        "properties": COLLECTION_FIELDS,
        "additionalProperties": False,
    }
    example = {"title": "Acme: first call", "description": "", "assets": []}
    return {
        "required": True,
        "content": {"application/json": {"schema": schema, "example": example}},
    }


def _repeatable(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": STR_LIST,
        "style": "form",
        "explode": True,
        "description": description,
    }


HOME_PATHS: dict[str, Any] = {
    "/api/v1/collections": {
        "post": {
            "summary": "Make a collection (call kit); `featured` needs marketer or admin",
            "requestBody": _json_request(["title"]),
            "responses": {
                "201": {
                    **json_body(ref("Collection"), "Created"),
                    "headers": {"Location": {"schema": {"type": "string"}}},
                },
                **error_refs(400, 401, 403, 413),
            },
        },
        "get": {
            "summary": "The caller's own collections, then every featured one",
            "responses": {
                "200": json_body(
                    {
                        "type": "object",
                        "required": ["results"],
                        "properties": {"results": {"type": "array", "items": ref("Collection")}},
                    }
                ),
                **error_refs(401),
            },
        },
    },
    "/api/v1/collections/{collection_id}": {
        "get": {
            "summary": "One collection, with only the assets the caller may see",
            "parameters": [COLLECTION_ID],
            "responses": {"200": json_body(ref("Collection")), **error_refs(401, 404)},
        },
        "patch": {
            "summary": "Change a collection (its owner; marketers and admins for a featured one)",
            "parameters": [COLLECTION_ID],
            "requestBody": _json_request([]),
            "responses": {
                "200": json_body(ref("Collection")),
                **error_refs(400, 401, 403, 404, 413),
            },
        },
        "delete": {
            "summary": "Delete a collection (as for changing it)",
            "parameters": [COLLECTION_ID],
            "responses": {"204": NO_CONTENT, **error_refs(401, 403, 404)},
        },
    },
    "/api/v1/collections/{collection_id}/download": {
        "get": {
            "summary": "One zip of the current files the caller may see, streamed",
            "parameters": [COLLECTION_ID],
            "responses": {
                "200": {
                    "description": "The zip",
                    "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
                    "content": {
                        "application/zip": {"schema": {"type": "string", "format": "binary"}}
                    },
                },
                **error_refs(401, 404),
            },
        }
    },
    "/api/v1/assets/{asset_id}/favourite": {
        "put": {
            "summary": "Star an asset",
            "parameters": [ASSET_ID],
            "responses": {"204": NO_CONTENT, **error_refs(401, 404)},
        },
        "delete": {
            "summary": "Unstar an asset",
            "parameters": [ASSET_ID],
            "responses": {"204": NO_CONTENT, **error_refs(401, 404)},
        },
    },
    "/api/v1/favourites": {
        "get": {
            "summary": "The caller's starred assets, most recent first",
            "responses": {
                "200": json_body(
                    {
                        "type": "object",
                        "required": ["results"],
                        "properties": {"results": {"type": "array", "items": ref("Asset")}},
                    }
                ),
                **error_refs(401),
            },
        }
    },
    "/api/v1/recommendations": {
        "get": {
            "summary": "Published assets that fit a deal, best first, with their reasons",
            "parameters": [
                _repeatable("product", "product names"),
                _repeatable("industry", "industry names"),
                _repeatable("stage", "stage names"),
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    "description": "default 10",
                },
            ],
            "responses": {"200": json_body(ref("Recommendations")), **error_refs(400, 401)},
        }
    },
    "/api/v1/suggest": {
        "get": {
            "summary": "Completions for the search box, from what the caller may see",
            "parameters": [
                {
                    "name": "q",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "maxLength": MAX_PREFIX},
                    "description": "what was typed so far; fewer than 2 letters give nothing",
                }
            ],
            "responses": {"200": json_body(ref("Suggestions")), **error_refs(400, 401)},
        }
    },
}

HOME_SCHEMAS: dict[str, Any] = {
    "Collection": {
        "type": "object",
        "required": [
            "id",
            "title",
            "description",
            "owner",
            "featured",
            "created_at",
            "updated_at",
            "assets",
            "left_out",
            "editable",
            "download_url",
        ],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "owner": {"type": "string"},
            "featured": {"type": "boolean"},
            "created_at": {"type": "string"},
            "updated_at": {"type": "string"},
            "assets": {"type": "array", "items": ref("Asset")},
            "left_out": {
                "type": "integer",
                "description": "assets in the collection the caller may not see",
            },
            "editable": {"type": "boolean"},
            "download_url": {"type": "string"},
        },
    },
    "Recommendations": {
        "type": "object",
        "required": ["results"],
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "allOf": [
                        ref("Asset"),
                        {
                            "type": "object",
                            "required": ["reasons"],
                            "properties": {"reasons": STR_LIST},
                        },
                    ]
                },
            }
        },
    },
    "Suggestions": {
        "type": "object",
        "required": ["suggestions"],
        "properties": {
            "suggestions": {
                "type": "array",
                "maxItems": MAX_SUGGESTIONS,
                "items": {
                    "type": "object",
                    "required": ["text", "kind", "asset"],
                    "properties": {
                        "text": {"type": "string"},
                        "kind": {"type": "string", "enum": ["title", "term", "tag", "word"]},
                        "asset": {"type": ["integer", "null"]},
                    },
                },
            }
        },
    },
}
