"""Bulk import: every file under a folder becomes a new asset, with metadata from a CSV manifest.

Planned first (walk, manifest, metadata checked row by row), then run: files are hashed and
deduplicated in order in the calling thread, stored and read by a pool of threads (the reading
happens in child processes, so threads use every core), and recorded in the calling thread, so
all database writes stay in one thread. A file whose content is already stored is skipped, so an
interrupted import resumes by running it again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from flask import Flask, current_app
from sqlalchemy import select

from ..errors import InvalidInput, ServiceError
from ..extensions import db
from ..models import Asset, User, Version
from .actor import Actor
from .assets import record_new_asset
from .audit import record_event
from .import_plan import ImportPlan, Outcome, PlannedFile
from .indexing import apply_pending_index_updates, pending_index_updates
from .uploads import StoredFile, forget_unused_blobs, store_upload, why_no_text

log = logging.getLogger(__name__)

INDEX_EVERY = 50  # files recorded between index commits (one Whoosh segment each)
LISTED_ALREADY_STORED = 20  # a resumed run lists this many "already stored" files, then a count


@dataclass
class ImportReport:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False
    index_pending: int = 0
    hidden: int = 0

    def with_status(self, status: str) -> list[Outcome]:
        return sorted((o for o in self.outcomes if o.status == status), key=lambda o: o.file)

    def summary_lines(self) -> list[str]:
        """The closing report: counts, then each failure and skip with its reason."""
        imported, skipped, failed = (self.with_status(s) for s in ("imported", "skipped", "failed"))
        no_text = [o for o in imported if o.reason]
        lines = [
            f"Imported {len(imported)}, skipped {len(skipped)}, failed {len(failed)} "
            f"in {self.seconds:.1f} s."
        ]
        if failed:
            lines.append("Failed:")
            lines += [f"  {o.file}: {o.reason}" for o in failed]
        if skipped:
            lines.append("Skipped:")
            stored = [o for o in skipped if o.reason.startswith("already stored")]
            shown = [o for o in skipped if o not in stored[LISTED_ALREADY_STORED:]]
            lines += [f"  {o.file}: {o.reason}" for o in shown]
            if len(stored) > LISTED_ALREADY_STORED:
                lines.append(f"  … and {len(stored) - LISTED_ALREADY_STORED} more already stored")
        if no_text:
            lines.append(f"Imported without searchable text ({len(no_text)}; found by metadata):")
            lines += [f"  {o.file}: {o.reason}" for o in no_text]
        if self.hidden:
            lines.append(f"Hidden files and folders left out (names starting '.'): {self.hidden}.")
        if self.index_pending:
            lines.append(
                f"Search index busy: {self.index_pending} updates still owed; "
                "run `flask index-sync`."
            )
        return lines


def _open_regular(path: Path) -> BinaryIO:
    """Open for reading without following a link or blocking on a pipe swapped in since."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(0, "not a regular file")
    return os.fdopen(fd, "rb")


def _sha256_of(path: Path) -> str:
    with _open_regular(path) as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _store(planned: PlannedFile, sha256: str) -> StoredFile | str:
    """Store, read and preview one file (in an app context); a refusal comes back as its reason."""

    def unchanged(actual: str) -> None:
        if actual != sha256:
            raise InvalidInput("the file changed while it was imported; run the import again.")

    assert planned.fields is not None
    try:
        with _open_regular(planned.path) as stream:
            return store_upload(
                stream,
                PurePosixPath(planned.relpath).name,
                title=planned.fields.title,
                before_extract=unchanged,
            )
    except ServiceError as exc:
        return exc.message
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    except Exception as exc:  # one bad file must not stop the import; the summary says why
        log.info("import of %s failed", planned.relpath, exc_info=True)
        return f"unexpected error: {exc!r}"


def _already_stored(sha256: str) -> str | None:
    """Why a file with this content is skipped, if any version already has it."""
    stored_as = db.session.execute(
        select(Asset.id, Asset.title)
        .join(Version, Version.asset_id == Asset.id)
        .where(Version.blob_sha256 == sha256)
        .order_by(Asset.id)
        .limit(1)
    ).first()
    if stored_as is None:
        return None
    return f"already stored as asset {stored_as.id} (“{stored_as.title}”)"


def _store_in_thread(app: Flask, planned: PlannedFile, sha256: str) -> StoredFile | str:
    with app.app_context():
        return _store(planned, sha256)


