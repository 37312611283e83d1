"""One page of results: visibility, filters, ranking, facet counts and spelling help."""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from whoosh import query
from whoosh.searching import Searcher

from .query_units import MAX_QUERY_CHARS, AnyOf, Unit, parse_query
from .schema import FACET_FIELDS, normalize_tag, yyyymmdd
from .searchers import Snapshot
from .values import Hit, SearchQuery, SearchResult


def search_page(searcher: Searcher, snap: Snapshot, q: SearchQuery) -> SearchResult:
    """One page of the visible assets matching `q`, with facet counts and spelling help."""
    today = q.today or datetime.now(UTC).date()
    visible = _visible(searcher, snap, q.statuses, yyyymmdd(today), q.include_expired)
    units = parse_query(searcher, q.text, visible)
    matched = set().union(*(unit.docs for unit in units)) if units else set(visible)
    filter_sets = _filter_sets(searcher, snap, q.filters)
    final = matched.intersection(*filter_sets.values())
    per_page = max(1, q.per_page)
    start = (max(1, q.page) - 1) * per_page
    end = start + per_page

    if units and q.sort == "relevance":
        hits = _ranked(searcher, snap, units, final, start, end)
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
        text, pieces, position = q.text[:MAX_QUERY_CHARS], [], 0
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


def _visible(
    searcher: Searcher, snap: Snapshot, statuses: tuple[str, ...], today: int, expired: bool
) -> frozenset[int]:
    key = (tuple(sorted(statuses)), today, expired)
    if key not in snap.visible:
        docs = set(searcher.docs_for_query(AnyOf([query.Term("status", s) for s in key[0]])))
        if not expired:
            # An asset that expires today is still visible today.
            docs &= set(searcher.docs_for_query(query.NumericRange("expires", today, None)))
        snap.visible[key] = frozenset(docs)
    return snap.visible[key]


def _term_id(value: Any) -> int | None:
    """A taxonomy id from a filter value; None (matching nothing) rather than failing the page."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _filter_sets(
    searcher: Searcher, snap: Snapshot, filters: Mapping[str, list]
) -> dict[str, set[int]]:
    sets: dict[str, set[int]] = {}
    for key, values in filters.items():
        if not values:
            continue
        if key == "tag":
            tags = [tag for tag in (normalize_tag(str(v)) for v in values) if tag]
            if tags:  # blank tags are no tags, like an empty list
                any_tag = AnyOf([query.Term("tag", tag) for tag in tags])
                sets[key] = set(searcher.docs_for_query(any_tag))
        elif key in FACET_FIELDS:
            by_term = snap.facet_docs[key]
            sets[key] = set()
            for value in values:
                sets[key] |= by_term.get(_term_id(value), frozenset())
        else:
            raise ValueError(f"Unknown filter {key!r}; use one of {FACET_FIELDS + ('tag',)}")
    return sets


def _ranked(
    searcher: Searcher,
    snap: Snapshot,
    units: list[Unit],
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
    everything = AnyOf([unit.whoosh_query for unit in units])
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


def _match_case(original: str, word: str) -> str:
    if len(original) > 1 and original.isupper():
        return word.upper()
    return word.capitalize() if original[:1].isupper() else word
