"""The text of each page, slide or sheet of a stored file.

Uploads call `extract_file` inside the child process of `collateral.upload_reading`, limited in
time and memory, so a hostile or broken file costs one failed extraction, never the web
worker. Pages without text are left out of `pages`
(their `number` still gives their real position; `page_count` gives the total), so a scanned PDF
has no pages and the error "No text layer (scanned or image-only).". The reader of each format
is in `collateral.readers`.
"""

from __future__ import annotations

import logging
import os

from .child_process import is_out_of_memory
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
]

logger = logging.getLogger(__name__)

# The limits of the child that reads an upload (`collateral.upload_reading`).
DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_MEMORY_MB = 1024


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
