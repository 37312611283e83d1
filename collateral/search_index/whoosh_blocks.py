"""Whoosh's private block readers, kept in this one module.

Whoosh 2.7 has no public way to read a term's postings a block at a time, to jump to a
document inside a block, or to read a field's one-byte length codes whole; its public matcher
costs several Python calls per document. The functions here use Whoosh's own loaders
(underscore attributes of `W3LeafMatcher` and of a segment reader), which are right for the
version pinned in requirements.txt (`WHOOSH_PIN`). `check_private_parts` names what an upgrade
removed, and a test in tests/test_search_index.py runs it and compares every reader here with
Whoosh's public walk, so a changed Whoosh fails the suite loudly instead of searching wrongly.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.matching import Matcher
from whoosh.reading import IndexReader

WHOOSH_PIN = "whoosh-reloaded==2.7.5"
# What this module reads of a block matcher and of a segment reader.
MATCHER_PARTS = ("_read_ids", "_read_weights", "_next_block", "_ids", "_weights", "_i")
READER_PARTS = ("_perdoc",)


class WhooshChanged(RuntimeError):
    """The installed Whoosh lacks a private part these readers use."""


def check_private_parts(matcher: Matcher, leaf: IndexReader) -> None:
    """Raise WhooshChanged naming each part missing from a block matcher and a segment reader."""
    missing = [f"W3LeafMatcher.{name}" for name in MATCHER_PARTS if not hasattr(matcher, name)]
    if not isinstance(matcher, W3LeafMatcher):
        missing.insert(0, f"W3LeafMatcher (got {type(matcher).__name__})")
    missing += [f"SegmentReader.{name}" for name in READER_PARTS if not hasattr(leaf, name)]
    if missing:
        raise WhooshChanged(
            f"Whoosh changed the private parts collateral reads: {', '.join(missing)}. "
            f"collateral/search_index/whoosh_blocks.py is written for {WHOOSH_PIN}: pin that "
            "version again in requirements.txt, or update the module for the new one."
        )


def is_block_matcher(matcher: Matcher) -> bool:
    """Whether these functions can read the matcher's blocks (any other kind of matcher is
    walked with Whoosh's public methods)."""
    return isinstance(matcher, W3LeafMatcher)


def drain(matcher: Matcher) -> tuple[list[int], list[float]]:
    """Every id and weight of a fresh block matcher, a whole block at a time."""
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        ids.extend(matcher._ids)
        weights.extend(matcher._weights)
        matcher._next_block()
    return ids, weights


def seek(matcher: Matcher, doc: int) -> bool:
    """Move a block matcher to `doc` (True), or to the block where it would be (False).

    Whoosh's skip_to steps through a block one posting at a time; this bisects the block's
    ids. Check `is_active()` afterwards: the matcher ends when no block reaches `doc`.
    """
    while matcher.is_active() and matcher.block_max_id() < doc:
        matcher._next_block()
    if not matcher.is_active():
        return False
    if matcher._ids is None:
        matcher._read_ids()
    at = bisect_left(matcher._ids, doc)
    if at < len(matcher._ids) and matcher._ids[at] == doc:
        matcher._i = at
        return True
    return False


def length_codes(leaf: IndexReader, field: str) -> Any:
    """Whoosh's column of one-byte length codes of `field`, if this is a segment holding one."""
    perdoc = getattr(leaf, "_perdoc", None)
    if perdoc is None or not perdoc.has_column(f"_{field}_len"):
        return None
    return perdoc.column_reader(f"_{field}_len", LENGTHS_COLUMN)
