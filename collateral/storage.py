"""Content-addressed blob store: uploads/ab/cd/<sha256>, written whole or not at all.

The order that makes a crash harmless: a file is copied into a temporary file under tmp/ (held
under an exclusive flock while its writer lives), hashed, fsynced, and only then renamed to its
real name, whose folder is fsynced in turn. A process killed at any moment leaves either an
unlocked temporary file or a complete blob that no database row may yet name; never a partial
file under a real name. `flask check --repair` clears both (see services/consistency.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DERIVED_NAME = re.compile(r"^[a-z0-9-]{1,64}\.(jpg|png|webp)$")
TEMP_PREFIX = ".upload-"


class BlobTooLarge(Exception):
    """The stream went past the size limit; nothing was kept."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"larger than {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


def _locked_temp_file(folder: Path) -> tuple[int, Path]:
    """A new temporary file in `folder`, open and under an exclusive flock held by the caller.

    The lock tells `check` the file's writer is alive (a killed process loses its locks). A
    check may take the lock between mkstemp and flock and remove the file as an orphan; then
    the link count is 0 and a fresh file is made.
    """
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".part", dir=folder)
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_nlink > 0:
            return fd, Path(name)
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (a power cut, not only a killed process)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _try_lock(path: Path) -> int | None:
    """An open descriptor of `path` under our exclusive flock, or None if someone holds it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


@dataclass
class StagedBlob:
    """A fully written, hashed temporary file not yet under its real name."""

    temp_path: Path
    sha256: str
    size: int


class BlobStore:
    """Blobs named by their SHA-256; identical content is stored once."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.temp_dir = self.root / "tmp"

    def path_for(self, sha256: str) -> Path:
        """Where a blob lives; the name is checked so no caller can reach outside the store."""
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    @contextlib.contextmanager
    def staged(self, stream: BinaryIO, *, max_bytes: int | None = None) -> Iterator[StagedBlob]:
        """Copy a stream into a temporary file while hashing it; removed on exit unless committed.

        The temporary name never looks like a blob, so a crash mid-copy leaves only a
        temporary file that `check --repair` can clear. The file stays locked until the block
        ends (through extraction), so a check never mistakes it for an orphan.
        """
        fd, temp_path = _locked_temp_file(self.temp_dir)
        try:
            digest = hashlib.sha256()
            size = 0
            with open(fd, "wb", closefd=False) as out:
                while chunk := stream.read(CHUNK_BYTES):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise BlobTooLarge(max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            yield StagedBlob(temp_path=temp_path, sha256=digest.hexdigest(), size=size)
        finally:
            temp_path.unlink(missing_ok=True)  # before the lock goes: never an unlocked leftover
            os.close(fd)

    def commit(self, staged: StagedBlob) -> Path:
        """Move a staged file under its real name (atomic rename); a blob already there is kept.

        Either way the blob's mtime becomes now: `check --repair` leaves young unreferenced
        blobs alone, since their upload may be about to record its rows.
        """
        final = self.path_for(staged.sha256)
        if final.exists():
            staged.temp_path.unlink(missing_ok=True)
            os.utime(final)
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        os.utime(staged.temp_path)
        os.replace(staged.temp_path, final)
        _fsync_folder(final.parent)
        return final

    def put_bytes(self, data: bytes) -> str:
        """Store a small blob made in memory (a thumbnail); returns its SHA-256."""
        with self.staged(io.BytesIO(data)) as staged:
            self.commit(staged)
        return staged.sha256

    def derived_path(self, sha256: str, key: str, suffix: str) -> Path:
        """Where something made from a blob is kept (a rendered page): derived/ab/<sha256>/key."""
        name = key + suffix
        if not _DERIVED_NAME.match(name):
            raise ValueError(f"not a derived file name: {name!r}")
        self.path_for(sha256)  # checks the digest
        return self.root / "derived" / sha256[:2] / sha256 / name

    def put_derived(self, sha256: str, key: str, suffix: str, data: bytes) -> Path:
        """Keep something made from a blob; written to a temporary name, then renamed."""
        final = self.derived_path(sha256, key, suffix)
        fd, temp_path = _locked_temp_file(final.parent)
        try:
            with open(fd, "wb", closefd=False) as out:
                out.write(data)
            os.replace(temp_path, final)
        finally:
            temp_path.unlink(missing_ok=True)
            os.close(fd)
        return final

    def delete(self, sha256: str) -> None:
        """Remove a blob (callers check that no version refers to it)."""
        self.path_for(sha256).unlink(missing_ok=True)

    def iter_blobs(self) -> Iterator[str]:
        """Every blob's SHA-256 found on disk."""
        for path in self.root.glob("??/??/*"):
            if path.is_file() and _SHA256.match(path.name):
                yield path.name

    def iter_temp_files(self) -> Iterator[Path]:
        """Temporary files: of uploads and page images being written, or left by killed ones."""
        if self.temp_dir.is_dir():
            yield from self.temp_dir.glob(TEMP_PREFIX + "*")
        yield from self.root.glob(f"derived/??/*/{TEMP_PREFIX}*")

    def temp_file_in_use(self, path: Path) -> bool:
        """Whether a live process still holds the temporary file's lock (or it is gone)."""
        fd = _try_lock(path)
        if fd is None:
            return path.exists()
        os.close(fd)
        return False

    def remove_temp_file(self, path: Path) -> bool:
        """Remove a temporary file whose writer is gone; False if its writer still holds it."""
        fd = _try_lock(path)
        if fd is None:
            return False
        try:
            path.unlink(missing_ok=True)  # under our lock: its writer cannot have taken it since
        finally:
            os.close(fd)
        return True

    def blob_age_seconds(self, sha256: str) -> float:
        """Seconds since the blob was last written or committed again."""
        return time.time() - self.path_for(sha256).stat().st_mtime

    def blob_matches(self, sha256: str) -> bool:
        """Whether the blob's content still hashes to its name (reads the whole file)."""
        digest = hashlib.sha256()
        with self.path_for(sha256).open("rb") as source:
            while chunk := source.read(CHUNK_BYTES):
                digest.update(chunk)
        return digest.hexdigest() == sha256

    def iter_derived(self) -> Iterator[str]:
        """The SHA-256 of every blob that has derived files (page images) kept."""
        for path in self.root.glob("derived/??/*"):
            if path.is_dir() and _SHA256.match(path.name):
                yield path.name

    def delete_derived(self, sha256: str) -> None:
        """Remove everything made from a blob."""
        self.path_for(sha256)  # checks the digest
        shutil.rmtree(self.root / "derived" / sha256[:2] / sha256, ignore_errors=True)
