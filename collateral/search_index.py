"""Full-text search over assets: the only module that knows the search engine (Whoosh).

Layout: ``root/CURRENT`` names the live generation folder ``root/gen-<ns>/``; a rebuild fills a
fresh generation and swaps ``CURRENT`` atomically, so no searcher ever sees a half-built index.
"""

from __future__ import annotations

import heapq
import html
import os
import re
import shutil
import threading
import time
import uuid
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from whoosh import columns, fields, formats, index, query
from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.searching import Searcher
from whoosh.support.charset import accent_map
from whoosh.writing import SegmentWriter

FACET_FIELDS = ("product", "industry", "stage", "content_type")
# Searched fields and their weights: a word in the title says more than one deep in the body.
TEXT_FIELDS = {"title": 3.0, "tags": 2.0, "description": 1.5, "filename": 1.0, "body": 1.0}
SORTS = ("relevance", "newest", "popular")

# Dots join only digits ("v2.0", "3.5") and underscores split, so "acme_pricing.pdf" is 3 words.
_WORD_PATTERN = r"[^\W_]+(?:\.\d+)*"
_FILENAME_SEPARATORS = re.compile(r"[\W_]+")
_QUOTED = re.compile(r'"([^"]*)"')
_WORD = re.compile(_WORD_PATTERN)
_WHITESPACE = re.compile(r"\s+")
_GENERATION = re.compile(r"gen-\d{20}")
_NO_EXPIRY = 99991231
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Bounds on user input: a pasted paragraph must not cost seconds of scoring or spelling.
_MAX_QUERY_CHARS = 1000
_MAX_WORDS = 24
_MAX_CORRECTIONS = 6
_MIN_CORRECTABLE = 4
_MAX_CORRECTABLE = 30
_SNIPPET_CHARS = 200
_POOL_SIZE = 8

T = TypeVar("T")


class IndexBusy(Exception):
    """The writer lock is held by another process longer than the timeout."""


@dataclass
class IndexDocument:
    """One asset as the index sees it."""

    asset_id: int
    title: str
    description: str
    body: str
    filename: str
    tags: list[str]
    products: list[int]
    industries: list[int]
    stages: list[int]
    content_type: int | None
    status: str
    sort_date: datetime
    expires_on: date | None


@dataclass
class SearchQuery:
    """What a user asked for, already parsed into plain values."""

    text: str = ""
    statuses: tuple[str, ...] = ("published",)
    include_expired: bool = False
    today: date | None = None
    filters: dict[str, list] = field(default_factory=dict)
    sort: str = "relevance"
    popularity: Mapping[int, int] | None = None
    page: int = 1
    per_page: int = 20
    with_facets: bool = True


@dataclass
class Hit:
    """One asset in a result page; score is None unless ranked by relevance."""

    asset_id: int
    score: float | None


@dataclass
class SearchResult:
    """A page of hits with the total, facet counts and spelling help."""

    total: int
    hits: list[Hit]
    facets: dict[str, dict[int, int]]
    suggestion: str | None
    query_terms: list[str]


@dataclass
class _Unit:
    """One query word (or quoted phrase) with the documents it reaches."""

    words: list[str]
    stems: list[str]
    span: tuple[int, int] | None  # where a single word sits in the query text
    whoosh_query: query.Query
    docs: set[int]
    correction: str | None = None


@dataclass
class _Snapshot:
    """Per-document values and facet doc sets of one index generation, shared by searchers."""

    asset_ids: list[int]
    sort_dates: list[int]
    live: frozenset[int]
    facet_docs: dict[str, dict[int, frozenset[int]]]
    visible: dict[tuple, frozenset[int]] = field(default_factory=dict)


@dataclass
class _PooledSearcher:
    generation: str
    searcher: Searcher


class _AnyOf(query.Or):
    """An Or that walks its postings lazily.

    On indexes under 5,000 documents Whoosh's Or preloads and scores every match of every
    term before a filter is applied: ~200 ms for a 10-word query at 2,000 documents.
    """

    matcher_type = query.Or.DEFAULT_MATCHER


