"""Page images of each version: what is owed, the job that draws them, and what users fetch.

The database says what is owed: a version of a kind with pages is committed `pending` with its
upload. After the commit a job is queued (`_queue_after_commit`); a sweep queues again any
pending version with no job and no live claim, so a job lost with its process runs again. The
job claims the version (who and until when) in one UPDATE, so two runners never draw the same
file, draws the pages in a limited child (`page_images.py`), stores each image once under the
blob's SHA-256 and the width, and records `ready` or `failed` with a reason a marketer can act on.

The claim is a lease: it lasts RENDER_LEASE_SECONDS and the runner renews it while it draws
(`_LeaseKeeper`). A runner on another machine cannot be asked whether it still runs, so a claim
whose lease ran out is free, and a node killed mid-render has its job taken by another node's
sweep within a lease and a sweep. (A holder on this machine whose process is gone frees it at
once.)
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Version, utcnow
from ..page_images import (
    IMAGE_FORMAT,
    OFFICE_KINDS,
    PACKAGE_FOR_KIND,
    PAGED_KINDS,
    RenderFailed,
    find_soffice,
    image_name,
    missing_libreoffice_message,
    render_pages_in_child,
)
from ..storage import BlobMissing, OpenedBlob
from .resources import blob_store

logger = logging.getLogger(__name__)

JOB = "render_pages"
SWEEP_AFTER = timedelta(seconds=30)  # the upload's own enqueue comes first
_QUEUE_KEY = "collateral.render_after_commit"
MISSING_SOURCE = "The file is missing from the store; run `flask check`."


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _claim_is_dead(claimed_by: str | None) -> bool:
    """Whether a claim's holder is a process of this machine that no longer runs."""
    host, _, pid = (claimed_by or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def soffice() -> str | None:
    return find_soffice(str(current_app.config["SOFFICE_PATH"]))


def initial_preview(kind: str) -> tuple[str, str | None]:
    """The preview status and message a new version of this kind starts with."""
    if kind not in PAGED_KINDS:
        return "none", None
    if kind in OFFICE_KINDS and soffice() is None:
        return "none", missing_libreoffice_message(kind)
    return "pending", None


def page_key(number: int, width: int) -> str:
    return f"page-{number}-w{width}"


def open_page_image_file(sha256: str, number: int, width: int) -> OpenedBlob:
    """A drawn page, ready to send; BlobMissing if the store lacks it."""
    return blob_store().open_derived(sha256, page_key(number, width), "." + IMAGE_FORMAT)


def _page_images_kept(version: Version, width: int) -> bool:
    """Whether every drawn page of the version is in the store."""
    store = blob_store()
    return all(
        store.derived_exists(version.blob_sha256, page_key(n, width), "." + IMAGE_FORMAT)
        for n in range(1, (version.preview_pages or 0) + 1)
    )


# Queue the job once the upload's rows are committed: whichever service committed them.
@event.listens_for(Session, "after_flush")
def _note_pending_versions(session: Session, _context: Any) -> None:
    for obj in session.new:
        if isinstance(obj, Version) and obj.preview_status == "pending":
            session.info.setdefault(_QUEUE_KEY, set()).add(obj.id)


@event.listens_for(Session, "after_commit")
def _queue_after_commit(session: Session) -> None:
    ids = session.info.pop(_QUEUE_KEY, None)
    if ids and has_app_context() and "collateral.jobs" in current_app.extensions:
        jobs = current_app.extensions["collateral.jobs"]
        for version_id in sorted(ids):
            jobs.enqueue(JOB, version_id)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_QUEUE_KEY, None)


