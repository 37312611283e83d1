"""The index's fields and analyzers, and the fields one asset is indexed as."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from whoosh import columns, fields, formats
from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.support.charset import accent_map

from .values import IndexDocument

FACET_FIELDS = ("product", "industry", "stage", "content_type")
# Searched fields and their weights: a word in the title says more than one deep in the body.
# Taxonomy names weigh like a description: chosen by a person, but shared by many assets.
TEXT_FIELDS = {
    "title": 3.0,
    "tags": 2.0,
    "term_names": 1.5,
    "description": 1.5,
    "filename": 1.0,
    "body": 1.0,
}

# Dots join only digits ("v2.0", "3.5") and underscores split, so "acme_pricing.pdf" is 3 words.
_WORD_PATTERN = r"[^\W_]+(?:\.\d+)*"
_FILENAME_SEPARATORS = re.compile(r"[\W_]+")
WORD = re.compile(_WORD_PATTERN)
_NO_EXPIRY = 99991231
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _analyzer(stem: bool) -> Analyzer:
    """Words, lower-cased, accents folded, stop words dropped, optionally Porter-stemmed."""
    chain = (
        RegexTokenizer(_WORD_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map) | StopFilter()
    )
    return chain | StemFilter() if stem else chain


def new_schema() -> fields.Schema:
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
        # A hash of the other fields, so `flask check` can tell a stale document cheaply.
        fingerprint=fields.COLUMN(columns.NumericColumn("Q")),
    )


def bounded_body(text: str, max_chars: int, max_words: int) -> str:
    """The start of `text` that the index takes: at most `max_chars` characters and at most
    `max_words` distinct words, cut between words.

    Writing a segment costs Whoosh about 0.1 ms per distinct word and field, so a 5 MB export
    of distinct values held the upload (and, merged, every later one) for minutes; like
    Lucene's maxFieldLength, words past the bound are not searchable (the file is kept whole).
    """
    if len(text) <= min(max_chars, max_words):
        return text  # every word takes a character at least: too short to reach either bound
    seen: set[str] = set()
    end = len(text)
    for found in WORD.finditer(text, 0, max_chars + 1):
        if found.end() > max_chars:
            end = found.start()
            break
        seen.add(found.group().lower())
        if len(seen) > max_words:
            end = found.start()
            break
    else:
        if len(text) > max_chars:
            end = max_chars
    return text[:end]


def normalize_tag(tag: str) -> str:
    """Tags match case-insensitively; commas separate tags in the index, so none inside one."""
    return " ".join(tag.replace(",", " ").casefold().split())


def _micros(moment: datetime) -> int:
    """Microseconds since the epoch; naive datetimes are taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def yyyymmdd(day: date | None) -> int:
    """A date as the integer the `expires` field holds; None never expires."""
    return _NO_EXPIRY if day is None else day.year * 10000 + day.month * 100 + day.day


def _fingerprint(values: dict[str, Any]) -> int:
    # `spell` is left out: it is made from the other fields, in set order.
    shown = {name: value for name, value in values.items() if name != "spell"}
    encoded = json.dumps(shown, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return int.from_bytes(hashlib.sha256(encoded).digest()[:8], "big")


def document_fingerprint(doc: IndexDocument) -> int:
    """A 64-bit hash of what the index holds for `doc`: equal exactly when nothing changed."""
    return document_fields(doc)["fingerprint"]


def document_fields(doc: IndexDocument) -> dict[str, Any]:
    """The Whoosh fields for one asset."""
    filename = _FILENAME_SEPARATORS.sub(" ", doc.filename)
    tags = [tag for tag in (normalize_tag(t) for t in doc.tags) if tag]
    term_names = " ; ".join(doc.term_names)
    spelled = (doc.title, doc.description, filename, " ".join(doc.tags), term_names, doc.body)
    values: dict[str, Any] = {
        "asset_id": doc.asset_id,
        "title": doc.title,
        "description": doc.description,
        "body": doc.body,
        "filename": filename,
        "tags": " ; ".join(doc.tags),
        "term_names": term_names,
        # Each distinct word once: the spell field only records which words exist.
        "spell": " ".join(set(WORD.findall(" ".join(spelled).lower()))),
        "tag": ",".join(tags),
        "product": " ".join(str(i) for i in doc.products),
        "industry": " ".join(str(i) for i in doc.industries),
        "stage": " ".join(str(i) for i in doc.stages),
        "content_type": "" if doc.content_type is None else str(doc.content_type),
        "status": doc.status,
        "expires": yyyymmdd(doc.expires_on),
        "sort_date": _micros(doc.sort_date),
    }
    values = {name: value for name, value in values.items() if value != ""}
    values["fingerprint"] = _fingerprint(values)
    return values
