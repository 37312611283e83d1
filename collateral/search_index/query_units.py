"""The user's text as query units: words and quoted phrases, stemmed, typos corrected."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA
from whoosh import query
from whoosh.analysis import Analyzer
from whoosh.searching import Searcher

from .schema import TEXT_FIELDS
from .searchers import Snapshot

_QUOTED = re.compile(r'"([^"]*)"')
# Bounds on user input: a pasted paragraph must not cost seconds of scoring or spelling.
MAX_QUERY_CHARS = 1000
_MAX_WORDS = 24
_MAX_CORRECTIONS = 6
_MIN_CORRECTABLE = 4
_MAX_CORRECTABLE = 30
# Words that shape a question rather than name its subject (the index's stop list is shorter,
# and these are rare in documents, so they would otherwise weigh like subject words). Dropped
# outside quotes unless nothing else is left.
QUESTION_WORDS = frozenset(
    """
    about above after again against all am any anyone anything been before being below between
    both could did do does doing done down during each else few further had has having he her
    here hers him his how i into its itself me more most my no nor off once only other ought our
    out over own same she should so some such than their them then there these they those
    through too under until up very was were what whatever when where whether which while who
    whom whose why would
    """.split()
)


@dataclass
class Unit:
    """One query word (or quoted phrase) with the documents it reaches."""

    words: list[str]
    stems: list[str]
    span: tuple[int, int] | None  # where a single word sits in the query text
    docs: set[int]
    correction: str | None = None
    repeats: int = 1  # how often the query says it: a word said twice matters more


class AnyOf(query.Or):
    """An Or that walks its postings lazily.

    On indexes under 5,000 documents Whoosh's Or preloads and scores every match of every
    term before a filter is applied: ~200 ms for a 10-word query at 2,000 documents.
    """

    matcher_type = query.Or.DEFAULT_MATCHER


def first_token(analyzer: Analyzer, word: str) -> str | None:
    """The indexed form of one word, or None for a stop word."""
    tokens = [token.text for token in analyzer(word)]
    return tokens[0] if tokens else None


def _phrase_query(stems: list[str]) -> query.Query:
    return AnyOf([query.Phrase(name, stems, boost=w) for name, w in TEXT_FIELDS.items()])


def phrase_docs(searcher: Searcher, stems: list[str]) -> set[int]:
    """The documents holding `stems` side by side, in that order, in any searched field."""
    return set(searcher.docs_for_query(_phrase_query(stems)))


def parse_query(
    searcher: Searcher, snap: Snapshot, text: str, visible: frozenset[int]
) -> list[Unit]:
    """The query's words and quoted phrases, each with typo corrections where needed."""
    text = text[:MAX_QUERY_CHARS]
    words_analyzer = searcher.schema["spell"].analyzer
    stem_analyzer = searcher.schema["body"].analyzer
    reader = searcher.reader()
    units: list[Unit] = []
    seen: dict[tuple[str, ...], Unit] = {}
    corrections = 0

    def docs_for(stems: list[str], phrase: bool) -> set[int]:
        if phrase:
            return phrase_docs(searcher, stems) & visible
        # Each field's postings whole, into one set: much faster than walking a matcher.
        found = [
            snap.postings(reader, name, stem).docs
            for stem in stems
            for name in TEXT_FIELDS
            if name in searcher.schema
        ]
        return set(np.concatenate(found).tolist()) & visible

    def add(tokens: list[tuple[str, int, int]], phrase: bool) -> None:
        nonlocal corrections
        stems = [first_token(stem_analyzer, word) or word for word, _, _ in tokens]
        if tuple(stems) in seen:
            seen[tuple(stems)].repeats += 1
            return
        if not stems or len(units) >= _MAX_WORDS:
            return
        words = [text[start:end].lower() for _, start, end in tokens]
        is_phrase = phrase and len(stems) > 1
        span = None if is_phrase else tokens[0][1:]
        unit = Unit(words, stems, span, docs_for(stems, is_phrase))
        seen[tuple(stems)] = unit
        word = tokens[0][0]
        if (
            not unit.docs
            and not is_phrase
            and corrections < _MAX_CORRECTIONS
            and _MIN_CORRECTABLE <= len(word) <= _MAX_CORRECTABLE
            and not any(ch.isdigit() for ch in word)
        ):
            corrections += 1
            _correct(unit, word, reader, snap.spelling_words(reader), stem_analyzer, docs_for)
        units.append(unit)

    def add_words(start: int, end: int) -> None:
        for token in words_analyzer(text[start:end], chars=True):
            if token.text not in QUESTION_WORDS or not subject_words:
                add([(token.text, start + token.startchar, start + token.endchar)], False)

    outside = _QUOTED.sub(" ", text)
    subject_words = any(
        token.text not in QUESTION_WORDS for token in words_analyzer(outside)
    ) or bool(_QUOTED.search(text))

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


def _correct(
    unit: Unit,
    word: str,
    reader: Any,
    words_by_initial: Mapping[str, list[str]],
    stem_analyzer: Analyzer,
    docs_for: Callable[[list[str], bool], set[int]],
) -> None:
    """Add the nearest visible word to `unit`, closest edit distance first, then commonest.

    Only words that reach a visible document count, so a suggestion can't reveal a draft.
    Candidates share the first letter (misspellings rarely touch it) and are at most 1 edit
    away (2 for words over 5 letters), counting a swap of neighbours as one edit as Whoosh
    does; rapidfuzz compares the word with the index's words of that letter in C, where
    Whoosh's automaton walks the lexicon in Python. At most 5 of each distance are tried.
    """
    maxdist = 1 if len(word) <= 5 else 2
    by_distance: dict[int, list[str]] = {}
    choices = words_by_initial.get(word[:1], [])
    for candidate, distance, _ in process.extract(
        word, choices, scorer=OSA.distance, score_cutoff=maxdist, limit=None
    ):
        if candidate != word:
            by_distance.setdefault(distance, []).append(candidate)
    tried: set[str] = set()
    for distance in sorted(by_distance):
        ranked = sorted(by_distance[distance], key=lambda w: (-reader.frequency("spell", w), w))
        for candidate in ranked[:5]:
            stem = first_token(stem_analyzer, candidate)
            if candidate in tried or stem is None:
                continue
            tried.add(candidate)
            docs = docs_for([stem], False)
            if docs:
                unit.correction = candidate
                unit.stems.append(stem)
                unit.docs = docs
                return
