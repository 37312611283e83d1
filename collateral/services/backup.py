"""`flask backup DEST` and `flask restore SRC`: a consistent snapshot of the library, and back.

A backup is a folder: the database (SQLite through its online backup API, PostgreSQL through
`pg_dump --format=custom`), every blob the snapshot names under blobs/ab/cd/<sha256>, and
manifest.json, written last, with the SHA-256 and size of each. The database is copied first:
blobs are immutable and named by their content, so copying them afterwards gives a consistent
pair while the service keeps running. The index is not kept: a restore rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, inspect, select, text
from sqlalchemy import table as sql_table
from sqlalchemy.engine import URL, make_url

from ..errors import Conflict, ServiceError
from ..extensions import db
from ..models import Version, utcnow
from ..storage import CHUNK_BYTES, BlobMissing, OpenedBlob
from . import change_log, page_images
from .indexing import rebuild_index
from .resources import blob_store
from .thumbnails import make_missing_thumbnails

FORMAT = "collateral-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SHA256 = re.compile(r"[0-9a-f]{64}")
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupFailed(ServiceError):
    """A backup or restore that could not be done; the message says why and what to do."""


@dataclass
class BackupReport:
    blobs: int
    bytes: int
    missing_thumbnails: int


def _sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as source:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _blob_path(folder: Path, sha256: str) -> Path:
    return folder / "blobs" / sha256[:2] / sha256[2:4] / sha256


def _database_url() -> URL:
    return make_url(db.engine.url)


def _kind(url: URL) -> str:
    backend = url.get_backend_name()
    if backend not in DATABASE_FILES:
        raise BackupFailed(f"Backups handle SQLite and PostgreSQL databases, not {backend}.")
    return backend


def _pg_tool(name: str, url: URL, *args: str) -> None:
    """Run pg_dump or pg_restore against `url`; the password goes by environment, not argv."""
    if shutil.which(name) is None:
        raise BackupFailed(
            f"{name} is not on PATH: install the PostgreSQL client tools (the server's major "
            "version or newer) to back up or restore a PostgreSQL database."
        )
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    plain = url.set(drivername="postgresql", password=None)
    command = [name, f"--dbname={plain.render_as_string(hide_password=False)}", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[0]
        raise BackupFailed(f"{name} failed: {reason}")


def _snapshot_database(kind: str, url: URL, target: Path) -> tuple[str | None, dict[str, bool]]:
    """Copy the database to `target`; its schema revision and the blobs it names (True: a file)."""
    if kind == "postgresql":
        _pg_tool("pg_dump", url, "--format=custom", f"--file={target}")
        # Read after the dump: versions are never deleted, so this covers every file it names.
        rows = db.session.execute(select(Version.blob_sha256, Version.thumbnail_sha256))
        return _revision(), _named_blobs(rows)
    source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # one step, so a write meanwhile cannot make it start over
        revision = copy.execute("SELECT version_num FROM alembic_version").fetchone()
        rows = copy.execute("SELECT blob_sha256, thumbnail_sha256 FROM version")
        return (revision[0] if revision else None), _named_blobs(rows)
    finally:
        copy.close()
        source.close()


def _revision() -> str | None:
    """The library database's Alembic revision (None before its first migration)."""
    if not inspect(db.session.connection()).has_table("alembic_version"):
        return None
    return db.session.scalar(text("SELECT version_num FROM alembic_version"))


def _named_blobs(rows: Iterable[tuple[str, str | None]]) -> dict[str, bool]:
    """Each blob the (file, thumbnail) rows name; True for a version's file."""
    named: dict[str, bool] = {}
    for file_sha, thumbnail in rows:
        named[file_sha] = True
        if thumbnail is not None:
            named.setdefault(thumbnail, False)
    return named