def _claim(version_id: int) -> Version | None:
    """Take the version for this runner if it is still owed and nobody live holds it."""
    now = utcnow()
    version = db.session.get(Version, version_id)
    if version is None or version.preview_status != "pending":
        return None
    holder = version.preview_claimed_by
    claimed = version.preview_claimed_until is not None and version.preview_claimed_until > now
    if claimed and not _claim_is_dead(holder):
        return None
    taken = db.session.execute(
        update(Version)
        .where(
            Version.id == version_id,
            Version.preview_status == "pending",
            Version.preview_claimed_by.is_(None)
            if holder is None
            else Version.preview_claimed_by == holder,
        )
        .values(
            preview_claimed_by=_me(),
            preview_claimed_until=now + _lease(),
            preview_attempts=Version.preview_attempts + 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if taken != 1:
        return None
    db.session.refresh(version)
    return version


def _lease() -> timedelta:
    return timedelta(seconds=float(current_app.config["RENDER_LEASE_SECONDS"]))


class _LeaseKeeper:
    """Renews a claim's lease from a thread while the render runs (a third of the way through
    each lease), on a connection of its own; stops when the block ends."""

    def __init__(self, version_id: int) -> None:
        self.version_id = version_id
        self.lease = _lease()
        self.engine = db.engine
        self.me = _me()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="render-lease", daemon=True)

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _renew(self) -> None:
        while not self._stop.wait(self.lease.total_seconds() / 3):
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        update(Version)
                        .where(
                            Version.id == self.version_id,
                            Version.preview_claimed_by == self.me,
                        )
                        .values(preview_claimed_until=utcnow() + self.lease)
                    )
            except Exception:
                logger.exception("Could not renew the claim on version %s", self.version_id)


def _finish(version: Version, status: str, message: str | None, **fields: Any) -> None:
    version.preview_status = status
    version.preview_message = message
    version.preview_claimed_by = None
    version.preview_claimed_until = None
    for name, value in fields.items():
        setattr(version, name, value)
    db.session.commit()


def render_version(version_id: int) -> str:
    """The job: draw every page of one version (idempotent); returns the status it left.

    Raises RenderFailed for a failure worth another try, so the queue retries it later.
    """
    version = _claim(version_id)
    if version is None:
        return "skipped"
    config = current_app.config
    attempts = int(config["RENDER_ATTEMPTS"])
    if version.preview_attempts > attempts:
        _finish(version, "failed", f"Drawing the pages stopped {attempts} times: {_why(version)}")
        return "failed"
    store = blob_store()
    if not store.exists(version.blob_sha256):
        _finish(version, "failed", MISSING_SOURCE)
        return "failed"
    program = soffice() if version.kind in OFFICE_KINDS else None
    if version.kind in OFFICE_KINDS and program is None:
        _finish(version, "none", missing_libreoffice_message(version.kind))
        return "none"
    width = int(config["PAGE_IMAGE_WIDTH"])
    scratch = Path(current_app.instance_path) / "render-tmp"
    scratch.mkdir(exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="render-", dir=scratch) as folder,
        _LeaseKeeper(version.id),
    ):
        try:
            # A bucket's blob is fetched into a temporary file for LibreOffice and PDFium.
            with store.local_copy(version.blob_sha256) as source:
                rendering = render_pages_in_child(
                    source,
                    version.kind,
                    folder,
                    width=width,
                    max_pages=int(config["MAX_PAGE_IMAGES"]),
                    soffice=program,
                    timeout_seconds=float(config["RENDER_TIMEOUT_SECONDS"]),
                    memory_mb=int(config["RENDER_MEMORY_MB"]),
                )
        except BlobMissing:
            _finish(version, "failed", MISSING_SOURCE)
            return "failed"
        except RenderFailed as exc:
            if exc.final or version.preview_attempts >= attempts:
                _finish(version, "failed", str(exc))
                return "failed"
            _finish(version, "pending", str(exc))  # kept as the reason if it stops for good
            raise
        for number in range(1, len(rendering.sizes) + 1):
            data = (Path(folder) / image_name(number)).read_bytes()
            store.put_derived(
                version.blob_sha256, page_key(number, width), "." + IMAGE_FORMAT, data
            )
        old_thumbnail = None
        if version.kind in OFFICE_KINDS and rendering.thumbnail:
            old_thumbnail = version.thumbnail_sha256
            version.thumbnail_sha256 = store.put_bytes(rendering.thumbnail)
    drawn = len(rendering.sizes)
    message = None
    if drawn < rendering.page_count:
        message = (
            f"Images of the first {drawn} of {rendering.page_count} pages; "
            "download the file for the rest."
        )
    _finish(
        version,
        "ready" if drawn else "failed",
        message if drawn else "The file has no pages to show.",
        preview_pages=drawn,
        preview_sizes=[[w, h, width] for w, h in rendering.sizes],
    )
    if old_thumbnail and old_thumbnail != version.thumbnail_sha256:
        from .uploads import forget_blob_if_unused

        forget_blob_if_unused(old_thumbnail)
    return "ready" if drawn else "failed"


