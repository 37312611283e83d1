"""The pages (or slides, or sheets) of a version, with their text, as stored at upload."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from ..extensions import db
from ..models import Page


def pages_of_version(version_id: int) -> list[Page]:
    """A version's pages in order."""
    return list(
        db.session.scalars(select(Page).where(Page.version_id == version_id).order_by(Page.number))
    )


def pages_of_versions(version_ids: Collection[int]) -> dict[int, list[Page]]:
    """The pages of several versions at once, each version's in order, keyed by version id."""
    found: dict[int, list[Page]] = {}
    if not version_ids:
        return found
    rows = db.session.scalars(
        select(Page).where(Page.version_id.in_(version_ids)).order_by(Page.number)
    )
    for page in rows:
        found.setdefault(page.version_id, []).append(page)
    return found


def text_of_version(version_id: int) -> str:
    """All the extracted text of a version, page after page."""
    texts = db.session.scalars(
        select(Page.text).where(Page.version_id == version_id).order_by(Page.number)
    )
    return "\n\n".join(texts)
