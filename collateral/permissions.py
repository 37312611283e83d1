"""Who may do what: named capabilities mapped to roles once, the route decorator that asks for
them, and the object rules services call.

Routes, templates and the command line speak only of capabilities; only `GRANTS` below names
which roles hold each one. Admins hold every capability.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Any

from flask_login import current_user

from .errors import Forbidden, NotSignedIn
from .models import ROLES

if TYPE_CHECKING:
    from .models import Asset, Collection, Share, User


class Capability(StrEnum):
    """What a signed-in user may be allowed to do."""

    BROWSE = "browse"  # search, view and download published collateral; own account
    SHARE = "share"  # send collateral to buyers; make collections
    UPLOAD = "upload"  # upload, edit, version, archive and restore assets; own assets
    SEE_DRAFTS = "see_drafts"  # drafts, archived and expired assets
    READ_OLD_VERSIONS = "read_old_versions"  # download a version that is not current
    READ_USAGE = "read_usage"  # content reports: overview, unused content, searches
    READ_PEOPLE = "read_people"  # figures per person and the top-assets ranking
    AUDIT = "audit"  # the audit log
    ASSIGN_OWNERS = "assign_owners"  # give an asset to another owner
    ADMINISTER = "administer"  # users and the taxonomy
    SEE_ALL_SHARES = "see_all_shares"  # every rep's links to buyers, their visits; revoke them
    FEATURE_COLLECTIONS = "feature_collections"  # mark a collection featured, for every rep


BROWSE = Capability.BROWSE
SHARE = Capability.SHARE
UPLOAD = Capability.UPLOAD
SEE_DRAFTS = Capability.SEE_DRAFTS
READ_OLD_VERSIONS = Capability.READ_OLD_VERSIONS
READ_USAGE = Capability.READ_USAGE
READ_PEOPLE = Capability.READ_PEOPLE
AUDIT = Capability.AUDIT
ASSIGN_OWNERS = Capability.ASSIGN_OWNERS
ADMINISTER = Capability.ADMINISTER
SEE_ALL_SHARES = Capability.SEE_ALL_SHARES
FEATURE_COLLECTIONS = Capability.FEATURE_COLLECTIONS

EVERYONE = frozenset(ROLES)

# The one place that says which roles hold which capability (admin holds all of them).
GRANTS: dict[Capability, frozenset[str]] = {
    BROWSE: EVERYONE,
    SHARE: EVERYONE,
    UPLOAD: frozenset({"marketer", "admin"}),
    SEE_DRAFTS: frozenset({"marketer", "admin"}),
    READ_OLD_VERSIONS: frozenset({"marketer", "manager", "admin"}),
    READ_USAGE: frozenset({"marketer", "manager", "admin"}),
    READ_PEOPLE: frozenset({"manager", "admin"}),
    AUDIT: frozenset({"manager", "admin"}),
    ASSIGN_OWNERS: frozenset({"admin"}),
    ADMINISTER: frozenset({"admin"}),
    SEE_ALL_SHARES: frozenset({"manager", "admin"}),
    FEATURE_COLLECTIONS: frozenset({"marketer", "admin"}),
}
assert set(GRANTS) == set(Capability), "every capability is granted to some roles"


def roles_with(capability: Capability) -> frozenset[str]:
    """The roles that hold `capability`."""
    return GRANTS[Capability(capability)]


def can(user: User | None, capability: Capability | str) -> bool:
    """Whether `user`'s role holds `capability` (an anonymous user holds none); an unknown
    name is an error, so a misspelt capability in a template fails loudly."""
    return getattr(user, "role", None) in GRANTS[Capability(capability)]


def requires(capability: Capability) -> Callable:
    """Route decorator: signed in (401) and holding `capability` (403).

    The capability is kept on the view as `required_capability`, so the role x route test can
    check that every route has decided who may call it.
    """
    capability = Capability(capability)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                raise NotSignedIn("Sign in first.")
            if not can(current_user, capability):
                allowed = " or ".join(r for r in ROLES if r in GRANTS[capability])
                raise Forbidden(
                    f"Your role ({current_user.role}) may not do this; it needs {allowed}."
                )
            return view(*args, **kwargs)

        wrapped.required_capability = capability
        return wrapped

    return decorator


def can_view_asset(user: User, asset: Asset, today: date) -> bool:
    """Those who see drafts see every asset; others only published, unexpired ones."""
    if can(user, SEE_DRAFTS):
        return True
    return asset.status == "published" and not asset.is_expired(today)


def can_edit_asset(user: User, asset: Asset | None = None) -> bool:
    """Editors may edit any asset (ownership says who is responsible, not who may edit)."""
    return can(user, UPLOAD)


def may_own_assets(user: User) -> bool:
    """Only those who may upload can be named an asset's owner."""
    return user.role in GRANTS[UPLOAD]


def can_see_share(user: User, share: Share) -> bool:
    """A link's sender sees it and its visits, and may revoke it; so do managers and admins."""
    return share.created_by_id == user.id or can(user, SEE_ALL_SHARES)


def can_manage_share(user: User, share: Share) -> bool:
    """Changing a link (expiry, passcode, download, title) is for its sender and admins."""
    return share.created_by_id == user.id or can(user, ADMINISTER)


def can_view_collection(user: User, collection: Collection) -> bool:
    """Its owner sees a collection; everyone sees a featured one."""
    return collection.featured or collection.owner_id == user.id


def can_edit_collection(user: User, collection: Collection) -> bool:
    """Its owner changes a collection; a featured one is also (and only) changed by those who
    may feature collections, since every rep sees it."""
    if collection.featured:
        return can(user, FEATURE_COLLECTIONS)
    return collection.owner_id == user.id
