"""Relevance scores: BM25F over the text fields, with rarity-weighted IDF and a phrase bonus."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence

from whoosh.searching import Searcher

from .query_units import Unit, phrase_docs
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
# word's weight again.
ADJACENT_BONUS = 0.5


def idf(docs: int, holding: int) -> float:
    """How rare a word is: Robertson-Sparck Jones IDF, kept positive for common words."""
    return math.log(1 + (docs - holding + 0.5) / (holding + 0.5))


def unit_weights(units: Sequence[Unit], docs: int) -> list[float]:
    """Each unit's IDF over the documents holding it in any searched field."""
    return [unit.repeats * idf(docs, len(unit.docs)) for unit in units]


def bm25f(
    searcher: Searcher, snap: Snapshot, units: Sequence[Unit], among: Collection[int]
) -> dict[int, float]:
    """BM25F scores of the documents in `among` that hold any query unit."""
    reader = searcher.reader()
    weights = unit_weights(units, max(1, len(snap.live)))
    scores: Counter[int] = Counter()
    for unit, weight in zip(units, weights, strict=True):
        if unit.span is None:  # a quoted phrase: held or not, as rare as its documents
            for doc in unit.docs.intersection(among):
                scores[doc] += weight
            continue
        counts: Counter[int] = Counter()
        for name, boost in TEXT_FIELDS.items():
            if name not in searcher.schema:  # an index built before the field existed
                continue
            average = searcher.avg_field_length(name) or 1.0
            b = TITLE_B if name == "title" else B
            lengths = snap.field_lengths(reader, name)
            for stem in unit.stems:
                if (name, stem) not in reader:
                    continue
                postings = reader.postings(name, stem)
                while postings.is_active():
                    doc = postings.id()
                    norm = (1 - b) + b * lengths[doc] / average
                    counts[doc] += boost * postings.weight() / norm
                    postings.next()
        for doc, count in counts.items():
            if doc in among:
                scores[doc] += weight * count * (K1 + 1) / (count + K1)
    _adjacent_bonus(searcher, units, weights, among, scores)
    return scores


def _adjacent_bonus(
    searcher: Searcher,
    units: Sequence[Unit],
    weights: Sequence[float],
    among: Collection[int],
    scores: Counter[int],
) -> None:
    """Reward documents holding neighbouring query words as a phrase (proximity)."""
    words = [(u, w) for u, w in zip(units, weights, strict=True) if u.span is not None]
    for (first, first_weight), (second, second_weight) in zip(words, words[1:], strict=False):
        both = first.docs & second.docs
        both.intersection_update(among)
        if not both:
            continue
        stems = [first.stems[0], second.stems[0]]
        for doc in phrase_docs(searcher, stems) & both:
            scores[doc] += ADJACENT_BONUS * min(first_weight, second_weight)
