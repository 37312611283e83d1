"""Real office files made on the spot for tests, and helpers to send them."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
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


ODF_MIME_TYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
ODF_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"'
)


def make_odf(kind: str, body: str, prologue: str = "") -> bytes:
    """An OpenDocument file (odt, odp, ods) whose content.xml body is `body`.

    `prologue` goes between the XML declaration and the root element (a DOCTYPE, say).
    """
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>{prologue}'
        f"<office:document-content {ODF_NAMESPACES}><office:body>{body}</office:body>"
        "</office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", ODF_MIME_TYPES[kind], compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
    return out.getvalue()


@dataclass
class RawPart:
    """A zip part as written byte for byte: its packed data and what the directory declares."""

    name: str
    packed: bytes
    file_size: int
    crc: int
    method: int = zipfile.ZIP_DEFLATED


def deflated(data: bytes) -> bytes:
    """`data` as a raw deflate stream, as zip parts hold it."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def deflated_repeats(chunk: bytes, times: int) -> bytes:
    """`chunk` repeated `times` times as one raw deflate stream, without deflating it all.

    A full flush empties the compressor's window, so the packed chunk is the same bytes each
    time and can itself be repeated: a gigabyte of zeros packs to about a megabyte in
    milliseconds, instead of the ten seconds it takes zlib to pack it.
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    packed = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    return packed * times + packer.flush(zlib.Z_FINISH)


def parts_of(zip_data: bytes) -> list[RawPart]:
    """The parts of a real zip (a generated Office file), to build a hostile one on."""
    with zipfile.ZipFile(io.BytesIO(zip_data)) as archive:
        parts = []
        for info in archive.infolist():
            data = archive.read(info)
            stored = info.compress_type == zipfile.ZIP_STORED
            packed = data if stored else deflated(data)
            method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            parts.append(RawPart(info.filename, packed, len(data), zlib.crc32(data), method))
    return parts


def raw_zip(parts: Sequence[RawPart]) -> bytes:
    """A zip written by hand, so its directory may declare what its data is not.

    Sizes stay under 4 GB, so no ZIP64 records are needed.
    """
    out = io.BytesIO()
    directory = []
    for part in parts:
        offset = out.tell()
        name = part.name.encode("utf-8")
        sizes = (part.crc, len(part.packed), part.file_size)
        # version 2.0, no flags, the part's method, 1980-01-01 00:00
        out.write(
            struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, part.method, 0, 33, *sizes, len(name), 0)
            + name
        )
        out.write(part.packed)
        directory.append(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                part.method,
                0,
                33,
                *sizes,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name
        )
    start = out.tell()
    out.write(b"".join(directory))
    size = out.tell() - start
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), size, start, 0))
    return out.getvalue()
