"""Tests for collateral.filetypes: the type of an upload is judged by its content."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import openpyxl
import pptx
import pytest
from fpdf import FPDF
from PIL import Image

from collateral.filetypes import (
    ACCEPTED_EXTENSIONS,
    FileType,
    UnsafeFile,
    UnsupportedFileType,
    detect_file_type,
)
from tests.corpus import CORPUS, corpus_rows, needs_corpus

OLE2_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom\x00\x00\x00\x08mdat"
MOV_HEADER = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  \x00\x00\x00\x08mdat"
HEIC_HEADER = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic\x00\x00\x00\x08meta"


def ebml_header(doctype: bytes) -> bytes:
    """The EBML header that starts a WebM or Matroska file."""
    body = b"\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    body += b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(body)]) + body


def pdf_bytes() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Hello")
    return bytes(pdf.output())


def office_bytes(document: pptx.presentation.Presentation | docx.document.Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Price"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def odf_bytes(kind: str) -> bytes:
    mimetype = f"application/vnd.oasis.opendocument.{kind}".encode()
    return zip_bytes({"mimetype": mimetype, "content.xml": b"<office:document-content/>"})


def image_bytes(image_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buffer, format=image_format)
    return buffer.getvalue()


SAMPLES: dict[str, Callable[[], bytes]] = {
    "pdf": pdf_bytes,
    "pptx": lambda: office_bytes(pptx.Presentation()),
    "docx": lambda: office_bytes(docx.Document()),
    "xlsx": xlsx_bytes,
    "odt": lambda: odf_bytes("text"),
    "odp": lambda: odf_bytes("presentation"),
    "ods": lambda: odf_bytes("spreadsheet"),
    "txt": lambda: "Price list, naïve café\n".encode(),
    "md": lambda: b"# Pricing\n\n* one\n",
    "csv": lambda: b"product,price\nwidget,12\n",
    "html": lambda: b"<!doctype html><html><body><p>Hi</p></body></html>",
    "png": lambda: image_bytes("PNG"),
    "jpeg": lambda: image_bytes("JPEG"),
    "gif": lambda: image_bytes("GIF"),
    "webp": lambda: image_bytes("WEBP"),
    "mp4": lambda: MP4_HEADER,
    "mov": lambda: MOV_HEADER,
    "webm": lambda: ebml_header(b"webm"),
}
MIME_TYPES = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "txt": "text/plain",
    "md": "text/markdown",
    "csv": "text/csv",
    "html": "text/html",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
}


def detect(tmp_path: Path, data: bytes, filename: str) -> FileType:
    """Write `data` to a temporary file and detect it as `filename`."""
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    return detect_file_type(path, filename)


def rejection(tmp_path: Path, data: bytes, filename: str) -> str:
    """The message of the UnsupportedFileType raised for `data` named `filename`."""
    with pytest.raises(UnsupportedFileType) as caught:
        detect(tmp_path, data, filename)
    message = str(caught.value)
    assert message.endswith(f"Accepted: {', '.join(ACCEPTED_EXTENSIONS)}.")
    return message


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_accepts_content_that_matches_the_name(tmp_path: Path, kind: str) -> None:
    extension = {"jpeg": "jpg"}.get(kind, kind)
    file_type = detect(tmp_path, SAMPLES[kind](), f"Brochure 2024.{extension.upper()}")
    assert file_type == FileType(kind=kind, mime_type=MIME_TYPES[kind])


@pytest.mark.parametrize(
    ("filename", "kind"), [("page.htm", "html"), ("photo.jpeg", "jpeg"), ("a.b.Pdf", "pdf")]
)
def test_extension_aliases_and_case(tmp_path: Path, filename: str, kind: str) -> None:
    data = SAMPLES[kind]()
    assert detect(tmp_path, data, filename).kind == kind


def test_accepted_extensions_are_sorted_without_dots() -> None:
    assert list(ACCEPTED_EXTENSIONS) == sorted(ACCEPTED_EXTENSIONS)
    assert {"htm", "html", "jpg", "jpeg", "pptx", "webm"} <= set(ACCEPTED_EXTENSIONS)
    assert not any("." in extension for extension in ACCEPTED_EXTENSIONS)


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (
            SAMPLES["html"](),
            "deck.pdf",
            "does not contain a PDF document (its content looks like an HTML page)",
        ),
        (
            b"bytestream of video would appear here ...\n",
            "clip.mp4",
            "‘clip.mp4’ does not contain MP4 video (its content looks like text)",
        ),
        (
            zip_bytes({"a.txt": b"a", "b.csv": b"b"}),
            "report.docx",
            "does not contain a Word document (DOCX) (its content looks like a ZIP archive)",
        ),
        (
            SAMPLES["png"](),
            "photo.jpg",
            "does not contain a JPEG image (its content looks like a PNG image)",
        ),
        (SAMPLES["docx"](), "deck.pptx", "(its content looks like a Word document (DOCX))"),
        (SAMPLES["pptx"](), "sheet.xlsx", "(its content looks like a PowerPoint presentation"),
        (SAMPLES["odt"](), "sheet.ods", "(its content looks like an OpenDocument text (ODT))"),
        (
            MP4_HEADER,
            "clip.mov",
            "does not contain QuickTime (MOV) video (its content looks like MP4 video)",
        ),
        (MOV_HEADER, "clip.mp4", "(its content looks like QuickTime (MOV) video)"),
        (HEIC_HEADER, "photo.mp4", "(its content looks like a HEIC or AVIF image)"),
        (ebml_header(b"matroska"), "film.webm", "(its content looks like Matroska (MKV) video)"),
        (b"{\\rtf1\\ansi hello}", "notes.pdf", "(its content looks like an RTF document)"),
        (b"\x00\x01\x02binary", "notes.txt", "(its content looks like binary data"),
        ("notes".encode("utf-16"), "notes.txt", "(its content looks like UTF-16 text"),
        (b"x" * 1100 + b"%PDF-1.7", "late.pdf", "does not contain a PDF document"),
    ],
)
def test_rejects_content_that_does_not_match_the_name(
    tmp_path: Path, data: bytes, filename: str, expected: str
) -> None:
    assert expected in rejection(tmp_path, data, filename)


def test_old_binary_office_file_named_as_ooxml_says_so(tmp_path: Path) -> None:
    message = rejection(tmp_path, OLE2_HEADER, "budget.xlsx")
    assert "‘budget.xlsx’ is saved in an old binary Office format" in message
    assert "save it as .xlsx" in message


@needs_corpus
def test_password_protected_ooxml_is_accepted_for_storage(tmp_path: Path) -> None:
    """Encrypted DOCX/PPTX/XLSX are stored without text, found by their metadata."""
    source = CORPUS / "unst__password_protected.xlsx"
    target = tmp_path / "budget.xlsx"
    target.write_bytes(source.read_bytes())
    assert detect_file_type(target, "budget.xlsx").kind == "xlsx"


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("notes.rtf", "‘notes.rtf’ is not an accepted type; save it as .docx or .pdf"),
        ("archive.zip", "‘archive.zip’ is not an accepted type; unpack it"),
        ("tool.exe", "‘tool.exe’ is not an accepted type."),
        ("README", "‘README’ has no extension"),
        ("report.", "‘report.’ has no extension"),
        ("", "The file has no name"),
        ("   ", "The file has no name"),
        ("evil\x00.pdf", "The file name contains control characters"),
        ("line\nbreak.pdf", "The file name contains control characters"),
        ("invoice\u202efdp.exe", "The file name contains control characters"),
    ],
)
def test_rejects_unusable_names(tmp_path: Path, filename: str, expected: str) -> None:
    assert expected in rejection(tmp_path, SAMPLES["pdf"](), filename)


def test_rejects_an_empty_file(tmp_path: Path) -> None:
    assert "‘empty.txt’ is empty" in rejection(tmp_path, b"", "empty.txt")


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbfBOM first,then text\r\n",
        "Preis: 12 €, Größe — naïve\r\n\tend\f".encode("cp1252"),
        "caf\u00e9 menu".encode("latin-1"),
        "€".encode() * 30_000,  # a character cut at the 64 KB boundary is still UTF-8
    ],
)
def test_accepts_utf8_and_windows_text(tmp_path: Path, data: bytes) -> None:
    assert detect(tmp_path, data, "prices.csv").kind == "csv"


def test_rejects_latin1_text_with_control_characters(tmp_path: Path) -> None:
    assert "binary data" in rejection(tmp_path, b"caf\xe9\x1b[0m\x81", "log.txt")


def test_accepts_pdf_with_junk_before_its_header(tmp_path: Path) -> None:
    assert detect(tmp_path, b"\x00\x0f junk" + SAMPLES["pdf"](), "scan.pdf").kind == "pdf"


def test_accepts_mov_starting_with_a_moov_box(tmp_path: Path) -> None:
    data = b"\x00\x00\x00\x08wide\x00\x00\x00\x10moov\x00\x00\x00\x08mvhd"
    assert detect(tmp_path, data, "clip.mov").kind == "mov"


# The corpus files that must be refused, and a phrase each refusal must contain.
CORPUS_REJECTED = {
    "pptx__dummy-42bytes.mp4": "does not contain MP4 video (its content looks like text)",
    "unst__DA-1p.heic": "is not an accepted type; convert it to JPEG or PNG",
    "unst__fake-doc.rtf": "is not an accepted type; save it as .docx or .pdf",
    "unst__fake-power-point.ppt": "is not an accepted type; save it as .pptx or .pdf",
    "unst__tests-example.xls": "is not an accepted type; save it as .xlsx",
    "unst__simple.zip": "is not an accepted type; unpack it",
}


@pytest.mark.parametrize("row", corpus_rows(), ids=lambda row: row["filename"])
def test_corpus_file_is_typed_or_refused(row: dict[str, str]) -> None:
    filename = row["filename"]
    try:
        file_type = detect_file_type(CORPUS / filename, filename)
    except UnsupportedFileType as refusal:
        assert filename in CORPUS_REJECTED, f"unexpected refusal: {refusal}"
        assert CORPUS_REJECTED[filename] in str(refusal)
    else:
        assert filename not in CORPUS_REJECTED, f"accepted as {file_type}"
        extension = filename.rsplit(".", 1)[1]
        assert file_type.kind == {"jpg": "jpeg"}.get(extension, extension)


def test_zip_bomb_with_the_right_name_is_unsafe_not_unsupported(tmp_path: Path) -> None:
    """The directory of a deck plus one part declaring 1 GB packed in 1 MB: refused unread.
    (tests/test_hostile_files.py builds real bombs and takes them through the upload.)"""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/presentation.xml", "<presentation/>")
        with archive.open("ppt/media/image1.png", "w") as part:
            part.write(bytes(2 * 1024 * 1024))  # 2 MB of zeros pack to about 2 KB
    path = tmp_path / "bomb.pptx"
    path.write_bytes(out.getvalue())
    with pytest.raises(UnsafeFile, match=r"‘bomb.pptx’ was refused without being unpacked: its"):
        detect_file_type(path, "bomb.pptx")
