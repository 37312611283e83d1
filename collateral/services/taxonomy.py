"""The taxonomy: products, industries, stages and content types, in display order.

Terms are added and resolved here; renaming, reordering, retiring and merging them is in
`taxonomy_care`.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..display_text import strip_bidi_controls
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..models import KIND_PLURALS, KIND_SINGULARS, TERM_KINDS, Asset, Term, asset_term
from ..taxonomy_defaults import DEFAULT_CONTENT_TYPES, DEFAULT_STAGES
from .actor import SYSTEM, Actor
from .audit import record_event

# The names by kind, as the models define them; kept here under the names callers use.
PLURALS = KIND_PLURALS
KIND_FOR_PLURAL = {plural: kind for kind, plural in PLURALS.items()}
SINGULARS = KIND_SINGULARS
MOVES = ("up", "down", "top", "bottom")

DEFAULT_TERMS = {"stage": DEFAULT_STAGES, "content_type": DEFAULT_CONTENT_TYPES}
MAX_NAME_LENGTH = 120


def list_terms(kind: str | None = None, *, include_retired: bool = True) -> list[Term]:
    stmt = select(Term).order_by(Term.kind, Term.position, Term.id)
    if kind is not None:
        stmt = stmt.where(Term.kind == kind)
    if not include_retired:
        stmt = stmt.where(Term.retired.is_(False))
    return list(db.session.scalars(stmt))


def offered_terms(*, include_retired: bool = False) -> dict[str, list[Term]]:
    """The terms by kind, in display order: those offered for new choices (forms), or all
    of them (search filters, since old assets still carry retired terms)."""
    terms: dict[str, list[Term]] = {kind: [] for kind in TERM_KINDS}
    for term in list_terms(include_retired=include_retired):
        terms[term.kind].append(term)
    return terms


def taxonomy_names() -> dict[str, list[str]]:
    """Every offered term's name by plural kind, in display order."""
    names: dict[str, list[str]] = {plural: [] for plural in PLURALS.values()}
    for term in list_terms(include_retired=False):
        names[PLURALS[term.kind]].append(term.name)
    return names


def get_term(term_id: int, *, field: str | None = None) -> Term:
    """The term with this id, or a 404 (it may have been merged into another meanwhile)."""
    term = db.session.get(Term, term_id)
    if term is None:
        raise NotFound(
            f"No taxonomy term with id {term_id}: it may have been merged into another. "
            "Reload the taxonomy page.",
            field=field,
        )
    return term


def asset_counts() -> dict[int, int]:
    """How many assets, whatever their status, carry each term."""
    counts: dict[int, int] = {}
    by_link = select(asset_term.c.term_id, func.count()).group_by(asset_term.c.term_id)
    by_type = (
        select(Asset.content_type_id, func.count())
        .where(Asset.content_type_id.is_not(None))
        .group_by(Asset.content_type_id)
    )
    for stmt in (by_link, by_type):
        for term_id, count in db.session.execute(stmt):
            counts[term_id] = counts.get(term_id, 0) + count
    return counts


def name_key(name: str) -> str:
    """How two term names are compared: case-folded, with white space collapsed."""
    return " ".join(name.split()).casefold()


def clean_term_name(name: str | None) -> str:
    name = " ".join(strip_bidi_controls(name or "").split())
    if not name:
        raise InvalidInput("name: give the term a name.", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"name: at most {MAX_NAME_LENGTH} characters.", field="name")
    return name


def check_name_free(kind: str, name: str, renaming: Term | None = None) -> None:
    """A 409 when another term of `kind` has this name, ignoring case and spacing."""
    # Compared in Python: SQL lower() folds only ASCII, so "Énergie" and "énergie" would pass.
    for other in list_terms(kind):
        if other is renaming or name_key(other.name) != name_key(name):
            continue
        if renaming is not None:
            hint = f" To combine the two, merge {renaming.name!r} into {other.name!r}."
        elif other.retired:
            hint = " It is retired: restore it on the taxonomy page."
        else:
            hint = ""
        raise Conflict(f"{PLURALS[kind]} already has {other.name!r}.{hint}", field="name")


def commit_or_conflict(conflict: str) -> None:
    """Commit, turning a uniqueness race with another admin into a 409 that says `conflict`."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(conflict, field="name") from None


def add_term(kind: str, name: str, *, actor: Actor = SYSTEM) -> Term:
    """Append a term to the end of its kind; names are unique per kind, ignoring case."""
    if kind not in TERM_KINDS:
        raise InvalidInput(f"kind: must be one of {', '.join(PLURALS.values())}.", field="kind")
    name = clean_term_name(name)
    check_name_free(kind, name)
    position = db.session.scalar(select(func.max(Term.position)).where(Term.kind == kind))
    term = Term(kind=kind, name=name, position=(position or 0) + 1)
    db.session.add(term)
    # The same name added at the same moment by someone else.
    commit_or_conflict(f"{PLURALS[kind]} already has {name!r}.")
    record_event("term_added", actor, kind=kind, name=name)
    db.session.commit()
    return term


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


def resolve_terms(
    kind: str,
    names: list[str],
    field: str,
    *,
    for_asset: bool = False,
    keep: Collection[int] = (),
) -> list[Term]:
    """The terms with these names (case-insensitive), or a 400 listing the accepted ones.

    A search may name any term, retired ones too: old assets still carry them. Names given
    to an asset (`for_asset`) must be offered terms, except the retired ones whose ids are
    in `keep` (those it already has), so an edit that re-sends its terms succeeds.
    """
    terms = list_terms(kind)
    by_name = {name_key(t.name): t for t in terms}
    offered = ", ".join(t.name for t in terms if not t.retired) or "none yet (an admin adds them)"
    found: list[Term] = []
    for name in names:
        term = by_name.get(name_key(name))
        if term is None:
            raise InvalidInput(
                f"{field}: {name!r} is not in the taxonomy. Accepted: {offered}.", field=field
            )
        if for_asset and term.retired and term.id not in keep:
            raise InvalidInput(
                f"{field}: {term.name!r} is retired and no longer given to collateral. "
                f"Accepted: {offered}.",
                field=field,
            )
        if term not in found:
            found.append(term)
    return found


def term_names_by_id() -> dict[int, str]:
    """Every term's name by id (two columns, not objects: every search names its facets)."""
    return {i: name for i, name in db.session.execute(select(Term.id, Term.name))}
