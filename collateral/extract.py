"""The text of each page, slide or sheet of a stored file, read in a child process under limits.

`extract_in_child` runs this module as `python -m collateral.extract` (see
`collateral.child_process`), so a hostile or broken file costs one failed extraction, never the
web worker. Pages without text are left out of `pages`
(their `number` still gives their real position; `page_count` gives the total), so a scanned PDF
has no pages and the error "No text layer (scanned or image-only).". The reader of each format
is in `collateral.readers`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from .child_process import (
    ChildFailed,
    is_out_of_memory,
    limit_child,
    out_of_memory_message,
    run_in_child,
)
from .readers import READERS
from .readers.office import MAX_CELLS_PER_SHEET
from .readers.results import (
    ENCRYPTED_FILE,
    ENCRYPTED_PDF,
    MAX_TEXT_CHARS,
    NO_TEXT_LAYER,
    Extraction,
    PageText,
    clean_text,
    damaged_error,
)

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT_SECONDS",
    "ENCRYPTED_FILE",
    "ENCRYPTED_PDF",
    "MAX_CELLS_PER_SHEET",
    "MAX_TEXT_CHARS",
    "NO_TEXT_LAYER",
    "Extraction",
    "PageText",
    "clean_text",
    "extract_file",
    "extract_in_child",
]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_MEMORY_MB = 1024
_TASK = "Extraction"  # names the job in errors: "Extraction took longer than 60 s."


def extract_file(path: str | os.PathLike, kind: str) -> Extraction:
    """Read the file's text in this process; a bad file gives an Extraction with `error` set."""
    reader = READERS.get(kind)
    if reader is None:
        raise ValueError(f"Cannot extract kind {kind!r}; expected one of {sorted(READERS)}.")
    path = os.fspath(path)
    try:
        return reader(path, kind)
    except MemoryError:
        raise
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        return Extraction(error=f"The file could not be opened: {exc.strerror or exc}.")
    except Exception as exc:
        # Readers of damaged files raise almost anything (KeyError, lxml and zip errors...);
        # one bad file must cost one failed extraction, so this is the single catch-all.
        # Under the child's address-space cap CPython reports some failed allocations, in
        # imports above all, as "SystemError: error return without exception set".
        if is_out_of_memory(exc) or isinstance(exc, SystemError):
            raise MemoryError(str(exc)) from exc
        if isinstance(exc, ImportError):
            raise  # a broken installation, not a broken file
        logger.info("Could not extract %s as %s", path, kind, exc_info=True)
        return Extraction(error=damaged_error(exc, path))


def extract_in_child(
    path: str | os.PathLike,
    kind: str,
    *,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> Extraction:
    """Read the file's text in a child process limited in time and address space."""
    if kind not in READERS:
        raise ValueError(f"Cannot extract kind {kind!r}; expected one of {sorted(READERS)}.")
    target = str(Path(path).resolve())
    try:
        output = run_in_child(
            "collateral.extract",
            ["--kind", kind, target],
            task=_TASK,
            worker="the reader",
            timeout_seconds=timeout_seconds,
            memory_mb=memory_mb,
        )
    except ChildFailed as exc:
        return Extraction(error=str(exc))
    try:
        return Extraction.from_json(output.stdout.decode("utf-8"))
    except (ValueError, KeyError, TypeError):
        logger.warning("Unreadable extractor output for %s: %s", target, output.stderr_tail)
        return Extraction(error="Extraction failed: the reader's output was unreadable.")


def _main(argv: list[str] | None = None) -> int:
    """Child entry point: limit memory, extract, print the Extraction as JSON on stdout."""
    parser = argparse.ArgumentParser(description="Extract a file's text as JSON.")
    parser.add_argument("--kind", required=True, choices=sorted(READERS))
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB)
    parser.add_argument("path")
    args = parser.parse_args(argv)
    result_fd = limit_child(args.memory_mb)  # stdout now carries only the JSON
    try:
        extraction = extract_file(args.path, args.kind)
    except MemoryError:
        extraction = Extraction(error=out_of_memory_message(_TASK, args.memory_mb))
    with open(result_fd, "w", encoding="utf-8") as result:
        result.write(extraction.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(_main())
