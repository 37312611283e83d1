"""Full-text search over assets: the only package that knows the search engine (Whoosh).

Layout: ``root/CURRENT`` names the live generation folder ``root/gen-<ns>/``; a rebuild fills a
fresh generation and swaps ``CURRENT`` atomically, so no searcher ever sees a half-built index.

The rest of the app imports from here. Inside: ``values`` (what goes in and comes out),
``schema`` (fields, analyzers, an asset's fields), ``generations`` (folders and ``CURRENT``),
``writing`` (apply, rebuild, optimize under the writer lock), ``searchers`` (searcher pool and
per-generation snapshots), ``query_units`` (words, phrases, typo correction), ``searching``
(filters, ranking, facets), ``scoring`` (BM25F relevance), ``highlight`` (best pages and
snippets) and ``index`` (SearchIndex, which ties them together).
"""

from .highlight import FILE_SCAN_CHARS as HIGHLIGHT_FILE_CHARS
from .index import SearchIndex
from .schema import FACET_FIELDS, TEXT_FIELDS, bounded_body, document_fingerprint
from .values import SORTS, ChangeBatch, Hit, IndexBusy, IndexDocument, SearchQuery, SearchResult

__all__ = [
    "FACET_FIELDS",
    "HIGHLIGHT_FILE_CHARS",
    "SORTS",
    "TEXT_FIELDS",
    "bounded_body",
    "ChangeBatch",
    "document_fingerprint",
    "Hit",
    "IndexBusy",
    "IndexDocument",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
]
