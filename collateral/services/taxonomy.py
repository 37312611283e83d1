"""The taxonomy: products, industries, stages and content types, in display order."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..models import TERM_KINDS, Term
from ..taxonomy_defaults import DEFAULT_CONTENT_TYPES, DEFAULT_STAGES
from .audit import current_actor, record_event

# The API names each kind in the plural.
PLURALS = {
    "product": "products",
    "industry": "industries",
    "stage": "stages",
    "content_type": "content_types",
}
KIND_FOR_PLURAL = {plural: kind for kind, plural in PLURALS.items()}

DEFAULT_TERMS = {"stage": DEFAULT_STAGES, "content_type": DEFAULT_CONTENT_TYPES}
MAX_NAME_LENGTH = 120


def list_terms(kind: str | None = None, *, include_retired: bool = True) -> list[Term]:
    stmt = select(Term).order_by(Term.kind, Term.position, Term.id)
    if kind is not None:
        stmt = stmt.where(Term.kind == kind)
    if not include_retired:
        stmt = stmt.where(Term.retired.is_(False))
    return list(db.session.scalars(stmt))


def offered_terms() -> dict[str, list[Term]]:
    """The terms offered for new choices, by kind, in display order (for forms and facets)."""
    terms: dict[str, list[Term]] = {kind: [] for kind in TERM_KINDS}
    for term in list_terms(include_retired=False):
        terms[term.kind].append(term)
    return terms


def taxonomy_names() -> dict[str, list[str]]:
    """Every offered term's name by plural kind, in display order."""
    names: dict[str, list[str]] = {plural: [] for plural in PLURALS.values()}
    for term in list_terms(include_retired=False):
        names[PLURALS[term.kind]].append(term.name)
    return names


def add_term(kind: str, name: str) -> Term:
    """Append a term to the end of its kind; names are unique per kind, ignoring case."""
    if kind not in TERM_KINDS:
        raise InvalidInput(f"kind: must be one of {', '.join(PLURALS.values())}.", field="kind")
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("name: give the term a name.", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"name: at most {MAX_NAME_LENGTH} characters.", field="name")
    # Compared in Python: SQL lower() folds only ASCII, so "Énergie" and "énergie" would pass.
    existing = {name_key(t.name): t for t in list_terms(kind)}
    if name_key(name) in existing:
        raise Conflict(
            f"{PLURALS[kind]} already has {existing[name_key(name)].name!r}.", field="name"
        )
    position = db.session.scalar(select(func.max(Term.position)).where(Term.kind == kind))
    term = Term(kind=kind, name=name, position=(position or 0) + 1)
    db.session.add(term)
    try:
        db.session.commit()
    except IntegrityError:  # the same name added at the same moment by someone else
        db.session.rollback()
        raise Conflict(f"{PLURALS[kind]} already has {name!r}.", field="name") from None
    record_event("term_added", current_actor(), kind=kind, name=name)
    db.session.commit()
    return term


def name_key(name: str) -> str:
    """How two term names are compared: case-folded, with white space collapsed."""
    return " ".join(name.split()).casefold()


def seed_default_terms() -> int:
    """Add the default stages and content types that are missing; returns how many were added."""
    added = 0
    for kind, names in DEFAULT_TERMS.items():
        existing = {name_key(t.name) for t in list_terms(kind)}
        for name in names:
            if name_key(name) not in existing:
                add_term(kind, name)
                added += 1
    return added


def resolve_terms(kind: str, names: list[str], field: str) -> list[Term]:
    """The offered terms with these names (case-insensitive), or a 400 listing the accepted ones."""
    offered = list_terms(kind, include_retired=False)
    by_name = {name_key(t.name): t for t in offered}
    found: list[Term] = []
    for name in names:
        term = by_name.get(name_key(name))
        if term is None:
            accepted = ", ".join(t.name for t in offered) or "none yet (an admin adds them)"
            raise InvalidInput(
                f"{field}: {name!r} is not in the taxonomy. Accepted: {accepted}.", field=field
            )
        if term not in found:
            found.append(term)
    return found


def term_names_by_id() -> dict[int, str]:
    return {t.id: t.name for t in list_terms()}
