"""A zip archive written as it is sent: entries are read from disk in chunks and each chunk of
the archive is yielded as soon as zipfile has written it, so a kit of large decks is never held
in memory or in a temporary file. Knows nothing of Flask or the models."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

CHUNK = 64 * 1024
# Formats that are compressed already: storing them costs no space and saves the CPU.
ALREADY_COMPRESSED = ("image/", "video/", "audio/", "application/zip", "application/vnd.")


@dataclass(frozen=True)
class ZipEntry:
    name: str  # the name inside the archive, unique
    source: Path | Callable[[], BinaryIO]  # a file, or what opens the bytes (a blob store's)
    modified: datetime
    mime_type: str = "application/octet-stream"


class _Pipe(io.RawIOBase):
    """A write-only, unseekable stream that keeps what was written until it is taken; zipfile
    then writes data descriptors after each entry instead of seeking back."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _info(entry: ZipEntry) -> zipfile.ZipInfo:
    moment = max(entry.modified, datetime(1980, 1, 1))
    info = zipfile.ZipInfo(entry.name, date_time=moment.timetuple()[:6])
    stored = entry.mime_type.startswith(ALREADY_COMPRESSED)
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _open(entry: ZipEntry) -> BinaryIO:
    return entry.source.open("rb") if isinstance(entry.source, Path) else entry.source()


def stream_zip(entries: Iterable[ZipEntry]) -> Iterator[bytes]:
    """The archive of `entries`, in pieces of about CHUNK bytes."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w") as archive:
        for entry in entries:
            with (
                _open(entry) as source,
                archive.open(_info(entry), "w", force_zip64=True) as target,
            ):
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    data = pipe.take()
                    if data:
                        yield data
            yield pipe.take()
    yield pipe.take()


def unique_names(names: Iterable[str]) -> list[str]:
    """Names made safe for any unzip (no folders, no hidden or empty names) and unique without
    regard to case: a second "deck.pdf" becomes "deck (2).pdf"."""
    taken: set[str] = set()
    result = []
    for raw in names:
        name = "".join(c for c in raw.replace("\\", "/").split("/")[-1] if c.isprintable())
        name = name.strip().lstrip(".") or "file"
        stem, dot, suffix = name.rpartition(".")
        if not dot or not stem:
            stem, suffix = name, ""
        candidate, n = name, 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{stem} ({n}).{suffix}" if suffix else f"{stem} ({n})"
        taken.add(candidate.casefold())
        result.append(candidate)
    return result
