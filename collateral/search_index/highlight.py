"""Highlighting: the pages where the query's words occur most, with marked-up snippets.

The cost is bounded whatever the files' size: at most FILE_SCAN_CHARS of one file's text and
REQUEST_SCAN_CHARS of a page of results are scanned (shared so that small files are scanned
whole and big ones share the rest), at most MATCHES_PER_PAGE matches are kept per page and at
most NEW_WORDS_PER_REQUEST distinct words are stemmed. A word past those bounds is still found
by the search; it is just not shown in context (Elasticsearch's highlighter stops likewise, at
`index.highlight.max_analyzed_offset`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import TypeVar

from whoosh.analysis import Analyzer
from whoosh.searching import Searcher

from .query_units import first_token, parse_query
from .schema import WORD
from .searchers import Snapshot

_SNIPPET_CHARS = 200
# Scanning costs about 0.1 s per million characters (more where the words match often).
FILE_SCAN_CHARS = 200_000
REQUEST_SCAN_CHARS = 600_000
MATCHES_PER_PAGE = 500
NEW_WORDS_PER_REQUEST = 20_000
K = TypeVar("K")
_WHITESPACE = re.compile(r"\s+")


def best_pages_of_each(
    searcher: Searcher,
    snap: Snapshot,
    pages_by_key: Mapping[K, Sequence[tuple[str, str]]],
    text: str,
    max_pages: int,
    terms: Sequence[str] | None = None,
) -> dict[K, list[tuple[int, str, str]]]:
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
    prefixes = _prefixes(stems)
    forms: dict[str, str | None] = {}  # each distinct word is analyzed once, for all files
    sizes = {key: sum(len(page) for _, page in pages) for key, pages in pages_by_key.items()}
    budgets = _shares(sizes, min(REQUEST_SCAN_CHARS, FILE_SCAN_CHARS * len(sizes)))
    return {
        key: best_pages(
            analyzer,
            forms,
            _worth_scanning(pages, prefixes, budgets[key]),
            stems,
            max_pages,
            candidates,
            prefixes,
        )
        for key, pages in pages_by_key.items()
    }


def _shares(sizes: Mapping[K, int], total: int) -> dict[K, int]:
    """Characters each file may scan: `total` shared out smallest file first, each taking at
    most its size, FILE_SCAN_CHARS and an equal share of what is left."""
    shares: dict[K, int] = {}
    left = total
    for done, key in enumerate(sorted(sizes, key=lambda key: sizes[key])):
        share = min(sizes[key], FILE_SCAN_CHARS, left // (len(sizes) - done))
        shares[key] = share
        left -= share
    return shares


def _worth_scanning(
    pages: Sequence[tuple[str, str]], prefixes: list[str], budget: int
) -> list[tuple[int, str, str]]:
    """The pages (numbered by position) that may hold a query word, within `budget` characters.

    A page of plain ASCII text lacking every stem's beginning cannot hold a match, and finding
    that out costs a thousandth of scanning it, so such pages cost nothing from the budget.
    The last page scanned is cut between words.
    """
    kept = []
    for number, (where, text) in enumerate(pages):
        if budget <= 0:
            break
        if text.isascii():
            lowered = text.lower()
            if not any(prefix in lowered for prefix in prefixes):
                continue
        if len(text) > budget:
            text = text[:budget]
            space = max(text.rfind(" "), text.rfind("\n"))
            text = text[:space] if space > 0 else text
        budget -= len(text)
        kept.append((number, where, text))
    return kept


def _prefixes(stems: set[str]) -> list[str]:
    """What every word that may stem to one of `stems` starts with (see _candidate_words)."""
    return sorted({stem[: max(1, len(stem) - 2)] for stem in stems}, key=len, reverse=True)


def _candidate_words(stems: set[str]) -> re.Pattern[str]:
    """The words of a page that may stem to one of `stems`, found by the regex engine.

    Stemming every word of a 20,000-word page in Python costs tens of milliseconds. The Porter
    stemmer only rewrites a word's ending, so an ASCII word whose stem is S starts with S less
    its last letter (checked on 35,000 words, with a letter to spare here); words with other
    letters fold accents first, so each of those stays a candidate. Candidates are then
    stemmed exactly, so this only skips work (bar a word glued to the end of a dotted number,
    the "x" of "a.2x", which is no longer found).
    """
    alternatives = "|".join(re.escape(prefix) for prefix in _prefixes(stems))
    return re.compile(
        rf"(?<![^\W_])(?!(?<=[^\W_]\.)\d)(?:(?:{alternatives})[^\W_]*|[^\W_]*[^\x00-\x7f][^\W_]*)(?:\.\d+)*",
        re.IGNORECASE,
    )


def best_pages(
    analyzer: Analyzer,
    forms: dict[str, str | None],
    pages: Sequence[tuple[int, str, str]],
    stems: set[str],
    max_pages: int,
    candidates: re.Pattern[str] = WORD,
    prefixes: Sequence[str] = (),
) -> list[tuple[int, str, str]]:
    """The pages where the query's words occur most, best first: each page's number (as
    given), where it is, and a marked-up snippet.

    Snippets are HTML: the page text escaped, matched words wrapped in <mark>.
    `forms` caches each word's stem across calls; `candidates` finds the words worth stemming,
    or, in pages of plain ASCII, the words starting with one of `prefixes` (the same words).
    """
    ranked = []
    for number, where, page_text in pages:
        matches = []
        if prefixes and page_text.isascii():
            words = _ascii_candidates(page_text, prefixes)
        else:
            words = ((m.start(), m.end(), m.group()) for m in candidates.finditer(page_text))
        for start, end, found in words:
            word = found.lower()
            if word not in forms:
                if len(forms) >= NEW_WORDS_PER_REQUEST:
                    continue
                forms[word] = first_token(analyzer, word)
            if forms[word] in stems:
                matches.append((start, end, forms[word]))
                if len(matches) >= MATCHES_PER_PAGE:
                    break
        if matches:
            distinct = len({stem for _, _, stem in matches})
            ranked.append(((-distinct, -len(matches), number), where, page_text, matches))
    ranked.sort(key=lambda item: item[0])
    return [
        (key[2], where, _snippet(page, matches)) for key, where, page, matches in ranked[:max_pages]
    ]


def _ascii_candidates(text: str, prefixes: Sequence[str]) -> Iterator[tuple[int, int, str]]:
    """The words of ASCII `text` that start with one of `prefixes`, in order, as the
    `_candidate_words` regex finds them: (start, end, word).

    str.find runs at memory speed where the regex engine tries every position in Python's
    slower loop, so a long page where the words are rare costs little.
    """
    lowered = text.lower()
    starts: set[int] = set()
    for prefix in prefixes:
        at = lowered.find(prefix)
        while at >= 0:
            starts.add(at)
            at = lowered.find(prefix, at + 1)
    end = 0
    for start in sorted(starts):
        if start < end:
            continue  # inside the word found before
        before = lowered[start - 1] if start else " "
        if before.isalnum():
            continue  # not the start of a word
        if before == "." and start > 1 and lowered[start - 2].isalnum() and text[start].isdigit():
            continue  # the decimals of a dotted number, "2.5"
        found = WORD.match(text, start)
        if found:
            end = found.end()
            yield start, end, found.group()


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
