"""The app's blob store and search index, as bound by the factory."""

from flask import current_app

from ..search_index import SearchIndex
from ..storage import BlobStore


def blob_store() -> BlobStore:
    return current_app.extensions["collateral.blob_store"]


def search_index() -> SearchIndex:
    return current_app.extensions["collateral.search_index"]


def client_ip() -> str | None:
    """The caller's address (behind a proxy, configure ProxyFix in the WSGI server)."""
    from flask import has_request_context, request

    return request.remote_addr if has_request_context() else None
