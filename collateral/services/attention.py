"""What needs a marketer's care: assets about to expire, expired, drafts, missing metadata."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select

from ..extensions import db
from ..models import (
    FULL_ASSET,
    KIND_PLURALS,
    KIND_SINGULARS,
    LIST_TERM_KINDS,
    Asset,
    Term,
    User,
    asset_term,
)

# The asset field for each kind an asset has several terms of ("products" -> "product").
KIND_OF_FIELD = {KIND_PLURALS[kind]: kind for kind in LIST_TERM_KINDS}
# Asset fields that may be required, with how a person names them.
REQUIRABLE_FIELDS = {
    "description": "description",
    **{name: KIND_SINGULARS[kind] for name, kind in KIND_OF_FIELD.items()},
    "content_type": KIND_SINGULARS["content_type"],
    "tags": "tags",
    "expires_at": "expiry date",
}
PAGE_SIZE = 50


def parse_required_fields(raw: str) -> tuple[str, ...]:
    """The REQUIRED_FIELDS setting ("products,stages") as field names; unknown names refused."""
    names = tuple(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))
    unknown = [n for n in names if n not in REQUIRABLE_FIELDS]
    if unknown:
        raise ValueError(
            f"COLLATERAL_REQUIRED_FIELDS: {unknown[0]!r} is not an asset field that can be "
            f"required; choose from {', '.join(REQUIRABLE_FIELDS)}."
        )
    return names


def required_fields() -> tuple[str, ...]:
    return parse_required_fields(str(current_app.config["REQUIRED_FIELDS"]))


def _has_term(kind: str) -> ColumnElement[bool]:
    return exists(
        select(asset_term.c.asset_id)
        .join(Term, Term.id == asset_term.c.term_id)
        .where(asset_term.c.asset_id == Asset.id, Term.kind == kind)
    )


def _lacks(field: str) -> ColumnElement[bool]:
    """SQL that is true for an asset without this field."""
    if field in KIND_OF_FIELD:
        return ~_has_term(KIND_OF_FIELD[field])
    if field == "description":
        return func.coalesce(Asset.description, "") == ""
    if field == "content_type":
        return Asset.content_type_id.is_(None)
    if field == "expires_at":
        return Asset.expires_at.is_(None)
    return func.coalesce(func.json_array_length(Asset.tags), 0) == 0


def missing_fields(asset: Asset, required: tuple[str, ...] | None = None) -> list[str]:
    """The required fields this asset lacks, as a person names them."""
    required = required_fields() if required is None else required
    present = {
        "description": bool(asset.description),
        **{name: bool(asset.terms_of(kind)) for name, kind in KIND_OF_FIELD.items()},
        "content_type": asset.content_type_id is not None,
        "tags": bool(asset.tags),
        "expires_at": asset.expires_at is not None,
    }
    return [REQUIRABLE_FIELDS[f] for f in required if not present[f]]


def _incomplete_query(owner: User | None = None) -> Select:
    required = required_fields()
    condition = or_(*(_lacks(f) for f in required)) if required else false()
    stmt = select(Asset).where(Asset.status != "archived", condition)
    if owner is not None:
        stmt = stmt.where(Asset.owner_id == owner.id)
    return stmt


@dataclass
class IncompletePage:
    items: list[tuple[Asset, list[str]]]
    total: int
    page: int
    pages: int
    required: list[str]


def incomplete_assets(page: int = 1) -> IncompletePage:
    """Live and draft assets missing required metadata, oldest change first, a page at a time."""
    stmt = _incomplete_query()
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.options(*FULL_ASSET)
        .order_by(Asset.updated_at, Asset.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    required = required_fields()
    return IncompletePage(
        items=[(asset, missing_fields(asset, required)) for asset in rows],
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        required=[REQUIRABLE_FIELDS[f] for f in required],
    )


@dataclass
class OwnerHome:
    """An owner's assets that need care, each list ordered by urgency."""

    expiring: list[Asset]
    expired: list[Asset]
    drafts: list[Asset]
    incomplete: list[tuple[Asset, list[str]]]
    warning_days: int

    @property
    def count(self) -> int:
        return len(self.expiring) + len(self.expired) + len(self.drafts) + len(self.incomplete)


def _owned(owner: User, *conditions: ColumnElement[bool]) -> list[Asset]:
    stmt = select(Asset).where(Asset.owner_id == owner.id, Asset.status != "archived", *conditions)
    return list(db.session.scalars(stmt.options(*FULL_ASSET).order_by(Asset.expires_at, Asset.id)))


def owner_home(owner: User, today: date) -> OwnerHome:
    """What the owner should look at: expiring soon, expired, drafts, missing metadata."""
    days = int(current_app.config["EXPIRY_WARNING_DAYS"])
    horizon = today + timedelta(days=days)
    required = required_fields()
    incomplete = db.session.scalars(
        _incomplete_query(owner).options(*FULL_ASSET).order_by(Asset.id)
    ).all()
    return OwnerHome(
        expiring=_owned(owner, and_(Asset.expires_at >= today, Asset.expires_at <= horizon)),
        expired=_owned(owner, Asset.expires_at < today),
        drafts=_owned(owner, Asset.status == "draft"),
        incomplete=[(a, missing_fields(a, required)) for a in incomplete],
        warning_days=days,
    )


def attention_counts(owner: User, today: date) -> dict[str, int]:
    """How many of the owner's assets expire soon or have expired (for the search page)."""
    horizon = today + timedelta(days=int(current_app.config["EXPIRY_WARNING_DAYS"]))
    live = and_(Asset.owner_id == owner.id, Asset.status != "archived")
    expiring = and_(live, Asset.expires_at >= today, Asset.expires_at <= horizon)
    count = func.count(Asset.id)
    return {
        "expiring": db.session.scalar(select(count).where(expiring)) or 0,
        "expired": db.session.scalar(select(count).where(live, Asset.expires_at < today)) or 0,
    }