def _why(version: Version) -> str:
    return version.preview_message or "the renderer was stopped before it finished."


def requeue_pending(grace: timedelta = SWEEP_AFTER) -> int:
    """Queue a job for each pending version with no job and no live claim; how many.

    Versions uploaded within `grace` are left to the job their upload queued.
    """
    jobs = current_app.extensions["collateral.jobs"]
    now = utcnow()
    rows = db.session.execute(
        select(Version.id, Version.preview_claimed_by, Version.preview_claimed_until).where(
            Version.preview_status == "pending",
            or_(
                Version.preview_claimed_until.is_(None),
                Version.preview_claimed_until < now,
                Version.preview_claimed_by.is_not(None),
            ),
            or_(Version.uploaded_at <= now - grace, Version.preview_attempts > 0),
        )
    ).all()
    waiting = {args[0] for args in jobs.queued_arguments(JOB) if args}
    queued = 0
    for version_id, holder, until in rows:
        if version_id in waiting:
            continue
        if until is not None and until > now and not _claim_is_dead(holder):
            continue  # a live runner is drawing it
        jobs.enqueue(JOB, version_id)
        queued += 1
    return queued


def mark_owed(include_missing_libreoffice: bool = True) -> int:
    """Mark pending what should have page images and has none (`check --repair`, `reindex`):
    ready versions whose images are gone, and office files left `none` for want of LibreOffice
    once it is installed. Returns how many."""
    marked = 0
    width = int(current_app.config["PAGE_IMAGE_WIDTH"])
    ready = db.session.scalars(select(Version).where(Version.preview_status == "ready"))
    for version in ready:
        if not _page_images_kept(version, width):
            version.preview_status, version.preview_attempts = "pending", 0
            marked += 1
    if include_missing_libreoffice and soffice() is not None:
        marked += (
            db.session.execute(
                update(Version)
                .where(
                    and_(Version.preview_status == "none", Version.kind.in_(OFFICE_KINDS)),
                )
                .values(preview_status="pending", preview_attempts=0, preview_message=None)
                .execution_options(synchronize_session=False)
            ).rowcount
            or 0
        )
    db.session.commit()
    return marked


def owed_versions() -> list[tuple[Version, str]]:
    """Versions owed page images that no job will draw: pending with no job queued and no live
    claim, and ready ones whose images are gone; each with what is wrong."""
    width = int(current_app.config["PAGE_IMAGE_WIDTH"])
    waiting = {args[0] for args in current_app.extensions["collateral.jobs"].queued_arguments(JOB)}
    now = utcnow()
    found = []
    for version in db.session.scalars(
        select(Version).where(Version.preview_status.in_(("pending", "ready")))
    ):
        if version.preview_status == "pending":
            live = (
                version.preview_claimed_until is not None
                and version.preview_claimed_until > now
                and not _claim_is_dead(version.preview_claimed_by)
            )
            if version.id not in waiting and not live:
                found.append((version, "page images owed and no job queued"))
        elif not _page_images_kept(version, width):
            found.append((version, "page images missing from the store"))
    if soffice() is not None:
        for version in db.session.scalars(
            select(Version).where(Version.preview_status == "none", Version.kind.in_(OFFICE_KINDS))
        ):
            found.append((version, "no page images yet: LibreOffice was missing"))
    return found


def libreoffice_needed() -> str | None:
    """What to install, if Office files are in the library and LibreOffice is not."""
    if soffice() is not None:
        return None
    office = db.session.scalar(select(Version.id).where(Version.kind.in_(OFFICE_KINDS)).limit(1))
    if office is None:
        return None
    packages = " ".join(sorted(set(PACKAGE_FOR_KIND.values())))
    return f"LibreOffice is not installed, so Office files get no page images: install {packages}"


def failed_count() -> int:
    return db.session.query(Version.id).filter(Version.preview_status == "failed").count()


def preview_json(version: Version | None) -> dict[str, Any]:
    """The `preview` field of an asset: status, images ready, and the reason if any."""
    if version is None:
        return {"status": "none", "pages": 0, "message": None}
    status = version.preview_status or "none"
    return {
        "status": status,
        "pages": (version.preview_pages or 0) if status == "ready" else 0,
        "message": version.preview_message,
    }


def page_label(version: Version, number: int) -> str:
    return f"{'slide' if version.kind in ('pptx', 'odp') else 'page'} {number}"
