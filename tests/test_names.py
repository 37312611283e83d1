"""The names the search index keeps for itself agree with the models' (the index imports
neither the models nor Flask, so it spells them once on its own side)."""

from __future__ import annotations

from collateral.models import KIND_PLURALS, LIST_TERM_KINDS, TERM_KINDS
from collateral.search_index import FACET_FIELDS
from collateral.services.asset_fields import FIELDS, TERM_FIELDS


def test_the_index_facets_are_the_taxonomy_kinds():
    assert FACET_FIELDS == TERM_KINDS


def test_the_api_names_derived_from_the_kinds_stay_what_clients_send():
    assert TERM_FIELDS == ("products", "industries", "stages")
    assert FIELDS[2:6] == ("products", "industries", "stages", "content_type")
    assert tuple(KIND_PLURALS.values()) == ("products", "industries", "stages", "content_types")
    assert set(LIST_TERM_KINDS) < set(TERM_KINDS) == set(KIND_PLURALS)
