"""Real office files made on the spot for tests, and helpers to send them."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from fpdf import FPDF
from openpyxl import Workbook
from pptx import Presentation
from pptx.util import Inches
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart


def make_pptx(slides: Sequence[tuple[str, str, str]]) -> bytes:
    """A deck: each slide is (title, body, speaker notes)."""
    deck = Presentation()
    layout = deck.slide_layouts[1]
    for title, body, notes in slides:
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def make_pptx_with_table(rows: Sequence[Sequence[str]]) -> bytes:
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Table"
    shape = slide.shapes.add_table(
        len(rows), len(rows[0]), Inches(1), Inches(2), Inches(6), Inches(2)
    )
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            shape.table.cell(r, c).text = text
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def make_docx(paragraphs: Sequence[str]) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_pdf(pages: Sequence[str]) -> bytes:
    """A PDF with one text block per page (Latin-1 text)."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def make_xlsx(sheets: dict[str, Sequence[Sequence[object]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def file_field(content: bytes | Path, filename: str | None = None) -> tuple[io.BytesIO, str]:
    """A multipart file tuple for the Flask test client."""
    if isinstance(content, Path):
        filename = filename or content.name
        content = content.read_bytes()
    return io.BytesIO(content), filename or "file.bin"


def multipart(fields: dict) -> dict:
    """Keyword arguments posting `fields` as one in-memory multipart body.

    The test client would spill a large body to a temporary file it never closes.
    """
    values = MultiDict()
    for key, value in fields.items():
        if isinstance(value, tuple):
            value = FileStorage(stream=value[0], filename=value[1])
        for item in value if isinstance(value, list) else [value]:
            values.add(key, item)
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}