def _analyzer(stem: bool) -> Analyzer:
    """Words, lower-cased, accents folded, stop words dropped, optionally Porter-stemmed."""
    chain = (
        RegexTokenizer(_WORD_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map) | StopFilter()
    )
    return chain | StemFilter() if stem else chain


def _schema() -> fields.Schema:
    """A fresh schema: analyzers keep unlocked caches, so no two threads may share one."""
    text = _analyzer(stem=True)
    return fields.Schema(
        asset_id=fields.NUMERIC(int, bits=64, signed=False, unique=True, sortable=True),
        **{name: fields.TEXT(analyzer=text) for name in TEXT_FIELDS},
        # Unstemmed words, only to tell typos from real words and to suggest corrections.
        # Scorable only because Whoosh otherwise stats the disk for its lengths per posting.
        spell=fields.FieldType(formats.Existence(), _analyzer(stem=False), scorable=True),
        tag=fields.KEYWORD(commas=True),
        product=fields.KEYWORD(),
        industry=fields.KEYWORD(),
        stage=fields.KEYWORD(),
        content_type=fields.ID(),
        status=fields.ID(),
        expires=fields.NUMERIC(int, bits=32),
        sort_date=fields.COLUMN(columns.NumericColumn("q")),
    )


def _normalize_tag(tag: str) -> str:
    """Tags match case-insensitively; commas separate tags in the index, so none inside one."""
    return " ".join(tag.replace(",", " ").casefold().split())


def _micros(moment: datetime) -> int:
    """Microseconds since the epoch; naive datetimes are taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _yyyymmdd(day: date | None) -> int:
    return _NO_EXPIRY if day is None else day.year * 10000 + day.month * 100 + day.day


def _document_fields(doc: IndexDocument) -> dict[str, Any]:
    """The Whoosh fields for one asset."""
    filename = _FILENAME_SEPARATORS.sub(" ", doc.filename)
    tags = [tag for tag in (_normalize_tag(t) for t in doc.tags) if tag]
    spelled = (doc.title, doc.description, filename, " ".join(doc.tags), doc.body)
    values: dict[str, Any] = {
        "asset_id": doc.asset_id,
        "title": doc.title,
        "description": doc.description,
        "body": doc.body,
        "filename": filename,
        "tags": " ; ".join(doc.tags),
        # Each distinct word once: the spell field only records which words exist.
        "spell": " ".join(set(_WORD.findall(" ".join(spelled).lower()))),
        "tag": ",".join(tags),
        "product": " ".join(str(i) for i in doc.products),
        "industry": " ".join(str(i) for i in doc.industries),
        "stage": " ".join(str(i) for i in doc.stages),
        "content_type": "" if doc.content_type is None else str(doc.content_type),
        "status": doc.status,
        "expires": _yyyymmdd(doc.expires_on),
        "sort_date": _micros(doc.sort_date),
    }
    return {name: value for name, value in values.items() if value != ""}


def _term_id(value: Any) -> int | None:
    """A taxonomy id from a filter value; None (matching nothing) rather than failing the page."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _first_token(analyzer: Analyzer, word: str) -> str | None:
    """The indexed form of one word, or None for a stop word."""
    tokens = [token.text for token in analyzer(word)]
    return tokens[0] if tokens else None


def _word_query(stems: Iterable[str]) -> query.Query:
    return _AnyOf(
        [query.Term(name, stem, boost=w) for stem in stems for name, w in TEXT_FIELDS.items()]
    )


def _phrase_query(stems: list[str]) -> query.Query:
    return _AnyOf([query.Phrase(name, stems, boost=w) for name, w in TEXT_FIELDS.items()])


def _match_case(original: str, word: str) -> str:
    if len(original) > 1 and original.isupper():
        return word.upper()
    return word.capitalize() if original[:1].isupper() else word


