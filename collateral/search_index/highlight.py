"""Highlighting: the pages where the query's words occur most, with marked-up snippets."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import TypeVar

from whoosh.analysis import Analyzer
from whoosh.searching import Searcher

from .query_units import first_token, parse_query
from .schema import WORD
from .searchers import Snapshot

_SNIPPET_CHARS = 200
K = TypeVar("K")
_WHITESPACE = re.compile(r"\s+")


def best_pages_of_each(
    searcher: Searcher,
    snap: Snapshot,
    pages_by_key: Mapping[K, Sequence[tuple[str, str]]],
    text: str,
    max_pages: int,
    terms: Sequence[str] | None = None,
) -> dict[K, list[tuple[str, str]]]:
    """`best_pages` for several files at once: the query is parsed (and corrected) once.

    `terms` are the query's words and corrections as a search already found them
    (SearchResult.query_terms); given, the query is not parsed and corrected a second time.
    """
    analyzer = searcher.schema["body"].analyzer
    if terms is None:
        stems = {
            stem for unit in parse_query(searcher, snap, text, snap.live) for stem in unit.stems
        }
    else:
        stems = {stem for term in terms if (stem := first_token(analyzer, term))}
    if not stems:
        return {key: [] for key in pages_by_key}
    candidates = _candidate_words(stems)
    forms: dict[str, str | None] = {}  # each distinct word is analyzed once, for all files
    return {
        key: best_pages(analyzer, forms, pages, stems, max_pages, candidates)
        for key, pages in pages_by_key.items()
    }


def _candidate_words(stems: set[str]) -> re.Pattern[str]:
    """The words of a page that may stem to one of `stems`, found by the regex engine.

    Stemming every word of a 20,000-word page in Python costs tens of milliseconds. The Porter
    stemmer only rewrites a word's ending, so an ASCII word whose stem is S starts with S less
    its last letter (checked on 35,000 words, with a letter to spare here); words with other
    letters fold accents first, so each of those stays a candidate. Candidates are then
    stemmed exactly, so this only skips work (bar a word glued to the end of a dotted number,
    the "x" of "a.2x", which is no longer found).
    """
    prefixes = sorted({stem[: max(1, len(stem) - 2)] for stem in stems}, key=len, reverse=True)
    alternatives = "|".join(re.escape(prefix) for prefix in prefixes)
    return re.compile(
        rf"(?<![^\W_])(?!(?<=[^\W_]\.)\d)(?:(?:{alternatives})[^\W_]*|[^\W_]*[^\x00-\x7f][^\W_]*)(?:\.\d+)*",
        re.IGNORECASE,
    )


def best_pages(
    analyzer: Analyzer,
    forms: dict[str, str | None],
    pages: Sequence[tuple[str, str]],
    stems: set[str],
    max_pages: int,
    candidates: re.Pattern[str] = WORD,
) -> list[tuple[str, str]]:
    """The pages where the query's words occur most, best first, with a marked-up snippet.

    Snippets are HTML: the page text escaped, matched words wrapped in <mark>.
    `forms` caches each word's stem across calls; `candidates` finds the words worth stemming.
    """
    ranked = []
    for number, (where, page_text) in enumerate(pages):
        matches = []
        for found in candidates.finditer(page_text):
            word = found.group().lower()
            if word not in forms:
                forms[word] = first_token(analyzer, word)
            if forms[word] in stems:
                matches.append((found.start(), found.end(), forms[word]))
        if matches:
            distinct = len({stem for _, _, stem in matches})
            ranked.append(((-distinct, -len(matches), number), where, page_text, matches))
    ranked.sort(key=lambda item: item[0])
    return [(where, _snippet(page, matches)) for _, where, page, matches in ranked[:max_pages]]


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
