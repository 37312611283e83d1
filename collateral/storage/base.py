"""What every blob store offers, and the staging both stores share.

A blob is named by the SHA-256 of its bytes, so the same name always means the same bytes:
a blob already stored is never written again. Callers never see where a blob lives: they
`open` it (a seekable stream with its size), ask for a `local_copy` when a program needs a file
path, and stage uploads through `staged`, which hashes the stream into a locked temporary file
on this machine before `commit` gives it its real name.

The temporary files are held under an exclusive flock while their writer lives, so `check` can
tell a running upload from one a killed process left (a killed process loses its locks).
"""

from __future__ import annotations

import abc
import contextlib
import fcntl
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 1024 * 1024
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_DERIVED_NAME = re.compile(r"^[a-z0-9-]{1,64}\.(jpg|png|webp)$")
TEMP_PREFIX = ".upload-"


class BlobTooLarge(Exception):
    """The stream went past the size limit; nothing was kept."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"larger than {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


class BlobMissing(FileNotFoundError):
    """The store holds no blob (or derived file) of that name."""


def check_digest(sha256: str) -> str:
    """The digest itself, or ValueError: no caller can name anything but a blob."""
    if not isinstance(sha256, str) or not SHA256_HEX.match(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


def derived_name(sha256: str, key: str, suffix: str) -> str:
    """The checked file name of something made from a blob (a rendered page)."""
    check_digest(sha256)
    name = key + suffix
    if not _DERIVED_NAME.match(name):
        raise ValueError(f"not a derived file name: {name!r}")
    return name


def locked_temp_file(folder: Path) -> tuple[int, Path]:
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
    """A fully written, hashed temporary file on this machine, not yet under its real name."""

    temp_path: Path
    sha256: str
    size: int


@dataclass
class OpenedBlob:
    """A stored file opened for reading: a seekable stream from its first byte, and its size.

    The caller closes the stream (a response closes it when sent)."""

    stream: BinaryIO
    size: int
    modified: float  # seconds since the epoch
    # Told where reading will stop (exclusive), a store fetches no further; None: no need.
    expect_end: Callable[[int], None] | None = None


class BlobStore(abc.ABC):
    """Blobs named by their SHA-256, stored once; things derived from them (page images)."""

    def __init__(self, temp_dir: str | os.PathLike) -> None:
        self.temp_dir = Path(temp_dir)

    # What each store does its own way.
    @abc.abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abc.abstractmethod
    def open(self, sha256: str) -> OpenedBlob:
        """The blob, ready to stream; BlobMissing if the store lacks it."""

    @abc.abstractmethod
    def commit(self, staged: StagedBlob) -> None:
        """Give a staged file its real name; a blob already there is kept, never rewritten.

        Either way the blob counts as written now: `check --repair` leaves young unreferenced
        blobs alone, since their upload may be about to record its rows.
        """

    @abc.abstractmethod
    def local_copy(self, sha256: str) -> contextlib.AbstractContextManager[Path]:
        """A path on this machine holding the blob, for a program that reads files (extraction,
        rendering); valid inside the block only. BlobMissing if the store lacks it."""

    @abc.abstractmethod
    def delete(self, sha256: str) -> None:
        """Remove a blob (callers check that no version refers to it)."""

    @abc.abstractmethod
    def iter_blobs(self) -> Iterator[str]:
        """Every stored blob's SHA-256."""

    @abc.abstractmethod
    def blob_age_seconds(self, sha256: str) -> float:
        """Seconds since the blob was last written or committed again."""

    @abc.abstractmethod
    def describe(self, sha256: str) -> str:
        """Where the blob lives, for messages to an admin."""

    @abc.abstractmethod
    def available(self) -> bool:
        """Whether the store can be read and written now (for /readyz)."""

    @abc.abstractmethod
    def put_derived(self, sha256: str, key: str, suffix: str, data: bytes) -> None:
        """Keep something made from a blob, whole or not at all; a newer drawing replaces it."""

    @abc.abstractmethod
    def derived_exists(self, sha256: str, key: str, suffix: str) -> bool: ...

    @abc.abstractmethod
    def open_derived(self, sha256: str, key: str, suffix: str) -> OpenedBlob:
        """Something made from a blob, ready to stream; BlobMissing if not kept."""

    @abc.abstractmethod
    def iter_derived(self) -> Iterator[str]:
        """The SHA-256 of every blob that has derived files (page images) kept."""

    @abc.abstractmethod
    def delete_derived(self, sha256: str) -> None:
        """Remove everything made from a blob."""

    # What both stores share: staging on this machine, and its leftovers.
    @contextlib.contextmanager
    def staged(self, stream: BinaryIO, *, max_bytes: int | None = None) -> Iterator[StagedBlob]:
        """Copy a stream into a temporary file while hashing it; removed on exit unless committed.

        The temporary name never looks like a blob, so a crash mid-copy leaves only a
        temporary file that `check --repair` can clear. The file stays locked until the block
        ends (through extraction), so a check never mistakes it for an orphan.
        """
        fd, temp_path = locked_temp_file(self.temp_dir)
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

    def put_bytes(self, data: bytes) -> str:
        """Store a small blob made in memory (a thumbnail); returns its SHA-256."""
        with self.staged(io.BytesIO(data)) as staged:
            self.commit(staged)
        return staged.sha256

    def read_bytes(self, sha256: str) -> bytes:
        """A whole blob in memory: for small ones (thumbnails) and tests."""
        opened = self.open(sha256)
        with opened.stream:
            return opened.stream.read()

    def blob_matches(self, sha256: str) -> bool:
        """Whether the blob's content still hashes to its name (reads the whole blob)."""
        digest = hashlib.sha256()
        opened = self.open(sha256)
        with opened.stream as source:
            while chunk := source.read(CHUNK_BYTES):
                digest.update(chunk)
        return digest.hexdigest() == sha256

    def iter_temp_files(self) -> Iterator[Path]:
        """Temporary files of uploads being written, or left by killed ones."""
        if self.temp_dir.is_dir():
            yield from self.temp_dir.glob(TEMP_PREFIX + "*")

    def abandoned_uploads(self, min_age_seconds: float) -> list[str]:
        """Uploads begun longer ago than `min_age_seconds` and never finished (a bucket's
        multipart uploads, whose parts are kept, and paid for, until aborted); none locally."""
        return []

    def abort_upload(self, name: str) -> None:
        """Drop an abandoned upload named by `abandoned_uploads`."""
        raise ValueError(f"no such upload: {name!r}")

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
