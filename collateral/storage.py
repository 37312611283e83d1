"""Content-addressed blob store: uploads/ab/cd/<sha256>, written whole or not at all."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DERIVED_NAME = re.compile(r"^[a-z0-9-]{1,64}\.(jpg|png)$")
TEMP_PREFIX = ".upload-"


class BlobTooLarge(Exception):
    """The stream went past the size limit; nothing was kept."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"larger than {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


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
        temporary file that `check --repair` can clear.
        """
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".part", dir=self.temp_dir)
        temp_path = Path(name)
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as out:
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
            temp_path.unlink(missing_ok=True)

    def commit(self, staged: StagedBlob) -> Path:
        """Move a staged file under its real name (atomic rename); a blob already there is kept."""
        final = self.path_for(staged.sha256)
        if final.exists():
            staged.temp_path.unlink(missing_ok=True)
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.temp_path, final)
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
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".part", dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(name, final)
        finally:
            Path(name).unlink(missing_ok=True)
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
        """Temporary files left by interrupted uploads."""
        if self.temp_dir.is_dir():
            yield from self.temp_dir.glob(TEMP_PREFIX + "*")
