"""Checking the metadata a marketer sends with an asset, field by field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from ..display_text import strip_bidi_controls
from ..errors import InvalidInput
from ..extensions import db
from ..models import KIND_PLURALS, LIST_TERM_KINDS, STATUSES, Asset, Term, User
from ..permissions import may_own_assets
from .taxonomy import resolve_terms

# The fields named after taxonomy kinds: a plural for each kind an asset has several of.
TERM_FIELDS = tuple(KIND_PLURALS[kind] for kind in LIST_TERM_KINDS)
FIELDS = (
    "title",
    "description",
    *TERM_FIELDS,
    "content_type",
    "tags",
    "status",
    "expires_at",
    "owner",
)
LIST_FIELDS = (*TERM_FIELDS, "tags")
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
    owner: User | None = None


def _text(value: Any, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: must be text.", field=name)
    if "\x00" in value:
        raise InvalidInput(f"{name}: contains a NUL character; remove it.", field=name)
    value = strip_bidi_controls(value).strip()
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
    names = (strip_bidi_controls(v).strip() for v in value)
    return [name for name in names if name]


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


def _owner(value: Any, current: Asset | None) -> User:
    """The marketer or admin an asset is given to, by email; re-sending the owner it has
    (even one since deactivated) changes nothing."""
    email = _text(value, "owner", 254)
    if current is not None and current.owner.email.lower() == email.lower():
        return current.owner
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None or not user.active or not may_own_assets(user):
        raise InvalidInput(
            f"owner: {email!r} is not an active marketer or admin; give the email of one.",
            field="owner",
        )
    return user


def parse_asset_fields(
    raw: Mapping[str, Any], *, partial: bool, current: Asset | None = None
) -> AssetFields:
    """Validate metadata; `partial` (PATCH) checks only the fields that were sent.

    `current` is the asset being edited: it may keep the retired terms it has.
    """
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
    # Retired terms are refused, except those the edited asset already has.
    has = [t.id for t in current.terms] + [current.content_type_id] if current else []
    to_asset = {"for_asset": True, "keep": has}
    for kind in LIST_TERM_KINDS:
        plural = KIND_PLURALS[kind]
        names = _names(raw.get(plural), plural)
        fields.terms[kind] = resolve_terms(kind, names, plural, **to_asset)
    content_type = _names(raw.get("content_type"), "content_type")
    if len(content_type) > 1:
        raise InvalidInput("content_type: choose one.", field="content_type")
    if content_type:
        fields.content_type = resolve_terms(
            "content_type", content_type, "content_type", **to_asset
        )[0]
    fields.tags = _tags(raw.get("tags"))
    status = raw.get("status", "published")
    if status not in STATUSES:
        raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}.", field="status")
    fields.status = status
    fields.expires_at = _date(raw.get("expires_at"))
    if "owner" in raw:
        fields.owner = _owner(raw["owner"], current)
    return fields