class SearchIndex:
    """A Whoosh index in generations under one root folder; safe for threads and processes."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._idle: list[_PooledSearcher] = []
        self._snapshots: dict[tuple[str, int], _Snapshot] = {}

    # Generations

    def _read_current(self) -> str | None:
        """The live generation's folder name, or None when there is no usable one."""
        try:
            name = (self.root / "CURRENT").read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        if not _GENERATION.fullmatch(name):
            raise RuntimeError(f"{self.root / 'CURRENT'} names {name!r}, not a generation folder")
        return name if (self.root / name).is_dir() else None

    def _current(self) -> str:
        name = self._read_current()
        if name is None:
            self.ensure_exists()
            name = self._read_current()
            assert name is not None
        return name

    def _new_generation(self) -> str:
        """Make an empty index in a new folder whose name sorts after every existing one."""
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = time.time_ns()
        while True:
            name = f"gen-{stamp:020d}"
            try:
                (self.root / name).mkdir()
                break
            except FileExistsError:
                stamp += 1
        index.create_in(self.root / name, _schema())
        return name

    def _write_temp_pointer(self, name: str) -> Path:
        temp = self.root / f".CURRENT.{uuid.uuid4().hex}"
        with open(temp, "w", encoding="ascii") as out:
            out.write(name + "\n")
            out.flush()
            os.fsync(out.fileno())
        return temp

    def ensure_exists(self) -> None:
        """Create an empty index if there is none."""
        if self._read_current() is not None:
            return
        name = self._new_generation()
        if (self.root / "CURRENT").exists():
            # Its folder was deleted by hand: start empty, so `rebuild` can restore it.
            self._swap_to(name)
            return
        temp = self._write_temp_pointer(name)
        try:
            # link() refuses to replace, so of two processes racing here exactly one wins.
            os.link(temp, self.root / "CURRENT")
        except FileExistsError:
            shutil.rmtree(self.root / name, ignore_errors=True)
        finally:
            temp.unlink()

    def _swap_to(self, name: str) -> None:
        os.replace(self._write_temp_pointer(name), self.root / "CURRENT")

    def _remove_generations_before(self, keep: str) -> None:
        """Delete generations older than `keep` (the previous one, still open in searchers)."""
        for path in self.root.glob("gen-*"):
            if _GENERATION.fullmatch(path.name) and path.name < keep:
                shutil.rmtree(path, ignore_errors=True)

    # Writing

    def _writer(self, timeout: float, limitmb: int = 64) -> SegmentWriter:
        """An open writer on the live generation, lock held; the caller commits or cancels it."""
        deadline = time.monotonic() + timeout
        while True:
            generation = self._current()
            ix = index.open_dir(self.root / generation)
            try:
                writer = ix.writer(
                    timeout=max(0.0, deadline - time.monotonic()),
                    delay=0.05,
                    limitmb=limitmb,
                    # Compound segments make every searcher copy the index into memory.
                    compound=False,
                )
            except index.LockError as exc:
                raise IndexBusy(
                    f"The search index is busy: another process held its writer lock for "
                    f"{timeout:g} s. The change stays queued; apply it again shortly."
                ) from exc
            # Swapping generations needs this lock, so CURRENT can't change while we hold it;
            # but a rebuild may have swapped while we waited: then write to the new one.
            if self._read_current() == generation:
                return writer
            writer.cancel()

    @contextmanager
    def _writing(
        self, timeout: float, limitmb: int = 64, optimize: bool = False
    ) -> Iterator[SegmentWriter]:
        """A writer committed on success and cancelled on error."""
        writer = self._writer(timeout, limitmb)
        try:
            yield writer
        except BaseException:
            if not writer.is_closed:
                writer.cancel()
            raise
        if not writer.is_closed:
            writer.commit(optimize=optimize)

    def apply(
        self, upserts: Iterable[IndexDocument], deletes: Iterable[int] = (), *, timeout: float = 5.0
    ) -> None:
        """Add or replace `upserts` and remove `deletes` (which win) in one commit."""
        deleted = {int(asset_id) for asset_id in deletes}
        with self._writing(timeout) as writer:
            latest: dict[int, IndexDocument] = {}
            for doc in upserts:
                latest[doc.asset_id] = doc  # update_document can't see its own writer's docs
            for asset_id in deleted:
                writer.delete_by_term("asset_id", asset_id)
            for asset_id, doc in latest.items():
                if asset_id not in deleted:
                    writer.update_document(**_document_fields(doc))
            if not deleted and not latest:
                writer.cancel()

    def rebuild(self, documents: Iterable[IndexDocument], *, timeout: float = 60.0) -> int:
        """Index `documents` into a fresh generation, swap it in, and return the count.

        The live generation's writer lock is held throughout, so apply() elsewhere waits or
        raises IndexBusy instead of writing to a generation about to be replaced; pass a lazy
        iterable so the documents are read from the database after the lock is taken.
        """
        with self._writing(timeout, limitmb=16) as lock_holder:
            previous = self._current()
            name = self._new_generation()
            try:
                writer = index.open_dir(self.root / name).writer(limitmb=256, compound=False)
                count, seen = 0, set()
                try:
                    for doc in documents:
                        if doc.asset_id in seen:
                            raise ValueError(f"Asset {doc.asset_id} appears twice in the rebuild")
                        seen.add(doc.asset_id)
                        writer.add_document(**_document_fields(doc))
                        count += 1
                except BaseException:
                    writer.cancel()
                    raise
                writer.commit()
                self._swap_to(name)
            except BaseException:
                shutil.rmtree(self.root / name, ignore_errors=True)
                raise
            lock_holder.cancel()
        self._remove_generations_before(previous)
        return count

    def optimize(self, *, timeout: float = 30.0) -> None:
        """Merge all segments into one."""
        with self._writing(timeout, limitmb=128, optimize=True):
            pass

    # Reading

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
        return _PooledSearcher(generation, index.open_dir(self.root / generation).searcher())

    def _checkin(self, pooled: _PooledSearcher) -> None:
        with self._lock:
            if len(self._idle) < _POOL_SIZE:
                self._idle.append(pooled)
                return
        pooled.searcher.close()

    def _read(self, work: Callable[[Searcher, _Snapshot], T]) -> T:
        """Run `work` with a pooled searcher (one thread at a time) and its generation's data."""
        for attempt in (1, 2):
            pooled = None
            try:
                pooled = self._checkout(self._current())
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

    def _snapshot(self, pooled: _PooledSearcher) -> _Snapshot:
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
        snapshot = _Snapshot(
            asset_ids=[] if empty else list(reader.column_reader("asset_id")),
            sort_dates=[] if empty else list(reader.column_reader("sort_date")),
            live=frozenset(reader.all_doc_ids()),
            facet_docs=facet_docs,
        )
        with self._lock:
            if len(self._snapshots) >= 4:
                self._snapshots.pop(next(iter(self._snapshots)))
            self._snapshots[key] = snapshot
        return snapshot

    def close(self) -> None:
        """Close the idle searchers (call when the application shuts down)."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._snapshots.clear()
        for pooled in idle:
            pooled.searcher.close()

    def asset_ids(self) -> set[int]:
        """Every asset id in the index, whatever its status (for consistency checks)."""
        return self._read(lambda _, snap: {snap.asset_ids[doc] for doc in snap.live})

    @staticmethod
    def _visible(
        searcher: Searcher, snap: _Snapshot, statuses: tuple[str, ...], today: int, expired: bool
    ) -> frozenset[int]:
        key = (tuple(sorted(statuses)), today, expired)
        if key not in snap.visible:
            docs = set(searcher.docs_for_query(_AnyOf([query.Term("status", s) for s in key[0]])))
            if not expired:
                # An asset that expires today is still visible today.
                docs &= set(searcher.docs_for_query(query.NumericRange("expires", today, None)))
            snap.visible[key] = frozenset(docs)
        return snap.visible[key]

    def _units(self, searcher: Searcher, text: str, visible: frozenset[int]) -> list[_Unit]:
        """The query's words and quoted phrases, each with typo corrections where needed."""
        text = text[:_MAX_QUERY_CHARS]
        words_analyzer = searcher.schema["spell"].analyzer
        stem_analyzer = searcher.schema["body"].analyzer
        corrector = searcher.reader().corrector("spell")
        units: list[_Unit] = []
        seen: set[tuple[str, ...]] = set()
        corrections = 0

        def docs_for(stems: list[str], phrase: bool) -> set[int]:
            if phrase:
                return set(searcher.docs_for_query(_phrase_query(stems))) & visible
            # Term by term into one set: much faster than walking an Or matcher in Python.
            found: set[int] = set()
            for stem in stems:
                for name in TEXT_FIELDS:
                    found.update(searcher.docs_for_query(query.Term(name, stem)))
            return found & visible

        def add(tokens: list[tuple[str, int, int]], phrase: bool) -> None:
            nonlocal corrections
            stems = [_first_token(stem_analyzer, word) or word for word, _, _ in tokens]
            if not stems or tuple(stems) in seen or len(units) >= _MAX_WORDS:
                return
            seen.add(tuple(stems))
            words = [text[start:end].lower() for _, start, end in tokens]
            is_phrase = phrase and len(stems) > 1
            whoosh_query = _phrase_query(stems) if is_phrase else _word_query(stems)
            span = None if is_phrase else tokens[0][1:]
            unit = _Unit(words, stems, span, whoosh_query, docs_for(stems, is_phrase))
            word = tokens[0][0]
            if (
                not unit.docs
                and not is_phrase
                and corrections < _MAX_CORRECTIONS
                and _MIN_CORRECTABLE <= len(word) <= _MAX_CORRECTABLE
                and not any(ch.isdigit() for ch in word)
            ):
                corrections += 1
                self._correct(unit, word, corrector, stem_analyzer, docs_for)
            units.append(unit)

        def add_words(start: int, end: int) -> None:
            for token in words_analyzer(text[start:end], chars=True):
                add([(token.text, start + token.startchar, start + token.endchar)], False)

        position = 0
        for quoted in _QUOTED.finditer(text):
            add_words(position, quoted.start())
            offset = quoted.start(1)
            tokens = [
                (t.text, offset + t.startchar, offset + t.endchar)
                for t in words_analyzer(quoted.group(1), chars=True)
            ]
            add(tokens, True)
            position = quoted.end()
        add_words(position, len(text))
        return units

    @staticmethod
    def _correct(
        unit: _Unit,
        word: str,
        corrector: Any,
        stem_analyzer: Analyzer,
        docs_for: Callable[[list[str], bool], set[int]],
    ) -> None:
        """Add the nearest visible word to `unit`, closest edit distance first, then commonest.

        Only words that reach a visible document count, so a suggestion can't reveal a draft.
        """
        distances = (1,) if len(word) <= 5 else (1, 2)
        tried: set[str] = set()
        for distance in distances:
            # prefix=1: misspellings rarely touch the first letter, and it is ~20x faster.
            for candidate in corrector.suggest(word, limit=5, maxdist=distance, prefix=1):
                stem = _first_token(stem_analyzer, candidate)
                if candidate in tried or stem is None:
                    continue
                tried.add(candidate)
                docs = docs_for([stem], False)
                if docs:
                    unit.correction = candidate
                    unit.stems.append(stem)
                    unit.whoosh_query = _word_query(unit.stems)
                    unit.docs = docs
                    return

    def _filter_sets(
        self, searcher: Searcher, snap: _Snapshot, filters: Mapping[str, list]
    ) -> dict[str, set[int]]:
        sets: dict[str, set[int]] = {}
        for key, values in filters.items():
            if not values:
                continue
            if key == "tag":
                tags = [tag for tag in (_normalize_tag(str(v)) for v in values) if tag]
                if tags:  # blank tags are no tags, like an empty list
                    any_tag = _AnyOf([query.Term("tag", tag) for tag in tags])
                    sets[key] = set(searcher.docs_for_query(any_tag))
            elif key in FACET_FIELDS:
                by_term = snap.facet_docs[key]
                sets[key] = set()
                for value in values:
                    sets[key] |= by_term.get(_term_id(value), frozenset())
            else:
                raise ValueError(f"Unknown filter {key!r}; use one of {FACET_FIELDS + ('tag',)}")
        return sets

    def search(self, q: SearchQuery) -> SearchResult:
        """One page of the visible assets matching `q`, with facet counts and spelling help."""
        if q.sort not in SORTS:
            raise ValueError(f"Unknown sort {q.sort!r}; use one of {SORTS}")
        return self._read(lambda searcher, snap: self._search(searcher, snap, q))

    def _search(self, searcher: Searcher, snap: _Snapshot, q: SearchQuery) -> SearchResult:
        today = q.today or datetime.now(UTC).date()
        visible = self._visible(searcher, snap, q.statuses, _yyyymmdd(today), q.include_expired)
        units = self._units(searcher, q.text, visible)
        matched = set().union(*(unit.docs for unit in units)) if units else set(visible)
        filter_sets = self._filter_sets(searcher, snap, q.filters)
        final = matched.intersection(*filter_sets.values())
        per_page = max(1, q.per_page)
        start = (max(1, q.page) - 1) * per_page
        end = start + per_page

        if units and q.sort == "relevance":
            hits = self._ranked(searcher, snap, units, final, start, end)
        else:
            popularity = (q.popularity or {}) if q.sort == "popular" else None

            def key(doc: int) -> tuple[int, int, int]:
                aid = snap.asset_ids[doc]
                rank = 0 if popularity is None else popularity.get(aid, 0)
                return rank, snap.sort_dates[doc], aid

            page = heapq.nlargest(end, final, key=key)[start:end]
            hits = [Hit(snap.asset_ids[doc], None) for doc in page]

        facets: dict[str, dict[int, int]] = {}
        if q.with_facets:
            for name in FACET_FIELDS:
                # Each facet counts with the other facets' filters but not its own, so a
                # click on one more value of it shows how many the page would then hold.
                others = [docs for other, docs in filter_sets.items() if other != name]
                base = matched.intersection(*others)
                counts = {tid: len(base & docs) for tid, docs in snap.facet_docs[name].items()}
                facets[name] = {tid: n for tid, n in counts.items() if n}

        corrected = sorted((u for u in units if u.correction), key=lambda u: u.span or (0, 0))
        suggestion = None
        if corrected:
            text, pieces, position = q.text[:_MAX_QUERY_CHARS], [], 0
            for unit in corrected:
                assert unit.span is not None and unit.correction is not None
                begin, finish = unit.span
                pieces += [text[position:begin], _match_case(text[begin:finish], unit.correction)]
                position = finish
            suggestion = "".join([*pieces, text[position:]]).strip()
        terms: list[str] = []
        for unit in units:
            for word in [*unit.words, unit.correction]:
                if word and word not in terms:
                    terms.append(word)
        return SearchResult(len(final), hits, facets, suggestion, terms)

    @staticmethod
    def _ranked(
        searcher: Searcher,
        snap: _Snapshot,
        units: list[_Unit],
        final: set[int],
        start: int,
        end: int,
    ) -> list[Hit]:
        """Rank by how many query words a document holds, then by BM25F score, then newest.

        Only the tiers that overlap the requested page are scored.
        """
        coverage: Counter[int] = Counter()
        for unit in units:
            coverage.update(unit.docs & final)
        tiers: dict[int, list[int]] = {}
        for doc, count in coverage.items():
            tiers.setdefault(count, []).append(doc)
        everything = _AnyOf([unit.whoosh_query for unit in units])
        hits: list[Hit] = []
        offset = 0
        for count in sorted(tiers, reverse=True):
            tier = tiers[count]
            if offset + len(tier) > start and offset < end:
                scores = _scores(searcher, everything, tier)
                tier.sort(key=lambda d: (scores.get(d, 0.0), snap.sort_dates[d]), reverse=True)
                for doc in tier[max(0, start - offset) : end - offset]:
                    score = scores.get(doc, 0.0)
                    # Integer part: words matched; fraction: BM25F, so scores fall down the list.
                    hits.append(Hit(snap.asset_ids[doc], count + score / (score + 1.0)))
            offset += len(tier)
            if offset >= end:
                break
        return hits

    def highlight_pages(
        self, pages: Sequence[tuple[str, str]], text: str, *, max_pages: int = 3
    ) -> list[tuple[str, str]]:
        """The pages where the query's words occur most, best first, with a marked-up snippet.

        Snippets are HTML: the page text escaped, matched words wrapped in <mark>.
        """

        def work(searcher: Searcher, snap: _Snapshot) -> list[tuple[str, str]]:
            stems = {stem for unit in self._units(searcher, text, snap.live) for stem in unit.stems}
            if not stems:
                return []
            analyzer = searcher.schema["body"].analyzer
            forms: dict[str, str | None] = {}  # each distinct word is analyzed once
            ranked = []
            for number, (where, page_text) in enumerate(pages):
                matches = []
                for found in _WORD.finditer(page_text):
                    word = found.group().lower()
                    if word not in forms:
                        forms[word] = _first_token(analyzer, word)
                    if forms[word] in stems:
                        matches.append((found.start(), found.end(), forms[word]))
                if matches:
                    distinct = len({stem for _, _, stem in matches})
                    ranked.append(((-distinct, -len(matches), number), where, page_text, matches))
            ranked.sort(key=lambda item: item[0])
            return [
                (where, _snippet(page, matches)) for _, where, page, matches in ranked[:max_pages]
            ]

        if not text.strip() or not pages or max_pages < 1:
            return []
        return self._read(work)


