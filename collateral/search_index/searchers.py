"""A pool of open searchers, and per index generation a snapshot of per-document values."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from whoosh import index, query
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from .generations import Generations
from .position import POSITION_ASSET_ID
from .postings import Postings, field_lengths, read_postings
from .schema import FACET_FIELDS

_POOL_SIZE = 8
# Postings kept per generation, counted in documents (16 bytes each): about 32 MB at most.
POSTINGS_CACHE_DOCS = 2_000_000

T = TypeVar("T")


@dataclass
class Snapshot:
    """Per-document values and facet doc sets of one index generation, shared by searchers."""

    asset_ids: np.ndarray  # int64 by document number, so a whole result set is one lookup
    sort_dates: np.ndarray
    live: frozenset[int]
    facet_docs: dict[str, dict[int, frozenset[int]]]
    visible: dict[tuple, frozenset[int]] = field(default_factory=dict)
    norms: dict[tuple[str, float], np.ndarray] = field(default_factory=dict)
    spelling: dict[str, list[str]] | None = None
    _postings: OrderedDict[tuple[str, str], Postings] = field(default_factory=OrderedDict)
    _postings_held: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def length_norms(self, searcher: Searcher, name: str, b: float) -> np.ndarray:
        """BM25's length discount of each document's field `name` ((1 - b) + b * length over
        the average length), computed once per generation rather than per query word."""
        key = (name, b)
        if key not in self.norms:
            # Two threads may both compute it; either array is right.
            average = searcher.avg_field_length(name) or 1.0
            self.norms[key] = (1 - b) + b * field_lengths(searcher.reader(), name) / average
        return self.norms[key]

    def spelling_words(self, reader: IndexReader) -> dict[str, list[str]]:
        """The index's unstemmed words by first letter, for typo correction; read once."""
        if self.spelling is None:
            by_initial: dict[str, list[str]] = {}
            for word in reader.lexicon("spell"):
                text = word.decode("utf-8")
                by_initial.setdefault(text[:1], []).append(text)
            self.spelling = by_initial  # two threads may both read it; either is right
        return self.spelling

    def postings(self, reader: IndexReader, name: str, text: str) -> Postings:
        """The postings of `text` in field `name`, kept while they fit the cache's budget.

        Reps search the same words all day, and reading a common word's postings is most of
        a search's cost; the cache belongs to this generation, so it is never stale.
        """
        key = (name, text)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        found = read_postings(reader, name, text)
        if found.size > POSTINGS_CACHE_DOCS // 4:  # one huge word must not empty the cache
            return found
        with self._lock:
            if key not in self._postings:
                self._postings[key] = found
                self._postings_held += found.size
            while self._postings_held > POSTINGS_CACHE_DOCS:
                _, dropped = self._postings.popitem(last=False)
                self._postings_held -= dropped.size
        return found


@dataclass
class _PooledSearcher:
    generation: str
    searcher: Searcher


class SearcherPool:
    """Idle searchers kept for reuse and the latest snapshots; safe for threads."""

    def __init__(self, generations: Generations) -> None:
        self._generations = generations
        self._lock = threading.Lock()
        self._idle: list[_PooledSearcher] = []
        self._snapshots: dict[tuple[str, int], Snapshot] = {}

    def _checkout(self, generation: str) -> _PooledSearcher:
        reuse = None
        with self._lock:
            while self._idle and reuse is None:
                pooled = self._idle.pop()
                if pooled.generation == generation:
                    reuse = pooled
                else:
                    pooled.searcher.close()
        if reuse is not None and reuse.searcher.up_to_date():
            return reuse
        if reuse is not None:
            # Not Searcher.refresh(): it reuses segment readers by segment id, so it keeps
            # serving deleted documents and, after a merge, returns them twice.
            reuse.searcher.close()
        return _PooledSearcher(generation, self._generations.open(generation).searcher())

    def _checkin(self, pooled: _PooledSearcher) -> None:
        with self._lock:
            if len(self._idle) < _POOL_SIZE:
                self._idle.append(pooled)
                return
        pooled.searcher.close()

    def read(self, work: Callable[[Searcher, Snapshot], T]) -> T:
        """Run `work` with a pooled searcher (one thread at a time) and its generation's data."""
        for attempt in (1, 2):
            pooled = None
            try:
                pooled = self._checkout(self._generations.current())
                result = work(pooled.searcher, self._snapshot(pooled))
            except (OSError, index.IndexError):
                # Our generation was deleted under us (two rebuilds since we last looked):
                # drop this searcher and start again from CURRENT, once.
                if pooled is not None:
                    pooled.searcher.close()
                if attempt == 2:
                    raise
                continue
            except BaseException:
                if pooled is not None:
                    self._checkin(pooled)
                raise
            self._checkin(pooled)
            return result
        raise AssertionError("unreachable")

    def _snapshot(self, pooled: _PooledSearcher) -> Snapshot:
        searcher = pooled.searcher
        key = (pooled.generation, searcher.reader().generation())
        with self._lock:
            snapshot = self._snapshots.get(key)
        if snapshot is not None:
            return snapshot
        reader = searcher.reader()
        facet_docs = {}
        for name in FACET_FIELDS:
            by_term = {}
            for term in reader.lexicon(name):
                text = term.decode("utf-8")
                docs = frozenset(searcher.docs_for_query(query.Term(name, text)))
                if docs and text.isdigit():
                    by_term[int(text)] = docs
            facet_docs[name] = by_term
        empty = reader.doc_count_all() == 0  # an empty index's reader has no columns
        asset_ids = _column_array(reader, "asset_id", empty)
        snapshot = Snapshot(
            asset_ids=asset_ids,
            sort_dates=_column_array(reader, "sort_date", empty),
            # Every asset's document; not the one recording the change-log position.
            live=frozenset(
                doc for doc in reader.all_doc_ids() if asset_ids[doc] != POSITION_ASSET_ID
            ),
            facet_docs=facet_docs,
        )
        with self._lock:
            if len(self._snapshots) >= 4:
                self._snapshots.pop(next(iter(self._snapshots)))
            self._snapshots[key] = snapshot
        return snapshot

    def close(self) -> None:
        """Close the idle searchers and forget the snapshots."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._snapshots.clear()
        for pooled in idle:
            pooled.searcher.close()


def _column_array(reader: IndexReader, name: str, empty: bool) -> np.ndarray:
    """A numeric column of every document, by document number (an empty index has none)."""
    if empty:
        return np.empty(0, np.int64)
    return np.asarray(list(reader.column_reader(name)), np.int64)
