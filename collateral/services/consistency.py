"""`flask check`: every disagreement between database, blob store and index, and their repair.

The database is the truth. A blob is in use when a version names it as its file or its
thumbnail; anything else in the store is left over (a killed upload, a failed write) and goes.
The index must hold exactly the assets the database holds, each as `index_document` would
write it now (compared by fingerprint, so no text is read back from the index). Files a killed
index writer left are looked for, and removed, only under the index's writer lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from ..extensions import db
from ..models import Asset, Version
from ..search_index import document_fingerprint
from . import change_log, page_images
from .indexing import (
    applied_position,
    apply_pending_index_updates,
    index_document,
    queue_index_update,
)
from .indexing import rebuild_index as rebuild_search_index
from .resources import blob_store, search_index
from .thumbnails import make_missing_thumbnails
from .uploads import forget_blob_if_unused

# An unreferenced blob younger than this may belong to an upload about to record its rows
# (the blob is committed first, see storage.py); only older ones are removed.
BLOB_GRACE_SECONDS = 600
# A bucket's multipart upload older than this is taken for one a killed worker left; a live
# one of the largest file takes minutes.
UPLOAD_GRACE_SECONDS = 3600
_BATCH = 200


@dataclass(frozen=True)
class Finding:
    """One disagreement: its kind, what it is about, a one-line message, and if it can be mended."""

    kind: str
    subject: str
    message: str
    repairable: bool

    def line(self) -> str:
        mend = "" if self.repairable else " [--repair cannot mend this]"
        return f"{self.kind}: {self.message}{mend}"


@dataclass
class CheckResult:
    """The findings of one check, with how much was looked at."""

    findings: list[Finding] = field(default_factory=list)
    assets: int = 0
    versions: int = 0
    blobs: int = 0
    indexed: int = 0

    def of_kind(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def summary(self) -> str:
        """One line: what was checked and how many disagreements were found."""
        looked = (
            f"Checked {self.assets} assets, {self.versions} versions, {self.blobs} blobs, "
            f"{self.indexed} index documents"
        )
        if not self.findings:
            return f"{looked}: consistent."
        mendable = sum(f.repairable for f in self.findings)
        return f"{looked}: {len(self.findings)} disagreements ({mendable} mendable by --repair)."


@dataclass
class _References:
    files: dict[str, str]  # sha256 -> "asset 3 version 2 (deck.pptx)"
    thumbnails: set[str]
    without_thumbnail: list[str]  # the same descriptions, for versions that have none


def _references() -> _References:
    refs = _References({}, set(), [])
    rows = db.session.execute(
        select(
            Version.asset_id,
            Version.number,
            Version.original_filename,
            Version.blob_sha256,
            Version.thumbnail_sha256,
        ).order_by(Version.asset_id, Version.number)
    )
    for asset_id, number, filename, sha256, thumbnail in rows:
        described = f"asset {asset_id} version {number} ({filename})"
        refs.files.setdefault(sha256, described)
        if thumbnail is None:
            refs.without_thumbnail.append(described)
        else:
            refs.thumbnails.add(thumbnail)
    return refs


def _blob_findings(refs: _References, result: CheckResult, grace_seconds: float) -> None:
    store = blob_store()
    on_disk = set(store.iter_blobs())
    result.blobs = len(on_disk)
    found = result.findings
    for sha256, described in refs.files.items():
        if sha256 not in on_disk:
            found.append(
                Finding(
                    "missing-blob",
                    sha256,
                    f"{described}: its file {sha256} is not in the blob store "
                    "(restore it from a backup)",
                    False,
                )
            )
    for sha256 in sorted(refs.thumbnails - on_disk):
        found.append(
            Finding("missing-thumbnail", sha256, f"thumbnail {sha256} is not in the store", True)
        )
    for described in refs.without_thumbnail:
        found.append(Finding("missing-thumbnail", described, f"{described} has no thumbnail", True))
    for sha256 in sorted(on_disk & (set(refs.files) | refs.thumbnails)):
        if not store.blob_matches(sha256):
            what = refs.files.get(sha256, "a thumbnail")
            found.append(
                Finding(
                    "corrupt-blob",
                    sha256,
                    f"{store.describe(sha256)} ({what}) no longer matches its SHA-256 "
                    "(restore it from a backup)",
                    False,
                )
            )
    for sha256 in sorted(on_disk - set(refs.files) - refs.thumbnails):
        age = store.blob_age_seconds(sha256)
        young = age < grace_seconds
        note = f"; written {age:.0f} s ago, so it may be an upload still recording" if young else ""
        found.append(
            Finding(
                "unreferenced-blob",
                sha256,
                f"{store.describe(sha256)} is used by no version{note}",
                not young,
            )
        )


def _leftover_file_findings(
    refs: _References, result: CheckResult, upload_grace_seconds: float
) -> None:
    store = blob_store()
    for name in store.abandoned_uploads(upload_grace_seconds):
        result.findings.append(
            Finding(
                "abandoned-upload",
                name,
                f"{name} is an upload a killed worker never finished",
                True,
            )
        )
    for path in sorted(store.iter_temp_files()):
        if not store.temp_file_in_use(path):
            result.findings.append(
                Finding(
                    "orphan-temp-file", str(path), f"{path} was left by an interrupted write", True
                )
            )
    for sha256 in sorted(store.iter_derived()):
        if sha256 not in refs.files:
            result.findings.append(
                Finding(
                    "orphan-derived",
                    sha256,
                    f"page images of {sha256}, a file no version uses, are still kept",
                    True,
                )
            )


def _expected_fingerprints() -> Iterator[tuple[int, int]]:
    ids = list(db.session.scalars(select(Asset.id).order_by(Asset.id)))
    for start in range(0, len(ids), _BATCH):
        batch = db.session.scalars(select(Asset).where(Asset.id.in_(ids[start : start + _BATCH])))
        for asset in batch:
            yield asset.id, document_fingerprint(index_document(asset))
        db.session.expunge_all()  # keep memory flat on a large library


def _index_findings(result: CheckResult) -> None:
    index = search_index()
    found = result.findings
    position = applied_position()
    if position is None or position < change_log.pruned_through():
        result.indexed = len(index.asset_ids()) if position is not None else 0
        found.append(
            Finding("index-outdated", "index", "the index is older than the change log", True)
        )
        return
    owed = sorted({asset_id for _, asset_id in change_log.rows_after(position, 1_000_000)})
    if owed:
        shown = ", ".join(map(str, owed[:10])) + (", ..." if len(owed) > 10 else "")
        found.append(
            Finding(
                "outbox-pending",
                "outbox",
                f"{len(owed)} assets wait for index updates still owed (assets {shown})",
                True,
            )
        )
    indexed = index.fingerprints()
    lacking = index.missing_fields()
    if indexed is None or lacking:
        result.indexed = len(index.asset_ids())
        why = f"lacks the fields {', '.join(lacking)}" if lacking else "predates fingerprints"
        found.append(Finding("index-outdated", "index", f"the index {why}; rebuild it", True))
        return
    result.indexed = len(indexed)
    expected = dict(_expected_fingerprints())
    skip = set(owed)  # the pending-updates finding already covers these
    for asset_id in sorted(set(indexed) - set(expected) - skip):
        found.append(
            Finding(
                "index-extra",
                str(asset_id),
                f"asset {asset_id} is in the index, not the database",
                True,
            )
        )
    for asset_id, fingerprint in sorted(expected.items()):
        if asset_id in skip:
            continue
        if asset_id not in indexed:
            found.append(
                Finding(
                    "index-missing", str(asset_id), f"asset {asset_id} is not in the index", True
                )
            )
        elif indexed[asset_id] != fingerprint:
            found.append(
                Finding(
                    "index-stale",
                    str(asset_id),
                    f"asset {asset_id} is indexed as it was before its last change",
                    True,
                )
            )


def _index_leftover_findings(result: CheckResult, grace_seconds: float) -> None:
    leftovers = search_index().leftovers(min_age=grace_seconds)
    if leftovers is None:
        result.findings.append(
            Finding(
                "index-busy",
                "index",
                "the index's writer lock is held, so its leftover files were not looked for "
                "(check again later)",
                False,
            )
        )
        return
    for path in leftovers:
        result.findings.append(
            Finding(
                "index-leftover",
                str(path),
                f"{path} was left in the index folder by an interrupted index writer",
                True,
            )
        )


def _page_image_findings(result: CheckResult) -> None:
    for version, problem in page_images.owed_versions():
        described = f"asset {version.asset_id} version {version.number}"
        result.findings.append(
            Finding("page-images-owed", str(version.id), f"{described}: {problem}", True)
        )
    needed = page_images.libreoffice_needed()
    if needed:
        result.findings.append(Finding("libreoffice-missing", "soffice", needed, False))


def check_library(
    *,
    grace_seconds: float = BLOB_GRACE_SECONDS,
    upload_grace_seconds: float = UPLOAD_GRACE_SECONDS,
) -> CheckResult:
    """Every disagreement between database, blob store and index (reads every blob in use)."""
    result = CheckResult()
    result.assets = db.session.scalar(select(func.count(Asset.id))) or 0
    result.versions = db.session.scalar(select(func.count(Version.id))) or 0
    refs = _references()
    _blob_findings(refs, result, grace_seconds)
    _leftover_file_findings(refs, result, upload_grace_seconds)
    _index_findings(result)
    _index_leftover_findings(result, grace_seconds)
    _page_image_findings(result)
    db.session.rollback()  # end the read transaction: a long check must not hold it
    return result


def repair_library(result: CheckResult, *, grace_seconds: float = BLOB_GRACE_SECONDS) -> list[str]:
    """Mend what `result` found that can be mended; one line per kind of repair done."""
    store = blob_store()
    done: list[str] = []

    def tell(count: int, what: str) -> None:
        if count:
            done.append(f"{what}: {count}")

    tell(
        sum(store.remove_temp_file(Path(f.subject)) for f in result.of_kind("orphan-temp-file")),
        "removed orphan temporary files",
    )
    abandoned = result.of_kind("abandoned-upload")
    for finding in abandoned:
        store.abort_upload(finding.subject)
    tell(len(abandoned), "aborted unfinished uploads to the bucket")
    removed = 0
    for finding in result.of_kind("unreferenced-blob"):
        if finding.repairable:
            forget_blob_if_unused(finding.subject)  # asks the database again before deleting
            removed += not store.exists(finding.subject)
    tell(removed, "removed blobs no version uses")
    used = set(db.session.scalars(select(Version.blob_sha256)))
    derived = [f.subject for f in result.of_kind("orphan-derived") if f.subject not in used]
    for sha256 in derived:
        store.delete_derived(sha256)
    tell(len(derived), "removed page images of files no longer used")
    if result.of_kind("index-leftover"):
        # Found again under the writer lock: only what is still provably unused goes.
        removed = search_index().remove_leftovers(min_age=grace_seconds)
        tell(len(removed or []), "removed index files left by interrupted writers")
    if result.of_kind("index-outdated"):
        tell(rebuild_search_index(), "rebuilt the index, assets")
    else:
        # Through the change log, which reads each asset afresh: one created since the check is
        # indexed, not deleted as "extra".
        stale = [
            f for k in ("index-extra", "index-missing", "index-stale") for f in result.of_kind(k)
        ]
        for finding in stale:
            queue_index_update(int(finding.subject))
        db.session.commit()
        tell(apply_pending_index_updates(rounds=1_000_000, rebuild=True), "applied index updates")
    if result.of_kind("missing-thumbnail"):
        tell(make_missing_thumbnails(), "drew missing thumbnails")
    if result.of_kind("page-images-owed"):
        page_images.mark_owed()
        tell(page_images.requeue_pending(grace=timedelta(0)), "queued page image jobs")
    return done
