"""The text of each page, slide or sheet of a stored file, read in a child process under limits.

`extract_in_child` runs this module as `python -m collateral.extract`, so a hostile or broken file
costs one failed extraction, never the web worker. Pages without text are left out of `pages`
(their `number` still gives their real position; `page_count` gives the total), so a scanned PDF
has no pages and the error "No text layer (scanned or image-only).". The reader of each format
is in `collateral.readers`.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import signal
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

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
_REPO_ROOT = Path(__file__).resolve().parents[1]


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
        if _out_of_memory(exc):
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
    command = [sys.executable, "-m", "collateral.extract", "--kind", kind]
    command += ["--memory-mb", str(memory_mb), target]
    with tempfile.TemporaryFile() as stderr:
        try:
            # stderr goes to a file so a chatty child cannot fill the parent's memory.
            done = subprocess.run(
                command,
                cwd=_REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                timeout=timeout_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Extraction(error=f"Extraction took longer than {timeout_seconds:g} s.")
        stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - 4000))
        stderr_tail = stderr.read().decode("utf-8", "replace")
    if done.returncode == 0:
        try:
            return Extraction.from_json(done.stdout.decode("utf-8"))
        except (ValueError, KeyError, TypeError):
            logger.warning("Unreadable extractor output for %s: %s", target, stderr_tail)
            return Extraction(error="Extraction failed: the reader's output was unreadable.")
    logger.warning("Extractor for %s exited %s: %s", target, done.returncode, stderr_tail)
    if done.returncode > 0 and "MemoryError" in stderr_tail:
        return Extraction(error=_memory_error(memory_mb))
    if done.returncode < 0:
        number = -done.returncode
        name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
        return Extraction(
            error=f"Extraction failed: the reader was stopped by {name}; the file may be "
            f"damaged or need more than {memory_mb} MB of memory."
        )
    return Extraction(error=f"Extraction failed: the reader exited with code {done.returncode}.")


def _out_of_memory(exc: BaseException | None) -> bool:
    """Whether an exception, or one it arose from, means an allocation failed."""
    while exc is not None:
        lxml = sys.modules.get("lxml.etree")
        if (
            isinstance(exc, MemoryError)
            or "map segment" in str(exc)  # a shared library that could not be loaded
            or "allocate memory" in str(exc)
            or (lxml and isinstance(exc, lxml.XMLSyntaxError) and exc.code == 2)  # ERR_NO_MEMORY
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _memory_error(memory_mb: int) -> str:
    """The error for an extraction that ran out of memory."""
    return f"Extraction needed more than {memory_mb} MB of memory."


def _main(argv: list[str] | None = None) -> int:
    """Child entry point: limit memory, extract, print the Extraction as JSON on stdout."""
    parser = argparse.ArgumentParser(description="Extract a file's text as JSON.")
    parser.add_argument("--kind", required=True, choices=sorted(READERS))
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB)
    parser.add_argument("path")
    args = parser.parse_args(argv)
    limit = args.memory_mb * 1024 * 1024
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    result_fd = os.dup(1)
    os.dup2(2, 1)  # whatever a library prints lands on stderr; stdout carries only the JSON
    warnings.simplefilter("ignore")
    try:
        extraction = extract_file(args.path, args.kind)
    except MemoryError:
        extraction = Extraction(error=_memory_error(args.memory_mb))
    with open(result_fd, "w", encoding="utf-8") as result:
        result.write(extraction.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(_main())
