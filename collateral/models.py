"""Database models: the truth from which the search index is derived."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, date, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import event as sa_event
from sqlalchemy import true as sa_true
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
)

from .extensions import db

ROLES = ("rep", "marketer", "manager", "admin")
# The largest id an id column holds: they are INTEGER, 32 bits on PostgreSQL (SQLite's
# 64 bits are never reached), so a larger number is simply not found, on either database.
MAX_ID = 2**31 - 1
STATUSES = ("draft", "published", "archived")
TERM_KINDS = ("product", "industry", "stage", "content_type")
# The kinds an asset may carry several terms of; it has at most one content type.
LIST_TERM_KINDS = ("product", "industry", "stage")
# How the API, forms and messages name each kind in the plural (an asset's one content type
# keeps the singular field name "content_type").
KIND_PLURALS = {
    "product": "products",
    "industry": "industries",
    "stage": "stages",
    "content_type": "content_types",
}
# How a message names one term of a kind.
KIND_SINGULARS = {
    "product": "product",
    "industry": "industry",
    "stage": "stage",
    "content_type": "content type",
}


def utcnow() -> datetime:
    """The current UTC time, naive, as every timestamp is stored."""
    return datetime.now(UTC).replace(tzinfo=None)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of the id kept in session and remember cookies; raising it (sign-out, disable,
    # new password) makes every cookie issued before worthless, wherever it was copied.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The daily email summing up unread notifications (opt-out on the profile page).
    daily_digest: Mapped[bool] = mapped_column(default=True, server_default=sa_true())

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """Who this is, for comparing two loaded users: "<id>:<session_version>"."""
        return f"{self.id}:{self.session_version}"

    def new_session_id(self) -> str:
        """The id a sign-in keeps in its session and remember cookies (signed by flask-login):
        "<id>:<session_version>:<issued, Unix seconds>:<random>". The issue time bounds how
        long the cookies are honoured; the random part makes each sign-in's cookie its own."""
        return f"{self.get_id()}:{int(time.time())}:{secrets.token_hex(4)}"


