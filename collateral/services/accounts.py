"""Users, sign-in and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..display_text import strip_bidi_controls
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..models import ROLES, ApiToken, User, utcnow
from ..password_strength import weakness
from ..permissions import ADMINISTER, roles_with
from .actor import SYSTEM, Actor
from .audit import record_event

MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A hash to compare against when the email is unknown, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-real-password-at-all")
_TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def validate_password(password: str) -> None:
    """Refuse a password shorter than the minimum, common or repetitive (400, naming the
    field and saying why)."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password: use at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    reason = weakness(password)
    if reason:
        raise InvalidInput(f"password: too easy to guess. {reason}", field="password")


def create_user(
    email: str, role: str, password: str, name: str = "", *, actor: Actor = SYSTEM
) -> User:
    """Add a user with a hashed password (scrypt, Werkzeug's default)."""
    email = normalise_email(email)
    if not _EMAIL.match(email) or len(email) > 254:
        raise InvalidInput(f"email: {email!r} is not an email address.", field="email")
    if role not in ROLES:
        raise InvalidInput(f"role: must be one of {', '.join(ROLES)}.", field="role")
    validate_password(password)
    if find_user(email) is not None:
        raise Conflict(f"A user with the email {email} already exists.", field="email")
    user = User(email=email, role=role, name=_clean_name(name), password_hash=_hash(password))
    db.session.add(user)
    db.session.flush()
    record_event("user_created", actor, email=email, role=role)
    db.session.commit()
    return user


def _clean_name(name: str | None) -> str:
    """A person's name as shown beside others: trimmed, without bidi controls."""
    return strip_bidi_controls(name or "").strip()[:200]


def _hash(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def authenticate(email: str, password: str, ip: str | None = None) -> User | None:
    """The active user with these credentials, or None; both outcomes are audited."""
    user = find_user(email)
    hashed = user.password_hash if user is not None else _DUMMY_HASH
    ok = check_password_hash(hashed, password or "")
    if user is None or not ok or not user.active:
        record_event("login_failed", Actor(None, ip), email=normalise_email(email)[:254])
        db.session.commit()
        return None
    record_event("login", Actor(user, ip))
    db.session.commit()
    return user


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def user_for_session(session_id: str, lifetime: timedelta) -> User | None:
    """The active user a session or remember cookie names, if it is still current.

    The id is "<user id>:<session version>:<issued, Unix seconds>:<random>" (see
    `User.new_session_id`); it is refused once older than `lifetime`, or when the user signed
    out everywhere since. An id without an issue time (issued before they were recorded) is
    refused: its age cannot be known, so its holder signs in once more.
    """
    parts = session_id.split(":")
    if len(parts) != 4:
        return None
    user_id, version, issued = (_number(part) for part in parts[:3])
    if user_id is None or version is None or issued is None:
        return None
    if time.time() - issued > lifetime.total_seconds():
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def _end_sessions(user: User) -> None:
    """Make every session and remember cookie issued to the user so far worthless."""
    user.session_version = User.session_version + 1  # in SQL, so concurrent bumps both count


def record_logout(actor: Actor) -> None:
    """Audit a sign-out and end the user's sessions on the server, not only in this browser."""
    user = actor.user
    _end_sessions(user)
    record_event("logout", actor)
    db.session.commit()


def change_password(
    actor: Actor, current_password: str, new_password: str, *, keep_tokens: bool = False
) -> int:
    """The user's own new password; every other session of theirs ends, and their API tokens
    are revoked unless they choose to keep them. Returns how many tokens were revoked.

    A password is usually changed because someone else may know it, and whoever knew it could
    have made a token; integrations that must go on are kept by choice, not by default.
    """
    user = actor.user
    if not check_password_hash(user.password_hash, current_password or ""):
        raise InvalidInput(
            "current_password: that is not your current password.", field="current_password"
        )
    validate_password(new_password)
    user.password_hash = _hash(new_password)
    _end_sessions(user)
    revoked = 0 if keep_tokens else _revoke_all_tokens(user)
    record_event("password_changed", actor, email=user.email, tokens_revoked=revoked)
    db.session.commit()
    return revoked


def _revoke_all_tokens(user: User) -> int:
    live = (ApiToken.user_id == user.id) & ApiToken.revoked_at.is_(None)
    done = db.session.execute(update(ApiToken).where(live).values(revoked_at=utcnow()))
    return done.rowcount or 0


def live_token_count(user: User) -> int:
    live = (ApiToken.user_id == user.id) & ApiToken.revoked_at.is_(None)
    return db.session.scalar(select(func.count(ApiToken.id)).where(live))


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.email)))


def update_user(
    user_id: int,
    *,
    role: str | None = None,
    active: bool | None = None,
    name: str | None = None,
    actor: Actor = SYSTEM,
) -> User:
    """Change a user's role, name or whether they may sign in."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    if role is not None and role not in ROLES:
        raise InvalidInput(f"role: must be one of {', '.join(ROLES)}.", field="role")
    before = {"role": user.role, "active": user.active, "name": user.name}
    administrators = roles_with(ADMINISTER)
    losing_admin = (
        user.role in administrators
        and user.active
        and ((role is not None and role not in administrators) or active is False)
    )
    if losing_admin and _active_admins() <= 1:
        raise Conflict("This is the last active admin; make someone else admin first.")
    if role is not None:
        user.role = role
    if active is not None:
        if user.active and not active:
            _end_sessions(user)
        user.active = active
    if name is not None:
        user.name = _clean_name(name)
    after = {"role": user.role, "active": user.active, "name": user.name}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        record_event("user_updated", actor, email=user.email, changes=changes)
    db.session.commit()
    return user


def _active_admins() -> int:
    return db.session.scalar(
        select(func.count(User.id)).where(
            User.role.in_(roles_with(ADMINISTER)), User.active.is_(True)
        )
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, label: str = "", *, actor: Actor | None = None) -> str:
    """A new token for the user, returned once; only its hash is stored."""
    token = "col_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), label=label[:100]))
    record_event("token_created", actor or Actor.of(user), owner=user.email, label=label[:100])
    db.session.commit()
    return token


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to; notes when it was last used."""
    row = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == _token_hash(token))
        .options(joinedload(ApiToken.user))
    )
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > _TOKEN_TOUCH_INTERVAL:
        row.last_used_at = now
        db.session.commit()
    return row.user


def list_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
        )
    )


def revoke_token(actor: Actor, token_id: int) -> None:
    user = actor.user
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("No such token.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record_event("token_revoked", actor, label=row.label)
        db.session.commit()
