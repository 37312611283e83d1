"""Checking the metadata a marketer sends with an asset, field by field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..errors import InvalidInput
from ..models import STATUSES, Term
from .taxonomy import resolve_terms

FIELDS = (
    "title",
    "description",
    "products",
    "industries",
    "stages",
    "content_type",
    "tags",
    "status",
    "expires_at",
)
LIST_FIELDS = ("products", "industries", "stages", "tags")
MAX_TITLE = 300
MAX_DESCRIPTION = 10_000
MAX_TAGS = 50
MAX_TAG_LENGTH = 60


@dataclass
class AssetFields:
    """Validated values; only the keys in `given` were sent."""

    given: set[str] = field(default_factory=set)
    title: str = ""
    description: str = ""
    terms: dict[str, list[Term]] = field(default_factory=dict)  # product/industry/stage
    content_type: Term | None = None
    tags: list[str] = field(default_factory=list)
    status: str = "published"
    expires_at: date | None = None


def _text(value: Any, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: must be text.", field=name)
    if "\x00" in value:
        raise InvalidInput(f"{name}: contains a NUL character; remove it.", field=name)
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(f"{name}: at most {limit} characters.", field=name)
    return value


def _names(value: Any, name: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, str) and "\x00" not in v for v in value
    ):
        raise InvalidInput(f"{name}: must be a list of names.", field=name)
    return [v.strip() for v in value if v.strip()]


def _tags(value: Any) -> list[str]:
    tags: list[str] = []
    for item in _names(value, "tags"):
        for word in item.split(","):
            word = " ".join(word.split())
            if not word:
                continue
            if len(word) > MAX_TAG_LENGTH:
                raise InvalidInput(f"tags: {word[:20]!r}… is longer than {MAX_TAG_LENGTH}.")
            if word.lower() not in (t.lower() for t in tags):
                tags.append(word)
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"tags: at most {MAX_TAGS} tags.", field="tags")
    return tags


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            return (
                date.fromisoformat(text) if len(text) <= 10 else datetime.fromisoformat(text).date()
            )
        except ValueError:
            pass
    raise InvalidInput(
        f"expires_at: {value!r} is not a date; use YYYY-MM-DD or leave it empty.",
        field="expires_at",
    )


def parse_asset_fields(raw: Mapping[str, Any], *, partial: bool) -> AssetFields:
    """Validate metadata; `partial` (PATCH) checks only the fields that were sent."""
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise InvalidInput(
            f"{unknown[0]}: not a field of an asset. Fields: {', '.join(FIELDS)}.", field=unknown[0]
        )
    fields = AssetFields(given=set(raw))
    if "title" in raw or not partial:
        fields.title = _text(raw.get("title"), "title", MAX_TITLE)
        if not fields.title:
            raise InvalidInput("title: give the asset a title.", field="title")
    fields.description = _text(raw.get("description"), "description", MAX_DESCRIPTION)
    for plural, kind in (("products", "product"), ("industries", "industry"), ("stages", "stage")):
        fields.terms[kind] = resolve_terms(kind, _names(raw.get(plural), plural), plural)
    content_type = _names(raw.get("content_type"), "content_type")
    if len(content_type) > 1:
        raise InvalidInput("content_type: choose one.", field="content_type")
    if content_type:
        fields.content_type = resolve_terms("content_type", content_type, "content_type")[0]
    fields.tags = _tags(raw.get("tags"))
    status = raw.get("status", "published")
    if status not in STATUSES:
        raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}.", field="status")
    fields.status = status
    fields.expires_at = _date(raw.get("expires_at"))
    return fields
