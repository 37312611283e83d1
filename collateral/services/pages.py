"""The pages (or slides, or sheets) of a version, with their text, as stored at upload."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import NamedTuple

from sqlalchemy import func, select

from ..extensions import db
from ..models import Page, page_where


def pages_of_version(version_id: int) -> list[Page]:
    """A version's pages in order."""
    return list(
        db.session.scalars(select(Page).where(Page.version_id == version_id).order_by(Page.number))
    )


def text_of_version(version_id: int) -> str:
    """All the extracted text of a version, page after page."""
    texts = db.session.scalars(
        select(Page.text).where(Page.version_id == version_id).order_by(Page.number)
    )
    return "\n\n".join(texts)


class PageStart(NamedTuple):
    version_id: int
    number: int
    where: str  # "page 3", "slide 3", a sheet's name
    text: str  # no more than the first `max_chars` characters


def page_starts_of_versions(version_ids: Collection[int], max_chars: int) -> Iterator[PageStart]:
    """The pages of these versions in order, each with no more of its text than the first
    `max_chars` characters, cut by the database so a huge page costs no more to read."""
    if not version_ids:
        return
    rows = db.session.execute(
        select(
            Page.version_id,
            Page.number,
            Page.label,
            Page.name,
            func.substr(Page.text, 1, max_chars),
        )
        .where(Page.version_id.in_(version_ids))
        .order_by(Page.version_id, Page.number)
    )
    for version_id, number, label, name, text in rows:
        yield PageStart(version_id, number, page_where(label, name, number), text)
