"""The schemas of the OpenAPI document: what the API's bodies look like."""

from __future__ import annotations

from typing import Any

from ..models import KIND_PLURALS, STATUSES, TERM_KINDS
from ..services.asset_fields import TERM_FIELDS


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


# Any request may get these: 400 for a NUL byte or a malformed parameter, 401 for a bad token
# (even where no sign-in is needed), 503 when the database stays busy past its timeout.
ANY_REQUEST_ERRORS = (400, 401, 503)


def error_refs(*codes: int) -> dict[str, Any]:
    """The operation's own error responses, and those any request may get."""
    every = sorted({*codes, *ANY_REQUEST_ERRORS})
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in every}


NULLABLE_STR = {"type": ["string", "null"]}
STR_LIST = {"type": "array", "items": {"type": "string"}}
ERROR_TEXT = {
    400: "Invalid input; the message names the field.",
    401: "Not signed in.",
    403: "The role may not do this.",
    404: "Not found (or not visible to this user).",
    409: "Conflict.",
    413: "Too large: a file past the upload limit, or any other body past 1 MB; the message "
    "gives the limit.",
    415: "File type not accepted; the message lists the accepted types.",
    416: "The range asked for is past the end of the file.",
    422: "File could not be read.",
    429: "Too many requests.",
    503: "The database is busy with other changes; try again after Retry-After seconds.",
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
        *TERM_FIELDS,
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
        "thumbnail_url",
        "preview",
    ],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        **{name: STR_LIST for name in TERM_FIELDS},
        "content_type": NULLABLE_STR,
        "tags": STR_LIST,
        "status": {"type": "string", "enum": list(STATUSES)},
        "owner": {"type": "string"},
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "expires_at": NULLABLE_STR,
        "current_version": {"oneOf": [ref("Version"), {"type": "null"}]},
        "versions": {"type": "array", "items": ref("Version")},
        "download_url": {"type": "string"},
        "thumbnail_url": NULLABLE_STR,
        "preview": ref("Preview"),
    },
}
PREVIEW = {
    "type": "object",
    "description": "Images of every page or slide of the current version, made in the background",
    "required": ["status", "pages", "message"],
    "properties": {
        "status": {"type": "string", "enum": ["ready", "pending", "failed", "none"]},
        "pages": {"type": "integer", "minimum": 0},
        "message": NULLABLE_STR,
    },
}
PAGE_LIST = {
    "type": "object",
    "required": ["preview", "pages"],
    "properties": {
        "preview": ref("Preview"),
        "pages": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["number", "label", "image_url", "width", "height"],
                "properties": {
                    "number": {"type": "integer", "minimum": 1},
                    "label": {"type": "string"},
                    "image_url": {"type": "string"},
                    "width": {"type": "integer"},
                    "height": {"type": "integer"},
                },
            },
        },
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
                    ref("Asset"),
                    {
                        "type": "object",
                        "required": ["score", "highlights"],
                        "properties": {
                            "score": {"type": ["number", "null"]},
                            "highlights": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["where", "page", "text"],
                                    "properties": {
                                        "where": {"type": "string"},
                                        "page": {
                                            "type": "integer",
                                            "description": "the page or slide number",
                                        },
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
            "required": list(TERM_KINDS),
            "properties": {kind: FACET_COUNTS for kind in TERM_KINDS},
        },
        "suggestion": NULLABLE_STR,
        "search_id": {
            "type": ["integer", "null"],
            "description": "the audited search; pass it as `search` when opening a result",
        },
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
        "events": {"type": "array", "items": ref("Event")},
    },
}
TAXONOMY = {
    "type": "object",
    "required": list(KIND_PLURALS.values()),
    "properties": {plural: STR_LIST for plural in KIND_PLURALS.values()},
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
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "asset": {
                    "type": "object",
                    "description": "on a 409 duplicate: the asset that already has the file",
                    "properties": {
                        "id": {"type": "integer"},
                        "title": {"type": "string"},
                        "url": {"type": "string"},
                    },
                },
            },
        }
    },
}

