"""The blob store in a local folder: uploads/ab/cd/<sha256>, written whole or not at all.

The order that makes a crash harmless: a file is copied into a temporary file under tmp/ (held
under an exclusive flock while its writer lives), hashed, fsynced, and only then renamed to its
real name, whose folder is fsynced in turn. A process killed at any moment leaves either an
unlocked temporary file or a complete blob that no database row may yet name; never a partial
file under a real name. `flask check --repair` clears both (see services/consistency.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from .base import (
    SHA256_HEX,
    TEMP_PREFIX,
    BlobMissing,
    BlobStore,
    OpenedBlob,
    StagedBlob,
    check_digest,
    derived_name,
    locked_temp_file,
)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (a power cut, not only a killed process)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_file(path: Path) -> OpenedBlob:
    try:
        stream = path.open("rb")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise BlobMissing(str(path)) from None
    stat = os.fstat(stream.fileno())
    return OpenedBlob(stream, stat.st_size, stat.st_mtime)


class LocalBlobStore(BlobStore):
    """Blobs as files under one folder; identical content is stored once."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        super().__init__(self.root / "tmp")

    def path_for(self, sha256: str) -> Path:
        """Where a blob lives; the name is checked so no caller can reach outside the store."""
        check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def open(self, sha256: str) -> OpenedBlob:
        return _open_file(self.path_for(sha256))

    @contextlib.contextmanager
    def local_copy(self, sha256: str) -> Iterator[Path]:
        """The blob's own file: it is already on this machine and never changes."""
        path = self.path_for(sha256)
        if not path.is_file():
            raise BlobMissing(str(path))
        yield path

    def commit(self, staged: StagedBlob) -> None:
        """Move a staged file under its real name (atomic rename); a blob already there is kept."""
        final = self.path_for(staged.sha256)
        if final.exists():
            staged.temp_path.unlink(missing_ok=True)
            os.utime(final)
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        os.utime(staged.temp_path)
        os.replace(staged.temp_path, final)
        _fsync_folder(final.parent)

    def delete(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)

    def iter_blobs(self) -> Iterator[str]:
        for path in self.root.glob("??/??/*"):
            if path.is_file() and SHA256_HEX.match(path.name):
                yield path.name

    def blob_age_seconds(self, sha256: str) -> float:
        return time.time() - self.path_for(sha256).stat().st_mtime

    def describe(self, sha256: str) -> str:
        return str(self.path_for(sha256))

    def available(self) -> bool:
        return self.root.is_dir() and os.access(self.root, os.R_OK | os.W_OK | os.X_OK)

    def iter_temp_files(self) -> Iterator[Path]:
        """Temporary files: of uploads and page images being written, or left by killed ones."""
        yield from super().iter_temp_files()
        yield from self.root.glob(f"derived/??/*/{TEMP_PREFIX}*")

    # Derived files: derived/ab/<sha256>/<key><suffix>
    def derived_path(self, sha256: str, key: str, suffix: str) -> Path:
        """Where something made from a blob is kept (a rendered page)."""
        name = derived_name(sha256, key, suffix)
        return self.root / "derived" / sha256[:2] / sha256 / name

    def put_derived(self, sha256: str, key: str, suffix: str, data: bytes) -> None:
        """Written to a locked temporary name, then renamed."""
        final = self.derived_path(sha256, key, suffix)
        fd, temp_path = locked_temp_file(final.parent)
        try:
            with open(fd, "wb", closefd=False) as out:
                out.write(data)
            os.replace(temp_path, final)
        finally:
            temp_path.unlink(missing_ok=True)
            os.close(fd)

    def derived_exists(self, sha256: str, key: str, suffix: str) -> bool:
        return self.derived_path(sha256, key, suffix).is_file()

    def open_derived(self, sha256: str, key: str, suffix: str) -> OpenedBlob:
        return _open_file(self.derived_path(sha256, key, suffix))

    def iter_derived(self) -> Iterator[str]:
        for path in self.root.glob("derived/??/*"):
            if path.is_dir() and SHA256_HEX.match(path.name):
                yield path.name

    def delete_derived(self, sha256: str) -> None:
        check_digest(sha256)
        shutil.rmtree(self.root / "derived" / sha256[:2] / sha256, ignore_errors=True)