class Term(db.Model):
    __table_args__ = (UniqueConstraint("kind", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    retired: Mapped[bool] = mapped_column(default=False)


asset_term = db.Table(
    "asset_term",
    db.Column("asset_id", db.ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True),
    db.Column("term_id", db.ForeignKey("term.id"), primary_key=True),
    # The assets of a term (reports filtered by product, merges): the key leads with the asset.
    Index("ix_asset_term_term_id", "term_id", "asset_id"),
)


class Asset(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    content_type_id: Mapped[int | None] = mapped_column(ForeignKey("term.id"))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Indexed: the expiry sweep looks for dates just passed every minute.
    expires_at: Mapped[date | None] = mapped_column(index=True)
    current_version_number: Mapped[int] = mapped_column(default=1)
    download_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Indexed: the newest change is how search suggestions know their lexicon is stale.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    owner: Mapped[User] = relationship()
    content_type: Mapped[Term | None] = relationship()
    terms: Mapped[list[Term]] = relationship(secondary=asset_term, order_by=Term.position)
    versions: Mapped[list[Version]] = relationship(
        back_populates="asset", order_by="Version.number", cascade="all, delete-orphan"
    )

    # The expiry date whose passing its users were told of (services/alerts.py): the sweep
    # tells them once per date; a new date set later is told again when it passes.
    expiry_notified_for: Mapped[date | None] = mapped_column()

    def terms_of(self, kind: str) -> list[Term]:
        """The asset's terms of one taxonomy kind, in display order."""
        return [t for t in self.terms if t.kind == kind]

    @property
    def current_version(self) -> Version | None:
        for version in self.versions:
            if version.number == self.current_version_number:
                return version
        return None

    def is_expired(self, today: date) -> bool:
        return self.expires_at is not None and self.expires_at < today


class Version(db.Model):
    __table_args__ = (UniqueConstraint("asset_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    original_filename: Mapped[str] = mapped_column(String(500))
    blob_sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(db.BigInteger)
    mime_type: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    page_count: Mapped[int | None] = mapped_column()
    has_text: Mapped[bool] = mapped_column(default=False)
    extraction_error: Mapped[str | None] = mapped_column(Text)
    file_metadata: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    # A JPEG preview in the blob store (first page, embedded thumbnail, or a title card).
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    # Images of every page or slide, made by a background job (services/page_images.py):
    # none (no pages, or no LibreOffice), pending, ready or failed (with the reason).
    preview_status: Mapped[str] = mapped_column(
        String(20), default="none", server_default="none", index=True
    )
    preview_pages: Mapped[int | None] = mapped_column()  # images made (the cap may stop short)
    preview_message: Mapped[str | None] = mapped_column(Text)
    preview_sizes: Mapped[list[list[int]] | None] = mapped_column(JSON)  # [width, height] each
    preview_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # The job drawing the pages: "host:pid" and until when its claim holds.
    preview_claimed_by: Mapped[str | None] = mapped_column(String(120))
    preview_claimed_until: Mapped[datetime | None] = mapped_column()

    asset: Mapped[Asset] = relationship(back_populates="versions")
    uploaded_by: Mapped[User] = relationship()
    pages: Mapped[list[Page]] = relationship(
        order_by="Page.number", cascade="all, delete-orphan", lazy="select"
    )


class Page(db.Model):
    __table_args__ = (Index("ix_page_version_number", "version_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text, default="")

    @property
    def where(self) -> str:
        """How a person names this part of the file: "page 3", "slide 7", "sheet Q1"."""
        return page_where(self.label, self.name, self.number)


def page_where(label: str, name: str | None, number: int) -> str:
    """How a person names a page of a file (see Page.where), from its columns alone."""
    if label == "sheet" and name:
        return f"sheet {name}"
    if label == "document":
        return "document"
    return f"{label} {number}"


event_term = db.Table(
    "event_term",
    db.Column("event_id", db.ForeignKey("event.id"), primary_key=True),
    db.Column("term_id", db.Integer, primary_key=True),
    Index("ix_event_term_term_id", "term_id", "event_id"),
)
"""The taxonomy terms a search was filtered by, so reports can filter searches by product."""


class Event(db.Model):
    """One audited action. Append-only: nothing in the application updates or deletes a row."""

    __table_args__ = (
        Index("ix_event_at", "at"),
        Index("ix_event_type_at", "type", "at"),
        Index("ix_event_user_at", "user_id", "at", "type", "asset_id"),
        Index("ix_event_asset_at", "asset_id", "at"),
        Index("ix_event_search_event_id", "search_event_id", "type"),
        # Covering indexes: the usage reports group a year of events without reading rows.
        Index("ix_event_type_at_asset_user", "type", "at", "asset_id", "user_id"),
        Index("ix_event_type_at_query", "type", "at", "search_query", "result_count"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    type: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    asset_id: Mapped[int | None] = mapped_column()
    version_number: Mapped[int | None] = mapped_column()
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    # Search events: the query as reports group it (lower case, single spaces) and its result count.
    search_query: Mapped[str | None] = mapped_column(String(500))
    result_count: Mapped[int | None] = mapped_column()
    # Views and downloads: the search whose results led there, if any.
    search_event_id: Mapped[int | None] = mapped_column()

    user: Mapped[User | None] = relationship()


class AppendOnlyViolation(RuntimeError):
    """Code tried to change or remove an audited event."""


def _refuse_event_change(*_args: Any) -> None:
    raise AppendOnlyViolation("The audit log is append-only: events are never changed or deleted.")


# The log's promise, kept by the ORM: an Event row may be added, never updated or deleted,
# whether through a loaded object or an UPDATE/DELETE statement.
sa_event.listen(Event, "before_update", _refuse_event_change)
sa_event.listen(Event, "before_delete", _refuse_event_change)


@sa_event.listens_for(Session, "do_orm_execute")
def _refuse_event_statements(state: ORMExecuteState) -> None:
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ is Event:
        _refuse_event_change()


class ApiToken(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


# 64 bits on PostgreSQL; SQLite's INTEGER PRIMARY KEY is 64 bits and must be spelled INTEGER.
_POSITION = BigInteger().with_variant(Integer(), "sqlite")


class ChangeLog(db.Model):
    """A change to what search sees, in commit order: written in the same transaction as the
    change (`services/change_log.py` says how positions follow commit order). Every node's
    index applies the rows after the position it recorded; rows every node has passed go."""

    __tablename__ = "change_log"
    # AUTOINCREMENT: SQLite never hands out a position again once its row is pruned.
    __table_args__ = {"sqlite_autoincrement": True}

    position: Mapped[int] = mapped_column(_POSITION, primary_key=True)
    asset_id: Mapped[int] = mapped_column()
    logged_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChangeLogPruned(db.Model):
    """One row: the highest position pruned from the change log. A node whose index records
    a lower one has missed changes and rebuilds."""

    __tablename__ = "change_log_pruned"

    id: Mapped[int] = mapped_column(primary_key=True)
    through: Mapped[int] = mapped_column(_POSITION, default=0)


class IndexNode(db.Model):
    """A node's index as it last reported: the position applied, and when (for pruning)."""

    __tablename__ = "index_node"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    position: Mapped[int] = mapped_column(_POSITION, default=0)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class JobQueued(db.Model):
    """A background job waiting to run (Huey's queue, on PostgreSQL: `jobs_storage.py`)."""

    __tablename__ = "job_queued"

    id: Mapped[int] = mapped_column(_POSITION, primary_key=True)
    queue: Mapped[str] = mapped_column(String(100), index=True)
    priority: Mapped[int] = mapped_column(default=0)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class JobScheduled(db.Model):
    """A job waiting for its time (a retry after a delay)."""

    __tablename__ = "job_scheduled"

    id: Mapped[int] = mapped_column(_POSITION, primary_key=True)
    queue: Mapped[str] = mapped_column(String(100))
    run_at: Mapped[datetime] = mapped_column(index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class JobValue(db.Model):
    """Huey's key-value store (results, revocations, locks), by queue and key."""

    __tablename__ = "job_value"

    queue: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)


class Collection(db.Model):
    """A user's ordered set of assets (a call kit); a featured one is shown to every rep."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    featured: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[User] = relationship()
    items: Mapped[list[CollectionItem]] = relationship(
        order_by="CollectionItem.position", cascade="all, delete-orphan"
    )


class CollectionItem(db.Model):
    """One asset in a collection, at a position (0 first); an asset is in a collection once."""

    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collection.id", ondelete="CASCADE"), primary_key=True
    )
    asset_id: Mapped[int] = mapped_column(
        ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)

    asset: Mapped[Asset] = relationship()


class Favourite(db.Model):
    """An asset a user starred, to find it again from the home page."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(
        ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DealPreference(db.Model):
    """The deal a user last picked on the home page (term ids), remembered for next time."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    term_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# Everything an asset's page or JSON shows, loaded in a few queries instead of one per row.
FULL_ASSET = (
    selectinload(Asset.versions).joinedload(Version.uploaded_by),
    selectinload(Asset.terms),
    joinedload(Asset.owner),
    joinedload(Asset.content_type),
)


class Share(db.Model):
    """A link sent to buyers: the token in its URL is the only key (never the id).

    The token is kept to show the link again to its sender; it is looked up by its SHA-256
    (`token_hash`), so how long a lookup takes says nothing about how close a guess was.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    recipient: Mapped[str] = mapped_column(String(254), default="")
    expires_at: Mapped[datetime | None] = mapped_column()
    passcode_hash: Mapped[str | None] = mapped_column(String(256))
    require_email: Mapped[bool] = mapped_column(default=False)
    allow_download: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    # A share of a collection (a later issue); its assets are still listed in share_asset.
    collection_id: Mapped[int | None] = mapped_column()

    created_by: Mapped[User] = relationship()
    items: Mapped[list[ShareAsset]] = relationship(
        order_by="ShareAsset.position", cascade="all, delete-orphan"
    )


class ShareAsset(db.Model):
    """One asset of a share, in the order the buyer sees them."""

    share_id: Mapped[int] = mapped_column(
        ForeignKey("share.id", ondelete="CASCADE"), primary_key=True
    )
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)

    asset: Mapped[Asset] = relationship()


class ShareVisit(db.Model):
    """One buyer's visit of a link: page loads by the same browser within ten minutes of its
    last sign of life are the same visit. `seconds` is the sum of its page times."""

    __table_args__ = (Index("ix_share_visit_share_visitor", "share_id", "visitor_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("share.id", ondelete="CASCADE"))
    visitor_key: Mapped[str] = mapped_column(String(64))
    # Beacons must carry it: only the page that began the visit can report time for it.
    secret: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    email: Mapped[str | None] = mapped_column(String(254))
    ip: Mapped[str | None] = mapped_column(String(64))
    seconds: Mapped[float] = mapped_column(default=0.0)
    downloads: Mapped[int] = mapped_column(default=0)
    # The beacon rate bound: beacons counted in the minute that began at beacon_window_at.
    beacon_window_at: Mapped[datetime | None] = mapped_column()
    beacon_count: Mapped[int] = mapped_column(default=0)
    # The "link opened" email: sent once (mail_sent_at), or given up with the reason.
    mail_sent_at: Mapped[datetime | None] = mapped_column()
    mail_error: Mapped[str | None] = mapped_column(Text)

    share: Mapped[Share] = relationship()


class SharePageTime(db.Model):
    """Seconds a visit spent on one page of one asset: grows only, never past the time the
    visit has lasted (the beacon service bounds it)."""

    visit_id: Mapped[int] = mapped_column(
        ForeignKey("share_visit.id", ondelete="CASCADE"), primary_key=True
    )
    asset_id: Mapped[int] = mapped_column(primary_key=True, index=True)
    page: Mapped[int] = mapped_column(primary_key=True)
    seconds: Mapped[float] = mapped_column(default=0.0)


class Notification(db.Model):
    """Something a user is told in the app: a link of theirs was opened, for instance."""

    __table_args__ = (Index("ix_notification_user_at", "user_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    type: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    read: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str] = mapped_column(Text, default="")
    asset_id: Mapped[int | None] = mapped_column()
    share_id: Mapped[int | None] = mapped_column()


class NotificationDigest(db.Model):
    """One day's digest email of one user: the notifications up to `last_notification_id`
    are in it. The unique (user, day) row is claimed before sending, so two workers or a
    restart never send a day's digest twice."""

    __table_args__ = (UniqueConstraint("user_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    day: Mapped[date] = mapped_column()
    last_notification_id: Mapped[int] = mapped_column()
    count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
