"""Searching the library as a given user sees it, with facets, highlights and audit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from ..errors import Forbidden, InvalidInput
from ..extensions import db
from ..models import FULL_ASSET, STATUSES, TERM_KINDS, Asset, User
from ..permissions import SEE_DRAFTS, can, can_view_asset
from ..query_params import positive_int
from ..search_index import FACET_FIELDS, HIGHLIGHT_FILE_CHARS, SORTS, SearchQuery
from .actor import Actor
from .assets import today_utc
from .audit import record_search
from .pages import page_starts_of_versions
from .resources import search_index
from .taxonomy import resolve_terms, term_names_by_id

MAX_PER_PAGE = 100
MAX_QUERY_LENGTH = 500
# Query parameter -> taxonomy kind (each kind is its own parameter); `tag` is free text.
FACET_PARAMS = {kind: kind for kind in TERM_KINDS}


@dataclass
class SearchParams:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)  # names, by facet parameter
    tags: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20


@dataclass
class SearchItem:
    asset: Asset
    score: float | None
    highlights: list[dict[str, str | int]]


@dataclass
class SearchOutcome:
    params: SearchParams
    total: int
    items: list[SearchItem]
    facets: dict[str, dict[str, int]]
    suggestion: str | None
    search_id: int | None = None  # the audited search event; result links carry it

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.params.per_page))


def parse_search_params(args: Mapping) -> SearchParams:
    """Read search parameters from a query string (a MultiDict), checking each one."""
    getlist = args.getlist
    q = (args.get("q") or "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidInput(f"q: at most {MAX_QUERY_LENGTH} characters.", field="q")
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        raise InvalidInput(f"sort: must be one of {', '.join(SORTS)}.", field="sort")
    statuses = [s for s in getlist("status") if s]
    for status in statuses:
        if status not in STATUSES:
            raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}.", field="status")
    return SearchParams(
        q=q,
        filters={p: [v for v in getlist(p) if v.strip()] for p in FACET_PARAMS if getlist(p)},
        tags=[t.strip() for t in getlist("tag") if t.strip()],
        statuses=statuses,
        sort=sort,
        page=positive_int(args.get("page"), "page", 1, 10_000),
        per_page=positive_int(args.get("per_page"), "per_page", 20, MAX_PER_PAGE),
    )


def _visible_statuses(user: User, params: SearchParams) -> tuple[str, ...]:
    if params.statuses:
        if not can(user, SEE_DRAFTS):
            raise Forbidden("Only marketers and admins can filter by status.")
        return tuple(params.statuses)
    return ("published", "draft") if can(user, SEE_DRAFTS) else ("published",)


def _highlights(
    assets: dict[int, Asset], query_text: str, terms: list[str]
) -> dict[int, list[dict[str, str | int]]]:
    """Where in each asset's current version the words occur, from the text in the database.

    `terms` are the words (and corrections) the search found, so the query is parsed once.
    Only the start of each page that highlighting may scan is read (HIGHLIGHT_FILE_CHARS,
    cut by the database), so a page of results holding big files costs little more to load.
    """
    if not query_text.strip() or not assets:
        return {}
    version_of = {}
    for asset in assets.values():
        version = asset.current_version
        if version is not None and version.has_text:
            version_of[version.id] = asset.id
    pages: dict[int, list[tuple[str, str]]] = {}
    numbers: dict[int, list[int]] = {}
    if version_of:
        for start in page_starts_of_versions(version_of, HIGHLIGHT_FILE_CHARS):
            asset_id = version_of[start.version_id]
            pages.setdefault(asset_id, []).append((start.where, start.text))
            numbers.setdefault(asset_id, []).append(start.number)
    found = search_index().highlight_many(pages, query_text, terms=terms)
    return {
        asset_id: [
            {"where": where, "page": numbers[asset_id][position], "text": text}
            for position, where, text in marks
        ]
        for asset_id, marks in found.items()
    }


def _popularity() -> dict[int, int]:
    rows = db.session.execute(
        select(Asset.id, Asset.download_count).where(Asset.download_count > 0)
    )
    return {asset_id: count for asset_id, count in rows}


def search_assets(actor: Actor, params: SearchParams, *, audit: bool = True) -> SearchOutcome:
    """Run a search as this user may see the library; the first page of a search is audited."""
    user = actor.user
    term_ids: dict[str, list[int]] = {}
    for param, names in params.filters.items():
        term_ids[param] = [t.id for t in resolve_terms(FACET_PARAMS[param], names, param)]
    index_filters: dict[str, list] = dict(term_ids)
    if params.tags:
        index_filters["tag"] = params.tags
    today = today_utc()
    query = SearchQuery(
        text=params.q,
        statuses=_visible_statuses(user, params),
        include_expired=can(user, SEE_DRAFTS),
        today=today,
        filters=index_filters,
        sort=params.sort,
        popularity=_popularity() if params.sort == "popular" else None,
        page=params.page,
        per_page=params.per_page,
    )
    result = search_index().search(query)
    ids = [hit.asset_id for hit in result.hits]
    # The database has the last word: an index a moment behind it (updates still in the
    # change log) must not show anyone an asset they may no longer see.
    assets = {
        a.id: a
        for a in db.session.scalars(select(Asset).where(Asset.id.in_(ids)).options(*FULL_ASSET))
        if can_view_asset(user, a, today) and a.status in query.statuses
    }
    highlights = _highlights(assets, params.q, result.query_terms)
    items = [
        SearchItem(assets[hit.asset_id], hit.score, highlights.get(hit.asset_id, []))
        for hit in result.hits
        if hit.asset_id in assets
    ]
    names = term_names_by_id()
    facets = {
        facet: {names[i]: n for i, n in result.facets.get(facet, {}).items() if i in names}
        for facet in FACET_FIELDS
    }
    total = result.total - (len(result.hits) - len(items))
    search_id = None
    if audit and params.page == 1 and (params.q or params.filters or params.tags):
        event = record_search(
            actor,
            params.q,
            {**params.filters, **({"tag": params.tags} if params.tags else {})},
            total,
            params.sort,
            [i for ids in term_ids.values() for i in ids],
        )
        search_id = event.id
        db.session.commit()
    return SearchOutcome(params, total, items, facets, result.suggestion, search_id)
