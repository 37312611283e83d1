"""Relevance scores: BM25F over the text fields, with rarity-weighted IDF and a phrase bonus."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

import numpy as np
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from .postings import positions_of
from .query_units import Unit
from .schema import TEXT_FIELDS
from .searchers import Snapshot

# BM25F sums each field's length-normalised, weighted counts before saturating them once, so
# a word in the title and the body is not counted twice; the weighted sums run larger than
# plain counts, hence a K1 above the usual 1.2.
K1 = 5.0
# How much a field's length discounts its counts; a title is short and chosen by a person, so
# a shorter one naming the word is more fully about it.
B = 0.7
TITLE_B = 1.0
# Two query words side by side in a document ("heat transfer") earn this share of the rarer
# word's weight again. Only the best RERANK_DEPTH documents are checked, always the same ones
# whatever page is asked for, so pages never overlap.
ADJACENT_BONUS = 0.5
RERANK_DEPTH = 100


def idf(docs: int, holding: int) -> float:
    """How rare a word is: Robertson-Sparck Jones IDF, kept positive for common words."""
    return math.log(1 + (docs - holding + 0.5) / (holding + 0.5))


def unit_weights(units: Sequence[Unit], docs: int) -> list[float]:
    """Each unit's IDF over the documents holding it in any searched field."""
    return [unit.repeats * idf(docs, len(unit.docs)) for unit in units]


def bm25f(searcher: Searcher, snap: Snapshot, units: Sequence[Unit]) -> np.ndarray:
    """Every document's BM25F score (zero where no query unit is held), by document number.

    Scores of documents the caller cannot see are meaningless; the caller picks from its own.
    """
    reader = searcher.reader()
    scores = np.zeros(reader.doc_count_all())
    weights = unit_weights(units, max(1, len(snap.live)))
    for unit, weight in zip(units, weights, strict=True):
        if unit.span is None:  # a quoted phrase: held or not, as rare as its documents
            held = np.fromiter(unit.docs, np.int64, len(unit.docs))
            scores[held] += weight
            continue
        counts = np.zeros_like(scores)
        for name, boost in TEXT_FIELDS.items():
            if name not in searcher.schema:  # an index built before the field existed
                continue
            norms = snap.length_norms(searcher, name, TITLE_B if name == "title" else B)
            for stem in unit.stems:
                found = snap.postings(reader, name, stem)
                if found.size:
                    counts[found.docs] += boost * found.counts / norms[found.docs]
        scores += weight * counts * (K1 + 1) / (counts + K1)
    return scores


def adjacency_bonus(
    searcher: Searcher, snap: Snapshot, units: Sequence[Unit], among: Collection[int]
) -> dict[int, float]:
    """The bonus of each document in `among` holding neighbouring query words side by side."""
    weights = unit_weights(units, max(1, len(snap.live)))
    words = [(u, w) for u, w in zip(units, weights, strict=True) if u.span is not None]
    bonus: dict[int, float] = {}
    for (first, first_weight), (second, second_weight) in zip(words, words[1:], strict=False):
        both = first.docs & second.docs
        both.intersection_update(among)
        if not both:
            continue
        for doc in _side_by_side(searcher.reader(), first.stems[0], second.stems[0], both):
            bonus[doc] = bonus.get(doc, 0.0) + ADJACENT_BONUS * min(first_weight, second_weight)
    return bonus


def _side_by_side(reader: IndexReader, first: str, second: str, docs: set[int]) -> set[int]:
    """Which of `docs` hold `first` followed at once by `second` in one searched field."""
    found: set[int] = set()
    for name in TEXT_FIELDS:
        if name not in reader.schema:
            continue
        before = _positions(reader, name, first, docs - found)
        if not before:
            continue
        after = _positions(reader, name, second, set(before))
        for doc, places in after.items():
            if not places.isdisjoint(p + 1 for p in before[doc]):
                found.add(doc)
    return found


def _positions(reader: IndexReader, name: str, text: str, docs: set[int]) -> dict[int, set[int]]:
    """The word positions of `text` in field `name` of each of `docs` that holds it."""
    held: dict[int, set[int]] = {}
    for leaf, base in reader.leaf_readers():
        end = base + leaf.doc_count_all()
        wanted = sorted(doc - base for doc in docs if base <= doc < end)
        if not wanted or (name, text) not in leaf:
            continue
        for doc, places in positions_of(leaf.postings(name, text), wanted):
            held[base + doc] = places
    return held
