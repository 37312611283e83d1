"""The plain values the search index takes and returns, and the error it raises when busy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

# The orders a SearchQuery may ask for.
SORTS = ("relevance", "newest", "popular")


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
    # The names of its products, industries, stages and content type, so words find them.
    term_names: list[str] = field(default_factory=list)


@dataclass
class ChangeBatch:
    """Changes owed to an index: what to add or replace, what to remove, and the change-log
    position the index will have applied once they are written."""

    upserts: Iterable[IndexDocument]
    deletes: Iterable[int]
    position: int


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
