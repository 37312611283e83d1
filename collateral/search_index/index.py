"""SearchIndex: the one object the app holds, over generations, writing and reading."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from whoosh.searching import Searcher

from . import leftovers, rebuilding, writing
from .generations import Generations
from .highlight import K, best_pages_of_each
from .schema import new_schema
from .searchers import SearcherPool, Snapshot
from .searching import search_page
from .values import SORTS, ChangeBatch, IndexDocument, SearchQuery, SearchResult


class SearchIndex:
    """A Whoosh index in generations under one root folder; safe for threads and processes."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self._generations = Generations(self.root)
        self._searchers = SearcherPool(self._generations)

    def ensure_exists(self) -> None:
        """Create an empty index if there is none."""
        self._generations.ensure_exists()

    def missing_fields(self) -> list[str]:
        """Fields this release indexes that the live generation lacks: then it needs a rebuild.

        An index built by an older release still answers searches and takes updates (without
        those fields), so an upgrade never breaks the library; `rebuild` brings it up to date.
        """
        names = set(self._generations.open(self._generations.current()).schema.names())
        return sorted(set(new_schema().names()) - names)

    # Writing

    @contextmanager
    def holding_writer_lock(self, *, timeout: float = 5.0) -> Iterator[None]:
        """Hold the live generation's writer lock for the block, writing nothing.

        For tests and maintenance: while it is held, writers elsewhere (in this process or
        another) wait for it and then raise IndexBusy. Raises IndexBusy itself if the lock
        stays taken for `timeout` seconds.
        """
        writer = writing.open_writer(self._generations, timeout, limitmb=16)
        try:
            yield
        finally:
            writer.cancel()

    def apply(
        self, upserts: Iterable[IndexDocument], deletes: Iterable[int] = (), *, timeout: float = 5.0
    ) -> None:
        """Add or replace `upserts` and remove `deletes` (which win) in one commit."""
        writing.apply(self._generations, upserts, deletes, timeout=timeout)

    def apply_owed(
        self, owed: Callable[[int | None], ChangeBatch | None], *, timeout: float = 5.0
    ) -> int | None:
        """Apply what `owed(position recorded)` returns, with its new position, in one commit
        under the writer lock; returns the position after (see `writing.apply_owed`)."""
        return writing.apply_owed(self._generations, owed, timeout=timeout)

    def applied_position(self) -> int | None:
        """The change-log position the live generation records; None when it records none."""
        return writing.applied_position(self._generations)

    def is_new(self) -> bool:
        """Whether the index has never been brought up to date (made empty, never applied to)."""
        return writing.is_new(self._generations)

    def has_index(self) -> bool:
        """Whether a live generation exists (a node whose folder was removed has none)."""
        return self._generations.read_current() is not None

    def rebuild(
        self,
        documents: Iterable[IndexDocument],
        *,
        timeout: float = 60.0,
        position: int | None = None,
    ) -> int:
        """Index `documents` into a fresh generation, swap it in, and return the count.

        The live generation's writer lock is held throughout, so apply() elsewhere waits or
        raises IndexBusy instead of writing to a generation about to be replaced; pass a lazy
        iterable so the documents are read from the database after the lock is taken.
        `position`, the change-log position they account for, is recorded in the same commit.
        """
        return writing.rebuild(self._generations, documents, timeout=timeout, position=position)

    def rebuild_in_parts(
        self,
        parts: Sequence[rebuilding.Part],
        *,
        timeout: float = 60.0,
        position: int | None = None,
    ) -> int:
        """`rebuild` with each of `parts` (picklable callables returning documents, in asset
        order) read and indexed in its own process, as a segment of the fresh generation;
        `position` is recorded in the commit that makes them its contents."""
        return rebuilding.rebuild_in_parts(
            self._generations, parts, timeout=timeout, position=position
        )

    def optimize(self, *, timeout: float = 30.0) -> None:
        """Merge all segments into one (changes' own commits leave big segments alone)."""
        writing.optimize(self._generations, timeout=timeout)

    def leftovers(self, *, min_age: float) -> list[Path] | None:
        """Files and folders killed writers left, at least `min_age` s old; None while a
        writer holds the lock (then nothing can be told apart from its work in progress)."""
        return leftovers.find_leftovers(self._generations, min_age)

    def remove_leftovers(self, *, min_age: float) -> list[Path] | None:
        """Remove what `leftovers` finds, under the writer lock; None while a writer holds it."""
        return leftovers.remove_leftovers(self._generations, min_age)

    # Reading

    def close(self) -> None:
        """Close the idle searchers (call when the application shuts down)."""
        self._searchers.close()

    def asset_ids(self) -> set[int]:
        """Every asset id in the index, whatever its status (for consistency checks)."""
        return self._searchers.read(lambda _, snap: {int(snap.asset_ids[doc]) for doc in snap.live})

    def fingerprints(self) -> dict[int, int] | None:
        """Each indexed asset id with its document's fingerprint (see `document_fingerprint`).

        None when the live generation predates fingerprints: then only a rebuild can tell.
        """

        def read(searcher: Searcher, snap: Snapshot) -> dict[int, int] | None:
            reader = searcher.reader()
            if not snap.live:
                return {}
            if not reader.has_column("fingerprint"):
                return None
            column = reader.column_reader("fingerprint")
            return {int(snap.asset_ids[doc]): column[doc] for doc in snap.live}

        return self._searchers.read(read)

    def search(self, q: SearchQuery) -> SearchResult:
        """One page of the visible assets matching `q`, with facet counts and spelling help."""
        if q.sort not in SORTS:
            raise ValueError(f"Unknown sort {q.sort!r}; use one of {SORTS}")
        return self._searchers.read(lambda searcher, snap: search_page(searcher, snap, q))

    def highlight_pages(
        self, pages: Sequence[tuple[str, str]], text: str, *, max_pages: int = 3
    ) -> list[tuple[str, str]]:
        """The pages where the query's words occur most, best first, with a marked-up snippet.

        Snippets are HTML: the page text escaped, matched words wrapped in <mark>.
        """
        found = self.highlight_many({0: pages}, text, max_pages=max_pages)[0]
        return [(where, snippet) for _, where, snippet in found]

    def highlight_many(
        self,
        pages_by_key: Mapping[K, Sequence[tuple[str, str]]],
        text: str,
        *,
        max_pages: int = 3,
        terms: Sequence[str] | None = None,
    ) -> dict[K, list[tuple[int, str, str]]]:
        """`highlight_pages` for several files (a page of results), parsing the query once;
        each page found comes with its position in the file's sequence of pages.

        The pages scanned are bounded per file and per call (see `highlight`), so a page of
        results costs the same whatever the size of its files.

        Pass the search's `SearchResult.query_terms` as `terms` to skip parsing it again.
        """
        if not text.strip() or max_pages < 1 or not pages_by_key:
            return {key: [] for key in pages_by_key}
        return self._searchers.read(
            lambda searcher, snap: best_pages_of_each(
                searcher, snap, pages_by_key, text, max_pages, terms
            )
        )
