"""Bringing a database and index into being, or up to date."""

from __future__ import annotations

from flask_migrate import upgrade

from .indexing import apply_pending_index_updates, rebuild_index
from .resources import search_index
from .taxonomy import seed_default_terms


def init_database() -> int:
    """Run the migrations, create the index, seed the defaults; safe to run again."""
    upgrade()
    search_index().ensure_exists()
    if search_index().missing_fields():  # an index from before a schema change
        rebuild_index()
    added = seed_default_terms()
    apply_pending_index_updates()
    return added
