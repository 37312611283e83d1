"""Who acts, and from where: what a view passes to a service instead of the request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import User


@dataclass(frozen=True)
class Actor:
    """A signed-in user (None for the command line or background work) and the address the
    request came from (None outside a request). Services read this, never flask's request."""

    user: User | None = None
    ip: str | None = None

    @classmethod
    def of(cls, user: User | None) -> Actor:
        """A user acting outside any request: the command line, a job, a test."""
        return cls(user, None)


SYSTEM = Actor()
