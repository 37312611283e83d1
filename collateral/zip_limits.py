"""Limits on zip-based Office files (PPTX, DOCX, XLSX, ODT, ODP, ODS), checked before unpacking.

A zip bomb is a small file whose parts unpack to gigabytes. `check_declared_sizes` refuses one
from the zip's central directory alone: how many parts, how large they say they are, and how far
each is compressed; no compressed byte is read. A directory can also lie, declaring parts smaller
than their data unpacks to, and the readers trust it (`ZipFile.read` inflates a whole part in one
call before cutting it to the declared size), so `check_inflated_sizes` streams each part through
a bounded inflater and refuses a part that unpacks to more than it declares. Knows nothing of Flask.

The numbers: real Office files unpack at 2 to 20 times their packed size (the worst part in the
project's real-world corpus is 20 to 1, the worst whole file 12 to 1; a generated document of one
line repeated 20,000 times reaches 280 to 1 in under 1 MB); deflate tops out near 1,032 to 1,
which is what zip bombs use. Pictures and videos are stored nearly as they are, so a deck at the
500 MB upload limit unpacks to little more than 500 MB.
"""

from __future__ import annotations

import os
import struct
import unicodedata
import zipfile
import zlib

MAX_ENTRIES = 10_000  # a 1,000-slide deck has about 4,000 parts
MAX_DIRECTORY_BYTES = 4 * 1024 * 1024  # the central directory of 10,000 parts is about 1 MB
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # all parts together, as declared
MAX_RATIO = 200  # unpacked to packed, for one part or the whole file...
RATIO_FREE_PART_BYTES = 1024 * 1024  # ...once the part unpacks to more than this
RATIO_FREE_FILE_BYTES = 64 * 1024 * 1024  # ...once the whole file unpacks to more than this
_CHUNK = 64 * 1024
_END_RECORD = struct.Struct("<4s4H2LH")  # end of central directory
_END_RECORD_64 = struct.Struct("<4sQ2H2L4Q")  # its ZIP64 form
_END_LOCATOR_64 = struct.Struct("<4sLQL")
_LOCAL_HEADER_BYTES = 30
_DIRECTORY_ENTRY_BYTES = 46  # before its name, extra field and comment
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}  # what Office and LibreOffice write


class ZipRefused(ValueError):
    """The zip must not be unpacked; the message says why, as a clause ("it holds ...")."""


