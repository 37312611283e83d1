"""Admins' care of the taxonomy: rename, reorder, retire, restore and merge terms.

The index filters by term id, but it also holds each asset's term names as words, so a rename
or a merge re-indexes every asset that carries the term, in the same transaction, through the
change log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..models import Asset, Term, asset_term, event_term
from .actor import SYSTEM, Actor
from .audit import record_event
from .indexing import OUTBOX_BATCH, apply_pending_index_updates, queue_index_update
from .taxonomy import (
    MOVES,
    PLURALS,
    SINGULARS,
    check_name_free,
    clean_term_name,
    commit_or_conflict,
    get_term,
    list_terms,
)


def _asset_ids_with(term: Term) -> list[int]:
    if term.kind == "content_type":
        stmt = select(Asset.id).where(Asset.content_type_id == term.id)
    else:
        stmt = select(asset_term.c.asset_id).where(asset_term.c.term_id == term.id)
    return sorted(db.session.scalars(stmt))


def _reindex(count: int) -> None:
    """Apply the change log, with enough rounds for the `count` assets just queued.

    Rows left (the index busy) stay owed, for the next write or `flask index-sync`.
    """
    apply_pending_index_updates(rounds=count // OUTBOX_BATCH + 2)


def rename_term(term_id: int, name: str, *, actor: Actor = SYSTEM) -> Term:
    """Rename a term; every asset carrying it is re-indexed, so searches find the new name."""
    term = get_term(term_id)
    new = clean_term_name(name)
    if new == term.name:
        return term
    check_name_free(term.kind, new, renaming=term)
    old, term.name = term.name, new
    asset_ids = _asset_ids_with(term)
    for asset_id in asset_ids:
        queue_index_update(asset_id)
    record_event("term_renamed", actor, kind=term.kind, old=old, new=new, assets=len(asset_ids))
    commit_or_conflict(f"{PLURALS[term.kind]} already has {new!r}.")
    _reindex(len(asset_ids))
    return term


def move_term(term_id: int, to: str | int, *, actor: Actor = SYSTEM) -> bool:
    """Move a term within its kind: up, down, top, bottom, or to a place counted from 1.

    Returns False when it is already there. Places are renumbered 1..n, so terms added
    with equal positions in the past get a definite order.
    """
    term = get_term(term_id)
    siblings = list_terms(term.kind)
    old = siblings.index(term)
    last = len(siblings) - 1
    targets = {"up": max(old - 1, 0), "down": min(old + 1, last), "top": 0, "bottom": last}
    if isinstance(to, str) and to in targets:
        new = targets[to]
    elif isinstance(to, int) and not isinstance(to, bool) and 1 <= to <= last + 1:
        new = to - 1
    else:
        raise InvalidInput(
            f"direction: use {', '.join(MOVES)}.",
            field="direction",
        )
    if new == old:
        return False
    siblings.insert(new, siblings.pop(old))
    for place, sibling in enumerate(siblings, start=1):
        sibling.position = place
    record_event("term_moved", actor, kind=term.kind, name=term.name, place=[old + 1, new + 1])
    db.session.commit()
    return True


def _set_retired(term_id: int, retired: bool, actor: Actor) -> Term:
    term = get_term(term_id)
    if term.retired != retired:
        term.retired = retired
        record_event(
            "term_retired" if retired else "term_restored",
            actor,
            kind=term.kind,
            name=term.name,
            assets=len(_asset_ids_with(term)),
        )
        db.session.commit()
    return term


def retire_term(term_id: int, *, actor: Actor = SYSTEM) -> Term:
    """Stop offering a term for new choices; the assets that carry it keep it."""
    return _set_retired(term_id, True, actor)


def restore_term(term_id: int, *, actor: Actor = SYSTEM) -> Term:
    """Offer a retired term again."""
    return _set_retired(term_id, False, actor)


@dataclass
class Merged:
    """What a merge did: the source's name (it is gone), the target, and the assets moved."""

    source_name: str
    target: Term
    assets: int
    already_had_target: int


def _move_search_filters(source_id: int, target_id: int) -> None:
    """Past searches filtered by the source count as filtered by the target, for reports.

    event_term is the reports' index of each search's filter terms (the event itself, with
    the names searched for, is untouched); a search filtered by both keeps one row.
    """
    rows = event_term.c
    has_target = select(rows.event_id).where(rows.term_id == target_id)
    db.session.execute(
        delete(event_term).where(rows.term_id == source_id, rows.event_id.in_(has_target))
    )
    db.session.execute(
        update(event_term).where(rows.term_id == source_id).values(term_id=target_id)
    )


def merge_terms(source_id: int, target_id: int, *, actor: Actor = SYSTEM) -> Merged:
    """Give every asset carrying `source` the target instead, then delete `source`.

    One transaction: the moved links, the log rows re-indexing each asset, the audit event
    and the deletion commit together. An asset that had both keeps one link, not two.
    """
    source = get_term(source_id)
    target = get_term(target_id, field="into")
    if source.id == target.id:
        raise InvalidInput(
            "into: choose another term; a term can't be merged into itself.", field="into"
        )
    if source.kind != target.kind:
        raise InvalidInput(
            f"into: {source.name!r} can only be merged into another {SINGULARS[source.kind]}; "
            f"{target.name!r} is one of the {PLURALS[target.kind].replace('_', ' ')}.",
            field="into",
        )
    source_name, kind = source.name, source.kind
    asset_ids = _asset_ids_with(source)
    already = 0
    db.session.flush()
    if kind == "content_type":
        db.session.execute(
            update(Asset)
            .where(Asset.content_type_id == source.id)
            .values(content_type_id=target.id)
            .execution_options(synchronize_session=False)
        )
    else:
        links = asset_term.c
        has_target = select(links.asset_id).where(links.term_id == target.id)
        already = db.session.scalar(
            select(func.count())
            .select_from(asset_term)
            .where(links.term_id == source.id, links.asset_id.in_(has_target))
        )
        db.session.execute(
            delete(asset_term).where(links.term_id == source.id, links.asset_id.in_(has_target))
        )
        db.session.execute(
            update(asset_term).where(links.term_id == source.id).values(term_id=target.id)
        )
        _move_search_filters(source.id, target.id)
    # Loaded assets still hold the old links and objects stay loaded across commits
    # (expire_on_commit is off): reload them, or the index would be given the old terms.
    db.session.expire_all()
    for asset_id in asset_ids:
        queue_index_update(asset_id)
    record_event(
        "term_merged",
        actor,
        kind=kind,
        source=source_name,
        target=target.name,
        assets=len(asset_ids),
        already_had_target=already,
    )
    db.session.delete(source)
    try:
        db.session.commit()
    except IntegrityError:  # an asset given the source at this very moment
        db.session.rollback()
        raise Conflict(
            f"{source_name!r} was given to collateral while merging; nothing changed. Try again."
        ) from None
    _reindex(len(asset_ids))
    return Merged(source_name, target, len(asset_ids), already or 0)
