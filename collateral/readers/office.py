"""Text of Office Open XML files: per slide (PPTX), per sheet (XLSX) or one document (DOCX).

An OLE2 container where the zip package should be (an encrypted OOXML file, or an old Office
one) is reported as password-protected. A zip bomb, or a zip whose directory understates its
parts, is not unpacked (`collateral.zip_limits`): python-pptx, python-docx and openpyxl read whole
parts trusting the declared sizes. Their XML parsers never expand entities: python-pptx and
python-docx use lxml with `resolve_entities=False`, openpyxl uses defusedxml (checked below).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

from ..zip_limits import zip_refusal
from .results import ENCRYPTED_FILE, Extraction, PageCollector

MAX_CELLS_PER_SHEET = 200_000
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_pptx(path: str, kind: str) -> Extraction:
    """Text per slide: every shape's text, then the speaker notes."""
    from pptx import Presentation

    if _is_ole2(path):
        return Extraction(error=ENCRYPTED_FILE)
    if refusal := zip_refusal(path):
        return Extraction(error=refusal)
    presentation = Presentation(path)
    pages = PageCollector("slide")
    for number, slide in enumerate(presentation.slides, 1):
        texts = [text for shape in slide.shapes for text in _shape_texts(shape)]
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            texts.append(slide.notes_slide.notes_text_frame.text)
        if not pages.add(number, "\n".join(texts)):
            break
    return pages.result(len(presentation.slides), presentation.core_properties.title)


def _shape_texts(shape: Any) -> Iterator[str]:
    """Texts of a shape: its text frame, its table's rows, or its group's shapes."""
    from pptx.shapes.group import GroupShape

    if isinstance(shape, GroupShape):
        for member in shape.shapes:
            yield from _shape_texts(member)
    elif shape.has_text_frame:
        yield shape.text_frame.text
    elif shape.has_table:
        for row in shape.table.rows:
            yield "\t".join(cell.text for cell in row.cells)


def read_docx(path: str, kind: str) -> Extraction:
    """One document: headers, body (tables and text boxes included), then footers."""
    import docx

    if _is_ole2(path):
        return Extraction(error=ENCRYPTED_FILE)
    if refusal := zip_refusal(path):
        return Extraction(error=refusal)
    document = docx.Document(path)
    headers: list[str] = []
    footers: list[str] = []
    for section in document.sections:
        for texts, parts in (
            (headers, (section.header, section.first_page_header, section.even_page_header)),
            (footers, (section.footer, section.first_page_footer, section.even_page_footer)),
        ):
            texts += [_word_text(p.part.element) for p in parts if not p.is_linked_to_previous]
    body = _word_text(document.element.body)
    pages = PageCollector("document")
    pages.add(1, "\n".join([*dict.fromkeys(headers), body, *dict.fromkeys(footers)]))
    return pages.result(None, document.core_properties.title)


def _word_text(root: Any) -> str:
    """Paragraph texts under a WordprocessingML element, one per line, in document order."""
    from docx.oxml.ns import qn
    from lxml import etree

    paragraph, text, run = qn("w:p"), qn("w:t"), qn("w:r")
    specials = {qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:cr"): "\n", qn("w:noBreakHyphen"): "-"}
    fallback = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
    cell, merge, merge_value = qn("w:tc"), f"{qn('w:tcPr')}/{qn('w:vMerge')}", qn("w:val")
    lines: list[str] = []
    open_paragraphs: list[list[str]] = []
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        if event == "end":
            if tag == paragraph:
                lines.append("".join(open_paragraphs.pop()))
        elif tag == fallback:  # the same content again, for old readers
            walker.skip_subtree()
        elif tag == cell and element.find(merge) is not None:
            if element.find(merge).get(merge_value, "continue") == "continue":
                walker.skip_subtree()  # covered by the merged cell above; Word hides its text
        elif tag == paragraph:
            open_paragraphs.append([])
        elif open_paragraphs and tag == text:
            open_paragraphs[-1].append(element.text or "")
        elif open_paragraphs and tag in specials and element.getparent().tag == run:
            open_paragraphs[-1].append(specials[tag])
    return "\n".join(lines)


def read_xlsx(path: str, kind: str) -> Extraction:
    """Text per worksheet: cells joined by tabs, rows by newlines."""
    import openpyxl

    if not openpyxl.DEFUSEDXML:
        # openpyxl falls back to the standard library's parser, which expands entities
        # (OPENPYXL_DEFUSEDXML=False, or defusedxml missing): a broken installation.
        raise ImportError("openpyxl is not using defusedxml; spreadsheets are not read without it")
    if _is_ole2(path):
        return Extraction(error=ENCRYPTED_FILE)
    if refusal := zip_refusal(path):
        return Extraction(error=refusal)
    # A file object, not the path: openpyxl refuses paths not ending in .xlsx (stored blobs don't).
    with open(path, "rb") as file:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
        try:
            return _workbook_text(workbook)
        finally:
            workbook.close()


def _workbook_text(workbook: Any) -> Extraction:
    """Text per worksheet of an open read-only workbook."""
    pages, capped = PageCollector("sheet"), False
    sheets = workbook.worksheets
    for number, sheet in enumerate(sheets, 1):
        sheet.reset_dimensions()  # a stated size like A1:XFD1048576 would pad every row
        lines, cells = [], 0
        for row in sheet.iter_rows(values_only=True):
            lines.append("\t".join(_cell_text(value) for value in row).rstrip("\t"))
            cells += len(row)
            if cells >= MAX_CELLS_PER_SHEET:
                capped = True
                break
        if not pages.add(number, "\n".join(line for line in lines if line), sheet.title):
            break
    extraction = pages.result(len(sheets), workbook.properties.title)
    extraction.metadata.update({"truncated": True} if capped else {})
    return extraction


def _cell_text(value: Any) -> str:
    """A spreadsheet value as a person would read it."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return " ".join(str(value).split())


def _is_ole2(path: str) -> bool:
    """Whether the file is an OLE2 container: an encrypted OOXML file or an old Office one."""
    with open(path, "rb") as file:
        return file.read(8) == _OLE2_MAGIC
