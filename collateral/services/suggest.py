"""Suggestions as a rep types in the search box: titles, taxonomy terms, tags and words, drawn
only from assets the rep may see (a draft's title or words never appear)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import String, cast, func, or_, select, true

from ..errors import InvalidInput
from ..extensions import db
from ..models import Asset, Term, User
from ..permissions import SEE_DRAFTS, can
from .assets import today_utc

MAX_SUGGESTIONS = 10
FIRST_TITLES = 5  # titles before terms, tags and words; more titles fill any room left
MAX_PREFIX = 100
WORD = re.compile(r"[^\W_]{3,}")
SAMPLE = 200  # matching assets read for tags and words: enough to find the common ones


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str  # title, term, tag or word
    asset: int | None = None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped


def _visible(user: User):
    if can(user, SEE_DRAFTS):
        return true()
    return (Asset.status == "published") & (
        Asset.expires_at.is_(None) | (Asset.expires_at >= today_utc())
    )


def suggest(user: User, q: str) -> list[Suggestion]:
    """Up to MAX_SUGGESTIONS completions of `q`: titles that start with it (or have a word
    that does), then taxonomy terms, tags and words of the assets the user may see, then more
    titles if there is room."""
    text = " ".join((q or "").split()).casefold()
    if len(text) > MAX_PREFIX:
        raise InvalidInput(f"q: at most {MAX_PREFIX} characters.", field="q")
    if len(text) < 2:
        return []
    pattern = _like(text)
    visible = _visible(user)
    title = func.lower(Asset.title)
    starts = title.like(f"{pattern}%", escape="\\")
    inner = title.like(f"% {pattern}%", escape="\\")
    titles = db.session.execute(
        select(Asset.id, Asset.title)
        .where(visible, or_(starts, inner))
        .order_by(starts.desc(), Asset.download_count.desc(), Asset.id)
        .limit(MAX_SUGGESTIONS)
    ).all()
    found = [Suggestion(t, "title", i) for i, t in titles[:FIRST_TITLES]]
    terms = db.session.scalars(
        select(Term.name)
        .where(Term.retired.is_(False), func.lower(Term.name).like(f"{pattern}%", escape="\\"))
        .order_by(Term.kind, Term.position)
        .limit(3)
    ).all()
    found += [Suggestion(name, "term") for name in terms]
    found += _tags_and_words(visible, text, pattern, {s.text.casefold() for s in found})
    found += [Suggestion(t, "title", i) for i, t in titles[FIRST_TITLES:]]  # room left: more
    return found[:MAX_SUGGESTIONS]


def _tags_and_words(visible, text: str, pattern: str, seen: set[str]) -> list[Suggestion]:
    """Tags starting with `text`, then words of titles and descriptions that do, the most
    frequent first, from a sample of the visible assets that hold them."""
    tags_text = func.lower(cast(Asset.tags, String))
    tag_rows = db.session.scalars(
        select(Asset.tags)
        .where(visible, tags_text.like(f'%"{pattern}%', escape="\\"))
        .limit(SAMPLE)
    ).all()
    tags: Counter[str] = Counter()
    for row in tag_rows:
        for tag in row or []:
            if tag.casefold().startswith(text) and tag.casefold() not in seen:
                tags[tag] += 1
    result = [Suggestion(tag, "tag") for tag, _ in tags.most_common(3)]
    seen |= {s.text.casefold() for s in result}
    if " " in text:
        return result
    words: Counter[str] = Counter()
    rows = db.session.execute(
        select(Asset.title, Asset.description)
        .where(
            visible,
            or_(
                func.lower(Asset.title).like(f"%{pattern}%", escape="\\"),
                func.lower(Asset.description).like(f"%{pattern}%", escape="\\"),
            ),
        )
        .limit(SAMPLE)
    ).all()
    for title, description in rows:
        for word in WORD.findall(f"{title} {description}".casefold()):
            if word.startswith(text) and word != text and word not in seen:
                words[word] += 1
    result += [Suggestion(word, "word") for word, _ in words.most_common(4)]
    return result