ASSET_FIELDS = {
    "title": {"type": "string", "maxLength": 300},
    "description": {"type": "string"},
    **{name: STR_LIST for name in TERM_FIELDS},
    "content_type": {"type": ["string", "null"]},
    "tags": STR_LIST,
    "status": {"type": "string", "enum": list(STATUSES)},
    "expires_at": {"type": ["string", "null"], "description": "ISO date or empty"},
    "owner": {"type": "string", "description": "email of a marketer or admin; admins only"},
}

# Names every library has (init-db seeds the stages and content types); products and
# industries are each library's own, so the example leaves them empty.
ASSET_EXAMPLE = {
    "title": "Pricing deck",
    "description": "Tiers and discounts for the sales team",
    "products": [],
    "industries": [],
    "stages": ["Proposal"],
    "content_type": "Pricing",
    "tags": ["pricing"],
    "status": "published",
    "expires_at": "2030-01-31",
}

INT = {"type": "integer"}
REPORT_ASSET = {
    "type": "object",
    "required": ["id", "title"],
    "properties": {"id": INT, "title": {"type": "string"}},
}
REPORT_FIGURES = {
    "type": "object",
    "required": ["downloads", "views", "searches", "active_reps"],
    "properties": {k: INT for k in ("downloads", "views", "searches", "active_reps")},
}


def _objects(properties: dict[str, Any]) -> dict[str, Any]:
    """An array of objects that all have these properties."""
    item = {"type": "object", "required": list(properties), "properties": properties}
    return {"type": "array", "items": item}


REPORT_SCHEMAS: dict[str, Any] = {
    "ReportFigures": REPORT_FIGURES,
    "ReportOverview": {
        "type": "object",
        "required": ["since", "until", "bucket", "points", "totals", "previous"],
        "properties": {
            "since": {"type": "string"},
            "until": {"type": "string", "description": "exclusive"},
            "bucket": {"type": "string", "enum": ["day", "week"]},
            "points": {
                "type": "array",
                "items": {
                    "allOf": [
                        ref("ReportFigures"),
                        {
                            "type": "object",
                            "required": ["start"],
                            "properties": {"start": {"type": "string", "format": "date"}},
                        },
                    ]
                },
            },
            "totals": ref("ReportFigures"),
            "previous": {**ref("ReportFigures"), "description": "the period before, as long"},
        },
    },
    "ReportTopAssets": _objects(
        {"asset": REPORT_ASSET, "downloads": INT, "views": INT, "unique_users": INT}
    ),
    "ReportStale": _objects(
        {"asset": REPORT_ASSET, "last_download_at": NULLABLE_STR, "owner": {"type": "string"}}
    ),
    "ReportSearches": _objects(
        {
            "query": {"type": "string"},
            "count": INT,
            "last_at": {"type": "string"},
            "avg_results": {"type": "number"},
            "zero_results": INT,
            "opened": INT,
        }
    ),
    "ReportUsers": _objects(
        {
            "user": {"type": "string"},
            "role": {"type": "string"},
            "searches": INT,
            "views": INT,
            "downloads": INT,
            "last_active": NULLABLE_STR,
        }
    ),
}

NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
SHARE_TOTALS = {
    "type": "object",
    "required": ["visits", "visitors", "seconds", "downloads", "last_visit_at"],
    "properties": {
        "visits": {"type": "integer"},
        "visitors": {"type": "integer"},
        "seconds": {"type": "number"},
        "downloads": {"type": "integer"},
        "last_visit_at": NULLABLE_TIME,
    },
}
SHARE_VISIT = {
    "type": "object",
    "required": ["id", "started_at", "email", "seconds", "downloads", "pages"],
    "properties": {
        "id": {"type": "integer"},
        "started_at": {"type": "string", "format": "date-time"},
        "last_seen_at": {"type": "string", "format": "date-time"},
        "email": NULLABLE_STR,
        "seconds": {"type": "number"},
        "downloads": {"type": "integer"},
        "pages": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["asset", "page", "seconds"],
                "properties": {
                    "asset": {"type": "integer"},
                    "page": {"type": "integer"},
                    "seconds": {"type": "number"},
                },
            },
        },
    },
}
SHARE = {
    "type": "object",
    "required": [
        "id",
        "url",
        "title",
        "assets",
        "collection",
        "recipient",
        "expires_at",
        "allow_download",
        "require_email",
        "has_passcode",
        "created_by",
        "created_at",
        "revoked_at",
        "totals",
    ],
    "properties": {
        "id": {"type": "integer"},
        "url": {"type": "string", "description": "the buyer's link, /s/<token>"},
        "title": {"type": "string"},
        "assets": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "title"],
                "properties": {"id": {"type": "integer"}, "title": {"type": "string"}},
            },
        },
        "collection": {"type": ["integer", "null"]},
        "recipient": NULLABLE_STR,
        "expires_at": NULLABLE_TIME,
        "allow_download": {"type": "boolean"},
        "require_email": {"type": "boolean"},
        "has_passcode": {"type": "boolean"},
        "created_by": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "revoked_at": NULLABLE_TIME,
        "state": {"type": "string", "enum": ["active", "revoked", "expired"]},
        "totals": SHARE_TOTALS,
        "visits": {"type": "array", "items": SHARE_VISIT},
    },
}
SHARE_LIST = {
    "type": "object",
    "required": ["results"],
    "properties": {"results": {"type": "array", "items": ref("Share")}},
}
SHARE_INPUT_FIELDS = {
    "title": {"type": "string", "maxLength": 300},
    "expires_at": {
        "type": ["string", "null"],
        "description": "ISO date (the link works through that day, UTC) or date-time; empty: "
        "30 days on creation, no end date on change",
    },
    "passcode": {"type": ["string", "null"], "description": "empty: none", "maxLength": 200},
    "require_email": {"type": "boolean"},
    "allow_download": {"type": "boolean"},
}
SHARE_CREATE = {
    "type": "object",
    "description": "Send `assets` or `collection`: a link to a collection follows its list",
    "oneOf": [{"required": ["assets"]}, {"required": ["collection"]}],
    "properties": {
        "assets": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 50},
        "collection": {
            "type": ["integer", "null"],
            "description": "a collection the caller may see; the link follows its current list",
        },
        "recipient": {"type": "string", "maxLength": 254},
        **SHARE_INPUT_FIELDS,
    },
    "additionalProperties": False,
}
SHARE_PATCH = {"type": "object", "properties": SHARE_INPUT_FIELDS, "additionalProperties": False}
NOTIFICATIONS = {
    "type": "object",
    "required": ["unread", "results"],
    "properties": {
        "unread": {"type": "integer"},
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "type", "at", "read", "message", "asset", "share"],
                "properties": {
                    "id": {"type": "integer"},
                    "type": {"type": "string"},
                    "at": {"type": "string", "format": "date-time"},
                    "read": {"type": "boolean"},
                    "message": {"type": "string"},
                    "asset": {"type": ["integer", "null"]},
                    "share": {"type": ["integer", "null"]},
                },
            },
        },
    },
}
_ASSET_REF = {
    "type": "object",
    "required": ["id", "title"],
    "properties": {"id": {"type": "integer"}, "title": {"type": "string"}},
}
ENGAGEMENT = {
    "type": "object",
    "required": ["results", "decks"],
    "properties": {
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "asset",
                    "shares",
                    "visits",
                    "readers",
                    "seconds",
                    "average_seconds",
                    "downloads",
                ],
                "properties": {
                    "asset": _ASSET_REF,
                    "shares": {"type": "integer"},
                    "visits": {"type": "integer"},
                    "readers": {"type": "integer"},
                    "seconds": {"type": "number"},
                    "average_seconds": {"type": "number"},
                    "downloads": {"type": "integer"},
                },
            },
        },
        "decks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["asset", "readers", "drop_page", "pages"],
                "properties": {
                    "asset": _ASSET_REF,
                    "readers": {"type": "integer"},
                    "drop_page": {"type": ["integer", "null"]},
                    "pages": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["page", "seconds", "average_seconds", "reached"],
                            "properties": {
                                "page": {"type": "integer"},
                                "seconds": {"type": "number"},
                                "average_seconds": {"type": "number"},
                                "reached": {"type": "integer"},
                            },
                        },
                    },
                },
            },
        },
    },
}
SHARE_SCHEMAS = {
    "Share": SHARE,
    "ShareList": SHARE_LIST,
    "Notifications": NOTIFICATIONS,
    "ReportEngagement": ENGAGEMENT,
}