def _copy_verified(source: OpenedBlob, target: Path, sha256: str) -> int:
    """Copy a blob, checking its hash on the way; the copy has its real name only when right."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    digest, size = hashlib.sha256(), 0
    with source.stream as reading, partial.open("wb") as writing:
        while chunk := reading.read(CHUNK_BYTES):
            digest.update(chunk)
            writing.write(chunk)
            size += len(chunk)
        writing.flush()
        os.fsync(writing.fileno())
    if digest.hexdigest() != sha256:
        partial.unlink()
        raise BackupFailed(
            f"{blob_store().describe(sha256)} no longer matches its SHA-256; run "
            "`flask --app wsgi check` and restore that file before backing up."
        )
    os.replace(partial, target)
    return size


def _empty_folder(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupFailed(f"{dest} is not an empty folder; back up into a new one.")
    dest.mkdir(parents=True, exist_ok=True)


def backup_library(dest: Path) -> BackupReport:
    """Write a consistent snapshot of database and blobs into `dest`, a new or empty folder."""
    url = _database_url()
    kind = _kind(url)
    _empty_folder(dest)
    try:
        database_file = dest / DATABASE_FILES[kind]
        revision, named = _snapshot_database(kind, url, database_file)
        db.session.rollback()
        store = blob_store()
        blobs, total, missing_thumbnails = [], 0, []
        for sha256, is_file in sorted(named.items()):
            try:
                source = store.open(sha256)
            except BlobMissing:
                if not is_file:  # redrawn since the snapshot, or lost: restore draws it again
                    missing_thumbnails.append(sha256)
                    continue
                raise BackupFailed(
                    f"The file {sha256} is missing from the blob store; run "
                    "`flask --app wsgi check` to see which asset lost it."
                ) from None
            size = _copy_verified(source, _blob_path(dest, sha256), sha256)
            blobs.append({"sha256": sha256, "size": size})
            total += size
        database_sha, database_size = _sha256_of(database_file)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": utcnow().isoformat(timespec="seconds") + "Z",
            "schema_revision": revision,
            "database": {
                "kind": kind,
                "file": database_file.name,
                "sha256": database_sha,
                "size": database_size,
            },
            "blobs": blobs,
            "missing_thumbnails": missing_thumbnails,
        }
        written = dest / (MANIFEST + ".part")
        written.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        os.replace(written, dest / MANIFEST)  # last: a backup without it is unfinished
    except BaseException:
        for child in dest.iterdir():  # leave DEST as empty as it was given
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise
    return BackupReport(len(blobs), total, len(missing_thumbnails))


@dataclass
class RestoreReport:
    blobs: int
    removed_blobs: int
    indexed: int
    thumbnails: int


def _read_manifest(src: Path) -> dict:
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupFailed(
            f"{src} has no {MANIFEST}: not a collateral backup, or one that never finished."
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupFailed(
            f"{src / MANIFEST} cannot be read ({exc}); nothing was restored."
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupFailed(f"{src / MANIFEST} is not a collateral backup manifest.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupFailed(
            f"{src} is a backup of format {manifest.get('format_version')}; this release reads "
            f"format {FORMAT_VERSION}."
        )
    if not _well_formed(manifest):
        raise BackupFailed(f"{src / MANIFEST} is malformed; nothing was restored.")
    return manifest


def _well_formed(manifest: dict) -> bool:
    """The fields restore relies on, with names that cannot point outside the backup."""
    database, blobs = manifest.get("database"), manifest.get("blobs")
    try:
        return (
            database["kind"] in DATABASE_FILES
            and database["file"] == DATABASE_FILES[database["kind"]]
            and isinstance(database["sha256"], str)
            and isinstance(database["size"], int)
            and all(
                SHA256.fullmatch(blob["sha256"]) and isinstance(blob["size"], int) for blob in blobs
            )
        )
    except (KeyError, TypeError):
        return False


def _verify(src: Path, manifest: dict) -> None:
    """Every file the manifest lists is there with its hash and size, or BackupFailed names it."""
    database = manifest["database"]
    files = [(src / database["file"], database["sha256"], database["size"])]
    files += [(_blob_path(src, b["sha256"]), b["sha256"], b["size"]) for b in manifest["blobs"]]
    for path, sha256, size in files:
        found = _sha256_of(path) if path.is_file() else None
        if found != (sha256, size):
            what = "is missing" if found is None else "does not match its hash in the manifest"
            raise BackupFailed(
                f"Damaged backup: {path.relative_to(src)} {what}; nothing was restored."
            )


def _library_contents() -> list[str]:
    """What the library to restore into already holds, in words (empty: nothing)."""
    held = []
    tables = inspect(db.session.connection()).get_table_names()
    for table, label in (("asset", "assets"), ("user", "users")):
        if table in tables:
            count = db.session.scalar(select(func.count()).select_from(sql_table(table)))
            if count:
                held.append(f"{count} {label}")
    db.session.rollback()
    blobs = sum(1 for _ in blob_store().iter_blobs())
    if blobs:
        held.append(f"{blobs} blobs")
    return held


def _restore_database(kind: str, url: URL, dump: Path) -> None:
    """Replace the library's database with the backup's, in one transaction."""
    db.session.remove()
    db.engine.dispose()
    if kind == "postgresql":
        _pg_tool(
            "pg_restore",
            url,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            str(dump),
        )
        return
    Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    target = sqlite3.connect(url.database)
    try:
        source.backup(target)  # SQLite writes the whole copy as one transaction
    finally:
        target.close()
        source.close()
    db.engine.dispose()


def restore_library(src: Path, *, force: bool = False) -> RestoreReport:
    """Put a backup's database and blobs in place of the library's, then rebuild the index.

    Every hash is checked before anything is touched; a library that is not empty is replaced
    only with `force`. Blobs go in first (harmless extras if this stops), then the database in
    one transaction, then blobs the backup does not name go, then the index is rebuilt.
    """
    manifest = _read_manifest(src)
    url = _database_url()
    kind = _kind(url)
    if manifest["database"]["kind"] != kind:
        raise BackupFailed(
            f"The backup holds a {manifest['database']['kind']} database; this library's is "
            f"{kind}. Restore it into a library configured with a {manifest['database']['kind']} "
            "database."
        )
    _verify(src, manifest)
    held = _library_contents()
    if held and not force:
        raise Conflict(
            f"The library is not empty ({', '.join(held)}); restoring replaces all of it. Add "
            "--force to go ahead."
        )
    store = blob_store()
    wanted = {blob["sha256"] for blob in manifest["blobs"]}
    for sha256 in sorted(wanted):
        if store.exists(sha256) and not store.blob_matches(sha256):
            store.delete(sha256)  # a damaged copy would otherwise be kept
        with _blob_path(src, sha256).open("rb") as stream, store.staged(stream) as staged:
            if staged.sha256 != sha256:
                raise BackupFailed(f"{_blob_path(src, sha256)} changed while being restored.")
            store.commit(staged)
    _restore_database(kind, url, src / manifest["database"]["file"])
    upgrade()  # a backup from an older release
    removed = 0
    for sha256 in set(store.iter_blobs()) - wanted:
        store.delete(sha256)
        removed += 1
    for sha256 in set(store.iter_derived()) - wanted:
        store.delete_derived(sha256)
    change_log.start_new_epoch()  # every node's index is rebuilt from the restored database
    indexed = rebuild_index()
    # Page images are derived, like the index, and not in the backup: the jobs draw them again.
    page_images.mark_owed()
    page_images.requeue_pending(grace=timedelta(0))
    return RestoreReport(len(wanted), removed, indexed, make_missing_thumbnails())
