"""Suggestions as a rep types in the search box: titles, taxonomy terms, tags and words, drawn
only from assets the rep may see (a draft's title, tags or words never appear).

A suggestion must come back in a few milliseconds, so titles, tags and the words of titles and
descriptions are held in memory per process (`Lexicon`), with each asset's status and expiry.
Visibility is decided per request from those, and the lexicon is rebuilt whenever the assets
change: every change to an asset's title, description, tags or status sets its `updated_at`,
so (count, largest id, latest `updated_at`) changes with it, whichever process made it.
"""

from __future__ import annotations

import heapq
import re
import threading
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from ..errors import InvalidInput
from ..extensions import db
from ..models import Asset, Term, User
from ..permissions import SEE_DRAFTS, can
from .assets import today_utc

MAX_SUGGESTIONS = 10
FIRST_TITLES = 5  # titles before terms, tags and words; more titles fill any room left
MAX_PREFIX = 100
WORD = re.compile(r"[^\W\d_][^\W_]{2,}")  # three letters or more, starting with a letter
MAX_CANDIDATES = 3000  # assets weighed for titles that hold the word inside them


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str  # title, term, tag or word
    asset: int | None = None


@dataclass(frozen=True)
class _Asset:
    title: str
    status: str
    expires_at: date | None
    downloads: int


class Lexicon:
    """Titles, tags and words of every asset, for prefix lookups; knows each asset's status
    and expiry so a lookup can keep only what its caller may see."""

    def __init__(self, stamp: tuple, rows) -> None:
        self.stamp = stamp
        self.assets: dict[int, _Asset] = {}
        titles: list[tuple[str, int]] = []
        title_words: dict[str, list[int]] = defaultdict(list)
        words: dict[str, list[int]] = defaultdict(list)
        tags: dict[str, list[int]] = defaultdict(list)
        self.tag_text: dict[str, str] = {}
        self.unpublished: set[int] = set()
        self.expiry: dict[int, date] = {}
        for asset_id, title, description, tag_list, status, expires_at, downloads in rows:
            self.assets[asset_id] = _Asset(title, status, expires_at, downloads or 0)
            if status != "published":
                self.unpublished.add(asset_id)
            if expires_at is not None:
                self.expiry[asset_id] = expires_at
            lower = title.casefold()
            titles.append((lower, asset_id))
            for word in set(WORD.findall(lower)):
                title_words[word].append(asset_id)
            for word in set(WORD.findall(f"{lower} {(description or '').casefold()}")):
                words[word].append(asset_id)
            for tag in tag_list or []:
                key = tag.casefold()
                tags[key].append(asset_id)
                self.tag_text.setdefault(key, tag)
        titles.sort()
        self.title_keys = [t for t, _ in titles]
        self.title_ids = [i for _, i in titles]
        self.title_words = _by_frequency(title_words)
        self.words = _by_frequency(words)
        self.tags = _by_frequency(tags)

    def visibility(self, sees_all: bool, today: date):
        """A test of "may this caller see asset i", as cheap as it can be made."""
        if sees_all:
            return lambda asset_id: True
        hidden, expiry = self.unpublished, self.expiry
        return lambda i: i not in hidden and (i not in expiry or expiry[i] >= today)


def _by_frequency(index: dict[str, list[int]]) -> dict[str, list[tuple[str, list[int]]]]:
    """Entries grouped by their first two letters, most frequent first: a prefix reads one
    short group instead of sorting a range on every keystroke."""
    groups: dict[str, list[tuple[str, list[int]]]] = defaultdict(list)
    for key, ids in index.items():
        groups[key[:2]].append((key, ids))
    for group in groups.values():
        group.sort(key=lambda entry: (-len(entry[1]), entry[0]))
    return dict(groups)


_lock = threading.Lock()


def _stamp() -> tuple:
    """What changes whenever an asset is added, removed or changed (three index reads)."""
    return (
        db.session.scalar(select(func.count(Asset.id))),
        db.session.scalar(select(func.max(Asset.id))),
        db.session.scalar(select(func.max(Asset.updated_at))),
    )