def check_declared_sizes(path: str | os.PathLike) -> None:
    """Raise ZipRefused if the central directory describes a zip bomb; reads no part's data."""
    with open(path, "rb") as file:
        size = file.seek(0, os.SEEK_END)
        entries, directory_bytes, start = _directory_extent(file, size)
        if directory_bytes > MAX_DIRECTORY_BYTES:
            raise ZipRefused(
                f"its table of contents takes {_megabytes(directory_bytes)}; "
                f"at most {_megabytes(MAX_DIRECTORY_BYTES)} is accepted"
            )
        # zipfile walks the directory by its size, not by the count the end record gives, so
        # the parts are counted here first: it then never builds more than MAX_ENTRIES of them.
        entries = max(entries, _count_parts(file, start, directory_bytes))
        if entries > MAX_ENTRIES:
            raise ZipRefused(f"it holds {entries:,} parts; at most {MAX_ENTRIES:,} are accepted")
        try:
            with zipfile.ZipFile(file) as archive:
                infos = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
            return  # not a zip we can read: the type check or the reader says so
    if len(infos) > MAX_ENTRIES:
        raise ZipRefused(f"it holds {len(infos):,} parts; at most {MAX_ENTRIES:,} are accepted")
    total = 0
    for info in infos:
        if info.compress_type not in _METHODS:
            raise ZipRefused(
                f"its part {_shown(info.filename)} uses a compression method "
                f"(number {info.compress_type}) that Office files do not use"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FREE_PART_BYTES and ratio > MAX_RATIO:
            raise ZipRefused(
                f"its part {_shown(info.filename)} would unpack to "
                f"{_megabytes(info.file_size)} from {_megabytes(info.compress_size)} "
                f"({ratio:,.0f} to 1; at most {MAX_RATIO} to 1 is accepted)"
            )
        total += info.file_size
    if total > MAX_UNPACKED_BYTES:
        raise ZipRefused(
            f"its parts would unpack to {_megabytes(total)}; "
            f"at most {_megabytes(MAX_UNPACKED_BYTES)} is accepted"
        )
    if total > RATIO_FREE_FILE_BYTES and total > MAX_RATIO * size:
        raise ZipRefused(
            f"its parts would unpack to {_megabytes(total)} from {_megabytes(size)} "
            f"({total / max(size, 1):,.0f} to 1; at most {MAX_RATIO} to 1 is accepted)"
        )


def check_inflated_sizes(path: str | os.PathLike) -> None:
    """Raise ZipRefused if a deflated part unpacks to more than its directory entry declares.

    Each part is inflated in chunks of 64 KB and dropped, so memory stays small; the work stops
    at the declared size plus one chunk, however large the real data.
    """
    with open(path, "rb") as file:
        try:
            with zipfile.ZipFile(file) as archive:
                infos = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
            return
        for info in infos:
            if info.compress_type == zipfile.ZIP_DEFLATED and _inflates_past(file, info):
                raise ZipRefused(
                    f"its part {_shown(info.filename)} unpacks to more than the "
                    f"{info.file_size:,} bytes its table of contents declares"
                )


def zip_refusal(path: str | os.PathLike) -> str | None:
    """Why the zip at `path` must not be unpacked, as a sentence; None if it may be."""
    try:
        check_declared_sizes(path)
        check_inflated_sizes(path)
    except ZipRefused as exc:
        return f"The file was not unpacked: {exc}."
    return None


def _directory_extent(file, size: int) -> tuple[int, int, int]:
    """(parts, bytes, offset) of the central directory, from the end records; zeros if none.

    Found as `zipfile` finds them (the record without a comment, else the last one in the final
    64 KB), so both read the same directory.
    """
    file.seek(max(0, size - _END_RECORD.size))
    tail = file.read()
    start = 0 if tail[:4] == b"PK\x05\x06" and tail[-2:] == b"\0\0" else -1
    offset = size - len(tail)
    if start < 0:
        file.seek(max(0, size - _END_RECORD.size - (1 << 16)))
        offset = file.tell()
        tail = file.read()
        start = tail.rfind(b"PK\x05\x06")
        if start < 0 or len(tail) - start < _END_RECORD.size:
            return 0, 0, 0
    record = _END_RECORD.unpack_from(tail, start)
    entries, directory_bytes = record[4], record[5]
    directory_end = offset + start
    locator_at = directory_end - _END_LOCATOR_64.size
    if locator_at >= 0:
        file.seek(locator_at)
        locator = file.read(_END_LOCATOR_64.size)
        if locator[:4] == b"PK\x06\x07":
            # zipfile expects the ZIP64 record just before its locator; so does this.
            record_at = max(0, locator_at - _END_RECORD_64.size)
            file.seek(record_at)
            record64 = file.read(_END_RECORD_64.size)
            if len(record64) == _END_RECORD_64.size and record64[:4] == b"PK\x06\x06":
                fields = _END_RECORD_64.unpack(record64)
                entries, directory_bytes = fields[7], fields[8]  # as zipfile takes them
                directory_end = record_at
    return entries, directory_bytes, max(0, directory_end - directory_bytes)


def _count_parts(file, start: int, directory_bytes: int) -> int:
    """How many entries the central directory really holds (it is at most 4 MB: read whole)."""
    file.seek(start)
    directory = file.read(directory_bytes)
    count = position = 0
    while directory[position : position + 4] == b"PK\x01\x02" and count <= MAX_ENTRIES:
        if position + _DIRECTORY_ENTRY_BYTES > len(directory):
            break
        lengths = struct.unpack_from("<3H", directory, position + 28)
        position += _DIRECTORY_ENTRY_BYTES + sum(lengths)
        count += 1
    return count


def _inflates_past(file, info: zipfile.ZipInfo) -> bool:
    """Whether the deflated part unpacks to more than `info.file_size` bytes."""
    file.seek(info.header_offset)
    header = file.read(_LOCAL_HEADER_BYTES)
    if len(header) < _LOCAL_HEADER_BYTES or header[:4] != b"PK\x03\x04":
        return False  # zipfile refuses to open such a part at all
    name_length, extra_length = struct.unpack("<2H", header[26:30])
    file.seek(info.header_offset + _LOCAL_HEADER_BYTES + name_length + extra_length)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    left, produced = info.compress_size, 0
    try:
        while left > 0 and not inflater.eof:
            data = file.read(min(left, _CHUNK))
            if not data:
                break
            left -= len(data)
            while data and not inflater.eof:
                produced += len(inflater.decompress(data, _CHUNK))
                if produced > info.file_size:
                    return True
                data = inflater.unconsumed_tail
    except zlib.error:
        return False  # damaged data: the reader fails on it with its own error
    return False


def _shown(name: str) -> str:
    """A part's name for a message: no control characters, at most 80 characters."""
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    return name if len(name) <= 80 else name[:60] + "…" + name[-19:]


def _megabytes(size: int) -> str:
    """A size for a message: "1,024 MB", "0.4 MB"."""
    megabytes = size / (1024 * 1024)
    return f"{megabytes:,.0f} MB" if megabytes >= 10 else f"{megabytes:.1f} MB"
