"""A term's postings and a field's lengths, read whole into arrays rather than one by one.

Walking a Whoosh matcher costs several Python calls per document; a common word in a large
library has tens of thousands of postings. Whoosh stores postings in blocks of ids and weights,
so these are read a block at a time (through `whoosh_blocks`, the one module that uses Whoosh's
private block readers), and scoring then works on whole arrays.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from whoosh.matching import Matcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader
from whoosh.util.numeric import byte_to_length

from . import whoosh_blocks


@dataclass(frozen=True)
class Postings:
    """The documents holding one term in one field (ascending), with its count in each.

    Deleted documents may be among them: callers keep only visible documents.
    """

    docs: np.ndarray  # int64 document numbers of the whole index
    counts: np.ndarray  # float64 occurrences in the field

    @property
    def size(self) -> int:
        return len(self.docs)


EMPTY = Postings(np.empty(0, np.int64), np.empty(0, np.float64))
# Decoded lengths of Whoosh's one-byte length codes.
_LENGTH_OF_BYTE = np.array([byte_to_length(code) for code in range(256)], np.float64)


def read_postings(reader: IndexReader, field: str, text: str) -> Postings:
    """All postings of `text` in `field`, across the index's segments."""
    docs: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    for leaf, base in reader.leaf_readers():
        if (field, text) not in leaf:
            continue
        ids, weights = _drain(leaf.postings(field, text))
        docs.append(np.asarray(ids, np.int64) + base)
        counts.append(np.asarray(weights, np.float64))
    if not docs:
        return EMPTY
    return Postings(np.concatenate(docs), np.concatenate(counts))


def _drain(matcher: Matcher) -> tuple[list[int], list[float]]:
    """Every id and weight of a fresh matcher, a whole block at a time where Whoosh allows."""
    if isinstance(matcher, FilterMatcher):  # deleted documents: the caller filters them
        matcher = matcher.child
    if whoosh_blocks.is_block_matcher(matcher):
        return whoosh_blocks.drain(matcher)
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():  # inlined postings of a rare word: a few documents
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def positions_of(matcher: Matcher, docs: Sequence[int]) -> Iterator[tuple[int, set[int]]]:
    """The word positions in each of `docs` (ascending, of the matcher's segment) it holds.

    Whoosh's skip_to steps through a block one posting at a time; this finds the document
    in the block's ids by bisection (`whoosh_blocks.seek`).
    """
    if isinstance(matcher, FilterMatcher):  # the caller asks only for live documents
        matcher = matcher.child
    if not whoosh_blocks.is_block_matcher(matcher):
        for doc in docs:
            if not matcher.is_active():
                return
            matcher.skip_to(doc)
            if matcher.is_active() and matcher.id() == doc:
                yield doc, set(matcher.value_as("positions"))
        return
    for doc in docs:
        found = whoosh_blocks.seek(matcher, doc)
        if not matcher.is_active():
            return
        if found:
            yield doc, set(matcher.value_as("positions"))


def field_lengths(reader: IndexReader, field: str) -> np.ndarray:
    """Each document's length in words in `field` (0 where it has none)."""
    parts = []
    for leaf, _ in reader.leaf_readers():
        column = whoosh_blocks.length_codes(leaf, field)
        if column is None:
            lengths = [
                leaf.doc_field_length(doc, field, 0) or 0 for doc in range(leaf.doc_count_all())
            ]
            parts.append(np.asarray(lengths, np.float64))
        else:
            codes = np.frombuffer(
                bytes(column[doc] for doc in range(leaf.doc_count_all())), np.uint8
            )
            parts.append(_LENGTH_OF_BYTE[codes])
    return np.concatenate(parts) if parts else np.empty(0, np.float64)
