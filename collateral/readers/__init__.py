"""One reader per file format: `READERS[kind](path, kind)` gives the file's Extraction.

Readers may raise on a damaged file; `collateral.extract.extract_file` turns that into an error.
They run in the reading child process (`python -m collateral.upload_reading`), so each imports its
heavy library only when called, and none imports Flask.
"""

from __future__ import annotations

from collections.abc import Callable

from .media import read_image, read_video
from .odf import read_odf
from .office import read_docx, read_pptx, read_xlsx
from .pdf import read_pdf
from .results import Extraction
from .text import read_html, read_plain_text

READERS: dict[str, Callable[[str, str], Extraction]] = {
    "pdf": read_pdf,
    "pptx": read_pptx,
    "docx": read_docx,
    "xlsx": read_xlsx,
    "odt": read_odf,
    "odp": read_odf,
    "ods": read_odf,
    "txt": read_plain_text,
    "md": read_plain_text,
    "csv": read_plain_text,
    "html": read_html,
    "png": read_image,
    "jpeg": read_image,
    "gif": read_image,
    "webp": read_image,
    "mp4": read_video,
    "mov": read_video,
    "webm": read_video,
}
