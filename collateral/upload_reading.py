"""The text and the thumbnail of an uploaded file, both made in ONE child process under limits.

An upload needs both; one child per file instead of one for each halves the Python start-ups,
which were most of the CPU of a bulk import. The child (`python -m collateral.upload_reading`)
writes the extraction as one JSON line first, then the thumbnail's JPEG bytes, so a child that
runs out of time or memory while drawing still gives its text, and the parent draws a card.
Knows nothing of Flask or the models.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .child_process import ChildFailed, limit_child, out_of_memory_message, run_in_child
from .extract import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS, Extraction, extract_file
from .previews import _clean_title, make_card, make_thumbnail
from .readers import READERS

logger = logging.getLogger(__name__)

_TASK = "Extraction"  # the text is what matters; its errors are what the marketer sees
_JPEG_MAGIC = b"\xff\xd8\xff"
_UNREADABLE = "Extraction failed: the reader's output was unreadable."


@dataclass(frozen=True)
class UploadReading:
    """What was read from a file: its text (or why not) and a JPEG thumbnail."""

    extraction: Extraction
    thumbnail: bytes


def read_upload_in_child(
    path: str | os.PathLike,
    kind: str,
    title: str,
    *,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> UploadReading:
    """Extract the text and draw the thumbnail in one child limited in time and memory.

    The time limit covers both; the thumbnail falls back to a card of the kind and title.
    """
    if kind not in READERS:
        raise ValueError(f"Cannot extract kind {kind!r}; expected one of {sorted(READERS)}.")
    title = _clean_title(title)
    target = str(Path(path).resolve())
    try:
        output = run_in_child(
            "collateral.upload_reading",
            [f"--kind={kind}", f"--title={title}", target],
            task=_TASK,
            worker="the reader",
            timeout_seconds=timeout_seconds,
            memory_mb=memory_mb,
        ).stdout
        failure = None
    except ChildFailed as exc:
        output, failure = exc.partial_stdout, exc
    text_line, newline, thumbnail = output.partition(b"\n")
    extraction = _parse_extraction(text_line) if newline else None
    if extraction is None:
        if failure is None:
            logger.warning("Unreadable reader output for %s", target)
        extraction = Extraction(error=str(failure or _UNREADABLE))
    if failure is not None or not thumbnail.startswith(_JPEG_MAGIC):
        logger.info("Card instead of a thumbnail for %s: %s", target, failure)
        thumbnail = make_card(kind, title)
    return UploadReading(extraction, thumbnail)


def _parse_extraction(line: bytes) -> Extraction | None:
    try:
        return Extraction.from_json(line.decode("utf-8"))
    except (ValueError, KeyError, TypeError):
        return None


def _main(argv: list[str] | None = None) -> int:
    """Child entry point: limit memory; write the Extraction as a JSON line, then the JPEG."""
    parser = argparse.ArgumentParser(description="Extract a file's text, then draw its thumbnail.")
    parser.add_argument("--kind", required=True, choices=sorted(READERS))
    parser.add_argument("--title", default="")
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB)
    parser.add_argument("path")
    args = parser.parse_args(argv)
    result_fd = limit_child(args.memory_mb)  # stdout now carries only the results
    with open(result_fd, "wb") as result:
        try:
            extraction = extract_file(args.path, args.kind)
        except MemoryError:
            extraction = Extraction(error=out_of_memory_message(_TASK, args.memory_mb))
        result.write(extraction.to_json().encode("utf-8") + b"\n")
        result.flush()  # the text is safe even if drawing fails
        del extraction  # its memory is the drawing's
        result.write(make_thumbnail(args.path, args.kind, args.title))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
