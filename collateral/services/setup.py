"""Bringing a database and index into being, or up to date."""

from __future__ import annotations

from flask_migrate import upgrade

from .indexing import applied_position, apply_pending_index_updates, rebuild_index
from .resources import search_index
from .taxonomy import seed_default_terms


def init_database() -> int:
    """Run the migrations, create the index, seed the defaults; safe to run again."""
    upgrade()
    search_index().ensure_exists()
    # An index from before a schema change, or one that records no change-log position (new,
    # or from before the log), is built from the database.
    if search_index().missing_fields() or applied_position() is None:
        rebuild_index()
    added = seed_default_terms()
    apply_pending_index_updates(rebuild=True)
    return added
