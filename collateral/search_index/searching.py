"""One page of results: visibility, filters, ranking, facet counts and spelling help."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
from whoosh import query
from whoosh.searching import Searcher

from .query_units import MAX_QUERY_CHARS, AnyOf, Unit, parse_query
from .schema import FACET_FIELDS, normalize_tag, yyyymmdd
from .scoring import RERANK_DEPTH, adjacency_bonus, bm25f
from .searchers import Snapshot
from .values import Hit, SearchQuery, SearchResult


def search_page(searcher: Searcher, snap: Snapshot, q: SearchQuery) -> SearchResult:
    """One page of the visible assets matching `q`, with facet counts and spelling help."""
    today = q.today or datetime.now(UTC).date()
    visible = _visible(searcher, snap, q.statuses, yyyymmdd(today), q.include_expired)
    units = parse_query(searcher, snap, q.text, visible)
    matched = set().union(*(unit.docs for unit in units)) if units else set(visible)
    filter_sets = _filter_sets(searcher, snap, q.filters)
    final = matched.intersection(*filter_sets.values())
    per_page = max(1, q.per_page)
    start = (max(1, q.page) - 1) * per_page
    end = start + per_page

    if units and q.sort == "relevance":
        hits = _ranked(searcher, snap, units, final, start, end)
    else:
        hits = _newest(snap, final, q.popularity if q.sort == "popular" else None, start, end)

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


# Up to this many query words, documents holding more of them come first (a rep who types two
# words expects files with both); longer queries are sentences, ranked by score alone, so a
# rare word outweighs several common ones.
SHORT_QUERY_WORDS = 3


def _newest(
    snap: Snapshot, final: set[int], popularity: Mapping[int, int] | None, start: int, end: int
) -> list[Hit]:
    """Most downloaded first when `popularity` is given, then newest, then highest id."""
    docs = np.fromiter(final, np.int64, len(final))
    ids = snap.asset_ids[docs]
    ranks = np.zeros(len(docs), np.int64)
    if popularity:
        ranks = np.fromiter((popularity.get(i, 0) for i in ids.tolist()), np.int64, len(docs))
    order = np.lexsort((-ids, -snap.sort_dates[docs], -ranks))[start:end]  # last key leads
    return [Hit(int(ids[i]), None) for i in order]


def _ranked(
    searcher: Searcher,
    snap: Snapshot,
    units: list[Unit],
    final: set[int],
    start: int,
    end: int,
) -> list[Hit]:
    """Rank by BM25F (after words held, for short queries), then newest.

    The best RERANK_DEPTH are then re-ordered with the bonus for query words side by side.
    """
    docs = np.fromiter(final, np.int64, len(final))
    scores = bm25f(searcher, snap, units)[docs]
    coverage = np.zeros(len(docs), np.int64)
    if len(units) <= SHORT_QUERY_WORDS:
        for unit in units:
            coverage += np.isin(docs, np.fromiter(unit.docs, np.int64, len(unit.docs)))
    dates = snap.sort_dates[docs]
    # Best first: most words held, then highest score, then newest (lexsort's last key leads).
    order = np.lexsort((-dates, -scores, -coverage))
    top = order[:RERANK_DEPTH]
    bonus = adjacency_bonus(searcher, snap, units, {int(doc) for doc in docs[top]})
    if bonus:
        scores[top] += [bonus.get(int(doc), 0.0) for doc in docs[top]]
        top = top[np.lexsort((-dates[top], -scores[top], -coverage[top]))]
        order = np.concatenate([top, order[RERANK_DEPTH:]])
    page = order[start:end]
    # Integer part: words matched (short queries); fraction: BM25F, so scores fall down the list.
    return [
        Hit(int(snap.asset_ids[docs[i]]), int(coverage[i]) + float(scores[i] / (scores[i] + 1)))
        for i in page
    ]


def _match_case(original: str, word: str) -> str:
    if len(original) > 1 and original.isupper():
        return word.upper()
    return word.capitalize() if original[:1].isupper() else word
