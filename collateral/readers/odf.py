"""Text of OpenDocument files: per slide (ODP), per sheet (ODS) or one document (ODT).

content.xml is streamed through defusedxml, which refuses entity declarations (XML bombs,
external entities) instead of expanding them; a zip bomb is not unpacked at all.
"""

from __future__ import annotations

import zipfile
from typing import Any

from ..zip_limits import zip_refusal
from .results import ENCRYPTED_FILE, Extraction, PageCollector

_TEXT_NS = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE_NS = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODF_PARAGRAPHS = (_TEXT_NS + "p", _TEXT_NS + "h")
_ODF_ROW, _ODF_CELL = _TABLE_NS + "table-row", _TABLE_NS + "table-cell"
_ODF_UNITS = {
    "odp": "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}page",
    "ods": _TABLE_NS + "table",
}
_ODF_LABELS = {"odt": "document", "odp": "slide", "ods": "sheet"}
_ODF_SPECIALS = {_TEXT_NS + "tab": "\t", _TEXT_NS + "line-break": "\n"}


def read_odf(path: str, kind: str) -> Extraction:
    """Text of an OpenDocument file: per slide (ODP), per sheet (ODS) or one document (ODT)."""
    from defusedxml.ElementTree import iterparse

    if refusal := zip_refusal(path):
        return Extraction(error=refusal)
    unit = _ODF_UNITS.get(kind)
    pages = PageCollector(_ODF_LABELS[kind])
    number, unit_depth, paragraph_depth, name = 0, 0, 0, None
    lines: list[str] = []
    rows: list[list[list[str]]] = []  # open table rows: cells, each a list of paragraph texts
    with zipfile.ZipFile(path) as archive:
        if "META-INF/manifest.xml" in archive.namelist():
            with archive.open("META-INF/manifest.xml") as manifest:
                if b"encryption-data" in manifest.read(1_000_000):
                    return Extraction(error=ENCRYPTED_FILE)
        with archive.open("content.xml") as content:
            for event, element in iterparse(content, events=("start", "end")):
                tag = element.tag
                if event == "start":
                    if tag == unit:
                        unit_depth += 1
                        if unit_depth == 1:
                            number, lines = number + 1, []
                            name = element.get(_TABLE_NS + "name") if kind == "ods" else None
                    paragraph_depth += tag in _ODF_PARAGRAPHS
                    if tag == _ODF_ROW:
                        rows.append([])
                    elif tag == _ODF_CELL and rows:
                        rows[-1].append([])
                elif tag in _ODF_PARAGRAPHS:
                    paragraph_depth -= 1
                    if paragraph_depth == 0:
                        (rows[-1][-1] if rows and rows[-1] else lines).append(_odf_text(element))
                        element.clear()
                elif tag == _ODF_ROW and rows:
                    line = "\t".join(" ".join(cell) for cell in rows.pop()).rstrip("\t")
                    (rows[-1][-1] if rows and rows[-1] else lines).append(line)
                    element.clear()
                elif tag == unit:
                    unit_depth -= 1
                    element.clear()
                    if unit_depth == 0 and not pages.add(number, "\n".join(lines), name):
                        break
    if unit is None:
        pages.add(1, "\n".join(lines))
    return pages.result(number if unit else None)


def _odf_text(element: Any) -> str:
    """The text inside one ODF paragraph, with its spaces, tabs and line breaks."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == _TEXT_NS + "s":
            count = child.get(_TEXT_NS + "c", "1")
            parts.append(" " * min(int(count) if count.isdigit() else 1, 100))
        elif child.tag in _ODF_SPECIALS:
            parts.append(_ODF_SPECIALS[child.tag])
        elif child.tag in _ODF_PARAGRAPHS:
            parts.append("\n" + _odf_text(child) + "\n")
        else:
            parts.append(_odf_text(child))
        parts.append(child.tail or "")
    return "".join(parts)