def current_lexicon() -> Lexicon:
    """This process's lexicon, rebuilt first if any asset changed since it was made."""
    stamp = _stamp()
    lexicon = current_app.extensions.get("collateral.suggest_lexicon")
    if lexicon is not None and lexicon.stamp == stamp:
        return lexicon
    with _lock:
        rows = db.session.execute(
            select(
                Asset.id,
                Asset.title,
                Asset.description,
                Asset.tags,
                Asset.status,
                Asset.expires_at,
                Asset.download_count,
            )
        ).all()
        lexicon = Lexicon(stamp, rows)
        current_app.extensions["collateral.suggest_lexicon"] = lexicon
    return lexicon


def suggest(user: User, q: str) -> list[Suggestion]:
    """Up to MAX_SUGGESTIONS completions of `q`: titles that start with it (or have a word
    that does), then taxonomy terms, tags and words of the assets the user may see, then more
    titles if there is room."""
    text = " ".join((q or "").split()).casefold()
    if len(text) > MAX_PREFIX:
        raise InvalidInput(f"q: at most {MAX_PREFIX} characters.", field="q")
    if len(text) < 2:
        return []
    lexicon = current_lexicon()
    visible = lexicon.visibility(can(user, SEE_DRAFTS), today_utc())

    titles = _titles(lexicon, text, visible)
    found = titles[:FIRST_TITLES]
    terms = db.session.scalars(
        select(Term.name)
        .where(Term.retired.is_(False), func.lower(Term.name).startswith(text, autoescape=True))
        .order_by(Term.kind, Term.position)
        .limit(3)
    ).all()
    found += [Suggestion(name, "term") for name in terms]
    seen = {s.text.casefold() for s in found}
    found += [
        Suggestion(lexicon.tag_text[key], "tag")
        for key in _keys(lexicon.tags, text, visible, seen, 3, exact=True)
    ]
    if " " not in text:
        seen = {s.text.casefold() for s in found}
        found += [Suggestion(w, "word") for w in _keys(lexicon.words, text, visible, seen, 4)]
    found += titles[FIRST_TITLES:]
    return found[:MAX_SUGGESTIONS]


def _titles(lexicon: Lexicon, text: str, visible) -> list[Suggestion]:
    """Titles starting with `text`, then titles with a word starting with it; each group
    most downloaded first."""
    start = bisect_left(lexicon.title_keys, text)
    leading: list[int] = []
    for key, asset_id in zip(lexicon.title_keys[start:], lexicon.title_ids[start:], strict=False):
        if not key.startswith(text):
            break
        if visible(asset_id):
            leading.append(asset_id)
    found = _most_downloaded(lexicon, leading)
    if len(found) < MAX_SUGGESTIONS:
        first = text.split(" ")[0]
        taken, inner = set(found), set()
        for word, ids in lexicon.title_words.get(first[:2], []):
            if word.startswith(first):
                inner.update(ids)
                if len(inner) >= MAX_CANDIDATES:
                    break
        inner = {
            i
            for i in inner - taken
            if f" {lexicon.assets[i].title.casefold()}".find(f" {text}") >= 0 and visible(i)
        }
        found += _most_downloaded(lexicon, list(inner))
    return [Suggestion(lexicon.assets[i].title, "title", i) for i in found[:MAX_SUGGESTIONS]]


def _most_downloaded(lexicon: Lexicon, ids) -> list[int]:
    assets = lexicon.assets
    return heapq.nsmallest(MAX_SUGGESTIONS, ids, key=lambda i: (-assets[i].downloads, i))


def _keys(groups, text: str, visible, seen: set[str], limit: int, exact: bool = False):
    """The most frequent keys starting with `text` (other than `text` itself, for words)
    that at least one visible asset holds."""
    found: list[str] = []
    for key, ids in groups.get(text[:2], []):
        if not key.startswith(text) or key in seen or (key == text and not exact):
            continue
        if any(visible(i) for i in ids):
            found.append(key)
            if len(found) == limit:
                break
    return found