def _scores(searcher: Searcher, q: query.Query, docs: Iterable[int]) -> dict[int, float]:
    """BM25F scores of `docs` alone: skip the matcher to each instead of walking every match."""
    context = searcher.context()
    ordered = sorted(docs)
    scores: dict[int, float] = {}
    for leaf, offset in searcher.leaf_searchers():
        first = bisect_left(ordered, offset)
        last = bisect_left(ordered, offset + leaf.doc_count_all())
        matcher = q.matcher(leaf, context)
        for doc in ordered[first:last]:
            if not matcher.is_active():
                break
            if matcher.id() < doc - offset:
                matcher.skip_to(doc - offset)
            if matcher.is_active() and matcher.id() == doc - offset:
                scores[doc] = matcher.score()
    return scores


def _snippet(text: str, matches: list[tuple[int, int, str | None]]) -> str:
    """About _SNIPPET_CHARS of `text` around its densest run of matches, as safe HTML."""

    def window(first: int) -> list[tuple[int, int, str | None]]:
        limit = matches[first][0] + _SNIPPET_CHARS
        return [m for m in matches[first : first + 50] if m[1] <= limit]

    # The window holding the most distinct query words wins, then the most matches, then the first.
    starts = range(min(len(matches), 200))
    best = max(starts, key=lambda i: (len({m[2] for m in window(i)}), len(window(i)), -i))
    inside = window(best)
    run_start, run_end = inside[0][0], inside[-1][1]
    begin = max(0, run_start - max(0, _SNIPPET_CHARS - (run_end - run_start)) // 2)
    finish = min(len(text), max(run_end, begin + _SNIPPET_CHARS))
    begin = max(0, min(begin, finish - _SNIPPET_CHARS, run_start))
    # Start and end on word boundaries, never cutting into a match.
    if begin > 0 and (space := _WHITESPACE.search(text, begin, run_start)):
        begin = space.end()
    if finish < len(text):
        spaces = [space.start() for space in _WHITESPACE.finditer(text, run_end, finish)]
        finish = spaces[-1] if spaces else finish

    def plain(part: str) -> str:
        return html.escape(_WHITESPACE.sub(" ", part))

    out = ["…" if begin > 0 else ""]
    position = begin
    for start, stop, _ in matches:
        if start >= begin and stop <= finish:
            out += [plain(text[position:start]), "<mark>", html.escape(text[start:stop]), "</mark>"]
            position = stop
    out += [plain(text[position:finish]), "…" if finish < len(text) else ""]
    return "".join(out).strip()
