"""Who may do what: route decorators and the object rules services call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import TYPE_CHECKING, Any

from flask_login import current_user

from .errors import Forbidden, NotSignedIn

if TYPE_CHECKING:
    from .models import Asset, User

EDITORS = ("marketer", "admin")
AUDITORS = ("manager", "admin")
OLD_VERSION_READERS = ("marketer", "manager", "admin")


def has_role(user: User, *roles: str) -> bool:
    """Admins may do everything; others only what their role is listed for."""
    return user.role == "admin" or user.role in roles


def roles_required(*roles: str) -> Callable:
    """Route decorator: signed in (401) and one of `roles` (403); no roles means any signed-in."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                raise NotSignedIn("Sign in first.")
            if roles and not has_role(current_user, *roles):
                raise Forbidden(
                    f"Your role ({current_user.role}) may not do this; it needs "
                    f"{' or '.join(r for r in roles)}."
                )
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_edit_assets(user: User) -> bool:
    return has_role(user, *EDITORS)


def can_see_unpublished(user: User) -> bool:
    """Marketers and admins see drafts, archived and expired assets; others only live ones."""
    return has_role(user, *EDITORS)


def can_view_asset(user: User, asset: Asset, today: date) -> bool:
    if can_see_unpublished(user):
        return True
    return asset.status == "published" and not asset.is_expired(today)


def can_download_old_versions(user: User) -> bool:
    return has_role(user, *OLD_VERSION_READERS)
