"""The app's blob store and search index, as bound by the factory."""

from flask import current_app

from ..search_index import SearchIndex
from ..storage import BlobStore


def blob_store() -> BlobStore:
    return current_app.extensions["collateral.blob_store"]


def search_index() -> SearchIndex:
    return current_app.extensions["collateral.search_index"]