class _Importer:
    """The calling thread's half of a run: screens files in order and records what was stored."""

    def __init__(
        self, report: ImportReport, user: User, on_progress: Callable[[Outcome], None] | None
    ) -> None:
        self.report = report
        self.user = user
        self.on_progress = on_progress
        self.first_with: dict[str, str] = {}  # sha256 -> the file of this run that has it
        self.unindexed = 0

    def settle(self, outcome: Outcome) -> None:
        self.report.outcomes.append(outcome)
        if self.on_progress is not None:
            self.on_progress(outcome)

    def screen(self, planned: PlannedFile) -> str | None:
        """The file's SHA-256 if it is to be stored; None when it is settled here."""
        if planned.error:
            self.settle(Outcome(planned.relpath, "failed", planned.error))
            return None
        try:
            sha256 = _sha256_of(planned.path)
        except OSError as exc:
            self.settle(Outcome(planned.relpath, "failed", f"cannot read the file: {exc.strerror}"))
            return None
        if sha256 in self.first_with:
            reason = f"same content as '{self.first_with[sha256]}', earlier in this run"
            self.settle(Outcome(planned.relpath, "skipped", reason))
            return None
        if reason := _already_stored(sha256):
            self.settle(Outcome(planned.relpath, "skipped", reason))
            return None
        self.first_with[sha256] = planned.relpath
        return sha256

    def record(self, planned: PlannedFile, result: StoredFile | str) -> None:
        if isinstance(result, str):
            self.settle(Outcome(planned.relpath, "failed", result))
            return
        assert planned.fields is not None
        if reason := _already_stored(result.sha256):  # by another import running meanwhile
            forget_unused_blobs(result)
            self.settle(Outcome(planned.relpath, "skipped", reason))
            return
        try:
            asset = record_new_asset(Actor.of(self.user), planned.fields, result, index_now=False)
        except Exception as exc:  # rolled back and its blobs forgotten; the next file goes on
            log.info("recording %s failed", planned.relpath, exc_info=True)
            self.settle(Outcome(planned.relpath, "failed", f"could not be recorded: {exc}"))
            return
        self.unindexed += 1
        if self.unindexed >= INDEX_EVERY:
            apply_pending_index_updates()
            self.unindexed = 0
        extraction = result.extraction
        no_text = "" if extraction.has_text else why_no_text(result.kind, extraction)
        self.settle(Outcome(planned.relpath, "imported", no_text or "", asset.id))

    def collect(self, in_flight: dict[Future, PlannedFile]) -> None:
        done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: in_flight[f].relpath):
            self.record(in_flight.pop(future), future.result())


def work_order(files: list[PlannedFile], processes: int) -> list[PlannedFile]:
    """The order to import in: the folder's, or with several at work the largest first.

    Size is a rough measure of a file's work; taking the largest first means no long file is
    left running alone at the end while the other workers idle. The sort is stable, so files
    of one size (copies among them: the first in the folder is imported) keep their order.
    """
    return files if processes <= 1 else sorted(files, key=lambda f: -f.size)


def run_import(
    plan: ImportPlan,
    user: User,
    *,
    processes: int = 2,
    on_progress: Callable[[Outcome], None] | None = None,
) -> ImportReport:
    """Import the planned files with `processes` at work at once (1: one after the other).

    Ctrl-C stops it: what was recorded stays, and running the import again resumes it.
    """
    report = ImportReport(outcomes=list(plan.settled), hidden=plan.hidden)
    importer = _Importer(report, user, on_progress)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    pool = ThreadPoolExecutor(processes, thread_name_prefix="import") if processes > 1 else None
    in_flight: dict[Future, PlannedFile] = {}
    started = time.perf_counter()
    try:
        for planned in work_order(plan.files, processes):
            sha256 = importer.screen(planned)
            if sha256 is None:
                continue
            if pool is None:
                importer.record(planned, _store(planned, sha256))
                continue
            in_flight[pool.submit(_store_in_thread, app, planned, sha256)] = planned
            while len(in_flight) >= 2 * processes:  # keep every worker fed, read ahead little
                importer.collect(in_flight)
        while in_flight:
            importer.collect(in_flight)
    except KeyboardInterrupt:
        report.interrupted = True
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        for future in in_flight:  # stored but not recorded: leave no blob behind
            done = not future.cancelled() and future.exception() is None
            if done and isinstance(result := future.result(), StoredFile):
                forget_unused_blobs(result)
    finally:
        if pool is not None:
            pool.shutdown()
    apply_pending_index_updates(rounds=1_000_000)
    report.index_pending = pending_index_updates()
    report.seconds = time.perf_counter() - started
    record_event(
        "import",
        Actor.of(user),
        folder=str(plan.folder),
        manifest=str(plan.manifest) if plan.manifest else None,
        processes=processes,
        seconds=round(report.seconds, 1),
        interrupted=report.interrupted,
        **{status: len(report.with_status(status)) for status in ("imported", "skipped", "failed")},
    )
    db.session.commit()
    return report
