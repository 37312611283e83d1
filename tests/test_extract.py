"""Tests for collateral.extract: text per page, slide or sheet, read in this process and in
the child that reads uploads (`collateral.upload_reading`)."""

from __future__ import annotations

import functools
import os
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import docx
import openpyxl
import pytest
from fpdf import FPDF
from PIL import Image
from pptx import Presentation
from pptx.util import Inches

from collateral.extract import (
    ENCRYPTED_FILE,
    ENCRYPTED_PDF,
    NO_TEXT_LAYER,
    Extraction,
    PageText,
    clean_text,
    extract_file,
)
from collateral.upload_reading import read_upload_in_child
from tests.corpus import CORPUS, corpus_rows, needs_corpus

ODF_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"'
)


def texts(extraction: Extraction) -> dict[int, str]:
    """Page number -> text."""
    return {page.number: page.text for page in extraction.pages}


def make_pdf(path: Path, pages: list[str]) -> Path:
    pdf = FPDF()
    pdf.set_title("Generated price sheet")
    pdf.set_font("helvetica", size=14)
    for text in pages:
        pdf.add_page()
        pdf.cell(text=text)
    pdf.output(str(path))
    return path


def make_pptx(path: Path) -> Path:
    presentation = Presentation()
    presentation.core_properties.title = "Pricing deck"
    title_slide = presentation.slides.add_slide(presentation.slide_layouts[0])
    title_slide.shapes.title.text = "Quarterly pricing overview"
    title_slide.placeholders[1].text = "Prepared for the field team"
    title_slide.notes_slide.notes_text_frame.text = "Mention the early renewal discount"
    blank = presentation.slide_layouts[6]
    table_slide = presentation.slides.add_slide(blank)
    shape = table_slide.shapes.add_table(2, 2, Inches(1), Inches(1), Inches(4), Inches(1))
    for (row, column), text in {
        (0, 0): "Product",
        (0, 1): "Price",
        (1, 0): "Widget Pro",
        (1, 1): "1200 EUR",
    }.items():
        shape.table.cell(row, column).text = text
    group_slide = presentation.slides.add_slide(blank)
    group = group_slide.shapes.add_group_shape()
    box = Inches(1), Inches(1), Inches(3), Inches(1)
    group.shapes.add_textbox(*box).text_frame.text = "Grouped caption alpha"
    group.shapes.add_group_shape().shapes.add_textbox(*box).text_frame.text = "Nested beta"
    presentation.slides.add_slide(blank)  # no text at all
    presentation.save(path)
    return path


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.core_properties.title = "Partner handbook"
    document.add_paragraph("Body paragraph gamma")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Cell delta"
    table.cell(1, 1).add_table(rows=1, cols=1).cell(0, 0).text = "Nested epsilon"
    document.add_paragraph("Closing words")
    section = document.sections[0]
    section.header.paragraphs[0].text = "Header zeta"
    section.footer.paragraphs[0].text = "Footer eta"
    document.save(path)
    return path


def make_xlsx(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    prices = workbook.active
    prices.title = "Prices"
    prices.append(["Product", "Price", "Launched"])
    prices.append(["Widget Pro", 1200.0, datetime(2024, 3, 1)])
    prices.append(["Gadget\nmini", 9.5, None])
    workbook.create_sheet("Empty")
    workbook.create_sheet("Regions").append(["North", "Oslo"])
    workbook.save(path)
    return path


def make_odf(path: Path, kind: str, body: str) -> Path:
    content = f"<office:document-content {ODF_NAMESPACES}><office:body>{body}</office:body>"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", f"application/vnd.oasis.opendocument.{kind}")
        archive.writestr("content.xml", content + "</office:document-content>")
    return path


def test_pdf_text_lands_on_its_page(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "sheet.pdf", ["Alpha page text", "Bravo page text", "Charlie"])
    extraction = extract_file(path, "pdf")
    assert extraction.error is None
    assert extraction.page_count == 3
    assert texts(extraction) == {1: "Alpha page text", 2: "Bravo page text", 3: "Charlie"}
    assert {page.label for page in extraction.pages} == {"page"}
    assert extraction.metadata == {"title": "Generated price sheet"}


def test_pptx_slides_include_tables_groups_and_notes(tmp_path: Path) -> None:
    extraction = extract_file(make_pptx(tmp_path / "deck.pptx"), "pptx")
    assert extraction.error is None
    assert extraction.page_count == 4
    slides = texts(extraction)
    assert list(slides) == [1, 2, 3]  # the empty fourth slide is left out
    title, subtitle, notes = slides[1].split("\n")
    assert (title, subtitle) == ("Quarterly pricing overview", "Prepared for the field team")
    assert notes == "Mention the early renewal discount"  # the speaker notes come last
    assert slides[2] == "Product\tPrice\nWidget Pro\t1200 EUR"
    assert slides[3] == "Grouped caption alpha\nNested beta"
    assert {page.label for page in extraction.pages} == {"slide"}
    assert extraction.metadata["title"] == "Pricing deck"


def test_docx_is_one_document_with_tables_headers_and_footers(tmp_path: Path) -> None:
    extraction = extract_file(make_docx(tmp_path / "handbook.docx"), "docx")
    assert extraction.page_count is None
    [page] = extraction.pages
    assert (page.number, page.label, page.name) == (1, "document", None)
    for earlier, later in [
        ("Header zeta", "Body paragraph gamma"),
        ("Body paragraph gamma", "Cell delta"),
        ("Cell delta", "Nested epsilon"),
        ("Nested epsilon", "Closing words"),
        ("Closing words", "Footer eta"),
    ]:
        assert page.text.index(earlier) < page.text.index(later)
    assert extraction.metadata["title"] == "Partner handbook"


def test_xlsx_gives_one_page_per_sheet_with_its_name(tmp_path: Path) -> None:
    extraction = extract_file(make_xlsx(tmp_path / "prices.xlsx"), "xlsx")
    assert extraction.page_count == 3
    assert [(page.number, page.label, page.name) for page in extraction.pages] == [
        (1, "sheet", "Prices"),
        (3, "sheet", "Regions"),
    ]
    assert extraction.pages[0].text == (
        "Product\tPrice\tLaunched\nWidget Pro\t1200\t2024-03-01\nGadget mini\t9.5"
    )
    assert extraction.pages[1].text == "North\tOslo"


def test_xlsx_cells_per_sheet_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("collateral.readers.office.MAX_CELLS_PER_SHEET", 3)
    extraction = extract_file(make_xlsx(tmp_path / "prices.xlsx"), "xlsx")
    assert texts(extraction)[1] == "Product\tPrice\tLaunched"
    assert texts(extraction)[3] == "North\tOslo"  # the next sheet is still read
    assert extraction.metadata["truncated"] is True


def test_odt_is_one_document_with_spacing_and_tables(tmp_path: Path) -> None:
    body = (
        "<office:text><text:h>Heading theta</text:h>"
        '<text:p>Two<text:s text:c="3"/>spaces<text:tab/>tab<text:line-break/>'
        "next <text:span>spanned iota</text:span></text:p>"
        "<table:table><table:table-row>"
        "<table:table-cell><text:p>Cell one</text:p></table:table-cell>"
        "<table:table-cell><text:p>Cell two</text:p></table:table-cell>"
        "</table:table-row></table:table></office:text>"
    )
    extraction = extract_file(make_odf(tmp_path / "a.odt", "text", body), "odt")
    assert extraction.page_count is None
    assert texts(extraction) == {
        1: "Heading theta\nTwo   spaces\ttab\nnext spanned iota\nCell one\tCell two"
    }


def test_odp_gives_slides_with_notes(tmp_path: Path) -> None:
    frame = "<draw:frame><draw:text-box><text:p>{}</text:p></draw:text-box></draw:frame>"
    body = (
        f"<office:presentation><draw:page>{frame.format('Opening slide')}</draw:page>"
        f"<draw:page>{frame.format('Second slide')}"
        f"<presentation:notes>{frame.format('Speaker kappa')}</presentation:notes></draw:page>"
        "<draw:page/></office:presentation>"
    )
    extraction = extract_file(make_odf(tmp_path / "a.odp", "presentation", body), "odp")
    assert extraction.page_count == 3
    assert texts(extraction) == {1: "Opening slide", 2: "Second slide\nSpeaker kappa"}
    assert {page.label for page in extraction.pages} == {"slide"}


def test_ods_gives_sheets_with_names(tmp_path: Path) -> None:
    row = "<table:table-row>{}</table:table-row>"
    cell = "<table:table-cell><text:p>{}</text:p></table:table-cell>"
    body = (
        '<office:spreadsheet><table:table table:name="Q1">'
        + row.format(cell.format("Widget") + cell.format("12"))
        + row.format(cell.format("Gadget") + "<table:table-cell/>")
        + '</table:table><table:table table:name="Q2">'
        + row.format(cell.format("Sprocket"))
        + "</table:table></office:spreadsheet>"
    )
    extraction = extract_file(make_odf(tmp_path / "a.ods", "spreadsheet", body), "ods")
    assert extraction.page_count == 2
    assert [(page.label, page.name, page.text) for page in extraction.pages] == [
        ("sheet", "Q1", "Widget\t12\nGadget"),
        ("sheet", "Q2", "Sprocket"),
    ]


def test_broken_and_encrypted_odf(tmp_path: Path) -> None:
    broken = make_odf(tmp_path / "broken.odt", "text", "<office:text><text:p>cut")
    assert extract_file(broken, "odt").error.startswith("The file is damaged: ParseError")
    encrypted = tmp_path / "locked.odt"
    with zipfile.ZipFile(encrypted, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("META-INF/manifest.xml", "<manifest:encryption-data/>")
        archive.writestr("content.xml", b"\x8f\x13 encrypted bytes")
    assert extract_file(encrypted, "odt").error == ENCRYPTED_FILE


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        ("txt", "Preis: 12 €\r\nZeile zwei".encode("cp1252"), "Preis: 12 €\nZeile zwei"),
        ("md", "\ufeff# Título\n\n* punto".encode(), "# Título\n\n* punto"),
        ("csv", b"product,price\nwidget,12\n", "product,price\nwidget,12"),
    ],
)
def test_text_files_are_one_document(tmp_path: Path, kind: str, data: bytes, expected: str) -> None:
    path = tmp_path / f"notes.{kind}"
    path.write_bytes(data)
    assert extract_file(path, kind) == Extraction(
        pages=[PageText(1, "document", None, expected)], page_count=None, error=None, metadata={}
    )


def test_html_keeps_only_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Launch  page</title><style>.x { color: red }</style>"
        "<script>var secret = 'tracking';</script></head><body>"
        "<h1>Visible &amp; kept</h1><p>Inline <b>bold</b> words</p>"
        "<template><p>Template lambda</p></template>"
        "<table><tr><td>A</td><td>B</td></tr></table></body></html>",
        encoding="utf-8",
    )
    extraction = extract_file(path, "html")
    assert texts(extraction) == {1: "Visible & kept\nInline bold words\nA B"}
    assert extraction.metadata == {"title": "Launch page"}


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "GIF", "WEBP"])
def test_images_give_size_and_no_text(tmp_path: Path, image_format: str) -> None:
    path = tmp_path / "image.bin"
    Image.new("RGB", (40, 30), "blue").save(path, format=image_format)
    extraction = extract_file(path, image_format.lower())
    assert extraction == Extraction(metadata={"width": 40, "height": 30})
    assert not extraction.has_text


def test_video_has_no_text_and_no_error(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
    assert extract_file(path, "mp4") == Extraction()


def test_clean_text_normalises_breaks_and_drops_controls() -> None:
    raw = "\r\nline one  \r\nline\x00 two\x02\fpage\rthree\u2028four\ud800\n\n\n\nend\x0b"
    assert clean_text(raw) == "line one\nline two\npage\nthree\nfour\ufffd\n\nend"


def test_total_text_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("collateral.readers.results.MAX_TEXT_CHARS", 20)
    path = make_pdf(tmp_path / "long.pdf", ["Fifteen chars!!", "Second page text", "Third"])
    extraction = extract_file(path, "pdf")
    assert texts(extraction) == {1: "Fifteen chars!!", 2: "Secon"}
    assert extraction.metadata["truncated"] is True
    assert extraction.page_count == 3


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("pdf", lambda path: make_pdf(path, ["Alpha"])),
        ("pptx", make_pptx),
        ("docx", make_docx),
        ("xlsx", make_xlsx),
    ],
)
def test_extraction_does_not_depend_on_the_file_name(
    tmp_path: Path, kind: str, make: Callable[[Path], Path]
) -> None:
    named = make(tmp_path / f"named.{kind}")
    blob = tmp_path / "0a1b2c.part"  # stored blobs have no telling extension
    blob.write_bytes(named.read_bytes())
    assert extract_file(blob, kind) == extract_file(named, kind)
    assert extract_file(blob, kind).has_text


@pytest.mark.parametrize("kind", ["pdf", "pptx", "docx", "xlsx", "odt", "png", "html"])
def test_garbage_gives_an_error_not_an_exception(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "garbage.bin"
    path.write_bytes(b"PK\x03\x04 this is not what it claims to be " * 20)
    extraction = extract_file(path, kind)
    if kind == "html":
        assert extraction.has_text  # any bytes are some text
    else:
        assert extraction.error.startswith("The file is damaged: ")
        assert str(path) not in extraction.error


@pytest.mark.parametrize("kind", ["pptx", "docx", "xlsx"])
def test_ole2_office_file_is_password_protected(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "locked.bin"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000))
    assert extract_file(path, kind).error == ENCRYPTED_FILE


def test_missing_file_and_unknown_kind(tmp_path: Path) -> None:
    assert extract_file(tmp_path / "gone.pdf", "pdf").error.startswith("The file could not be")
    with pytest.raises(ValueError, match="Cannot extract kind 'rtf'"):
        extract_file(tmp_path / "gone.rtf", "rtf")
    with pytest.raises(ValueError, match="Cannot extract kind 'rtf'"):
        read_upload_in_child(tmp_path / "gone.rtf", "rtf", "Gone")


def test_extraction_json_round_trip() -> None:
    extraction = Extraction(
        pages=[PageText(2, "sheet", "Q1 – “Ümlaut” 🤠", "a\tb\nc")],
        page_count=3,
        error=None,
        metadata={"title": "x", "truncated": True},
    )
    assert Extraction.from_json(extraction.to_json()) == extraction
    assert extraction.has_text
    assert not Extraction(pages=[PageText(1, "page", None, " \n")]).has_text


def test_child_gives_the_same_result_as_in_process(tmp_path: Path) -> None:
    path = make_pptx(tmp_path / "deck.pptx")
    assert read_upload_in_child(path, "pptx", "Deck").extraction == extract_file(path, "pptx")


def test_child_that_runs_too_long_is_stopped(tmp_path: Path) -> None:
    path = CORPUS / "unst__pdf2image-memory-error-test-400p.pdf"
    if not path.is_file():
        path = make_pdf(tmp_path / "long.pdf", ["text"] * 200)
    reading = read_upload_in_child(path, "pdf", "Long", timeout_seconds=0.05)
    assert reading.extraction == Extraction(error="Extraction took longer than 0.05 s.")


TEXT_KINDS = ("pdf", "pptx", "docx", "xlsx", "odt")


def corpus_extraction(filename: str) -> Extraction:
    """The child-process extraction of a corpus file; the first call extracts them all at once."""
    return corpus_extractions()[filename]


@functools.cache
def corpus_extractions() -> dict[str, Extraction]:
    """Every extractable corpus file, extracted in parallel children to keep the suite quick."""
    names = [*OK_TEXT_FILES, *OTHER_FILES, "unst__example-with-scripts.html"]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        results = pool.map(
            lambda name: read_upload_in_child(CORPUS / name, kind_of(name), name).extraction, names
        )
        return dict(zip(names, results, strict=True))


def kind_of(filename: str) -> str:
    """The extraction kind named by a corpus file's extension."""
    return filename.rsplit(".", 1)[1]


# Phrases read from each text-bearing corpus file flagged ok: (page number or None, phrase).
CORPUS_PHRASES: dict[str, list[tuple[int | None, str]]] = {
    "pngx__multi-page-digital.pdf": [(1, "document. Page 1."), (3, "document. Page 3.")],
    "pngx__sample.docx": [(1, "This is an DOCX test document")],
    "pngx__sample.odt": [(1, "This is an ODT test document")],
    "pngx__simple.pdf": [(1, "This is a test document.")],
    "pptx__prs-notes.pptx": [(1, "Notes")],  # the speaker notes are all the text there is
    "pptx__shp-movie-props.pptx": [],  # a movie and no text
    "pptx__tbl-cell.pptx": [(1, "unladen swallows"), (3, "g\th\ti")],
    "pptx__test.pptx": [(1, "Presentation Title Text")],
    "pypdf__GeoTopo-komprimiert.pdf": [(2, "Mitschriften aus der Vorlesung")],
    "pypdf__crazyones-pdfa.pdf": [(1, "The round pegs")],
    "pypdf__google-doc-document.pdf": [(1, "Readability counts.")],
    "pypdf__habibi-arabic.pdf": [(1, "habibi يبيبَح")],
    "pypdf__libreoffice-writer-source.odt": [(1, "Stet clita kasd gubergren")],
    "pypdf__minimal-document.pdf": [(1, "Stet clita kasd gubergren")],
    "pypdf__multicolumn.pdf": [(3, "EU Countries Information")],
    "pypdf__pdflatex-4-pages.pdf": [(None, "Huardest gefburn")],
    "pypdf__with-attachment.pdf": [(1, "sanctus est Lorem ipsum")],
    "unst__2023-half-year-analyses-by-segment.xlsx": [(3, "Powdered and Liquid Beverages\t12339")],
    "unst__contains-pictures.docx": [(1, "An inline picture in the header")],
    "unst__docx-hdrftr.docx": [(1, "First header para"), (1, "Main document")],
    "unst__docx-tables.docx": [(1, "Table with merged cells"), (1, "g&t")],
    "unst__emoji.xlsx": [(1, "🤠😅")],
    "unst__eng_spa_mult.pptx": [(3, "Todos los seres humanos")],
    "unst__fake-memo.pdf": [(1, "20,000 bottles of water")],
    "unst__fake-power-point-table.pptx": [(1, "Purple\tOrange\tYellow")],
    "unst__fake-power-point.pptx": [(1, "Here is some text in a text box!")],
    "unst__fake.odt": [(1, "Leader\tSarah\tMark\tRyan")],
    "unst__handbook-1p.docx": [(1, "US Trustee Handbook")],
    "unst__handbook-872p.docx": [(1, "misappropriation of funds by an office employee")],
    "unst__korean-text-with-tables.pdf": [(1, "적립 제외 대상")],
    "unst__pdf2image-memory-error-test-400p.pdf": [
        (1, "IDRS Terminal Responses"),
        (201, "Return Form 1041 Display"),
    ],
    "unst__rotated-page-90.pdf": [(1, "Rotated page fixture")],
    "unst__sample-presentation.pptx": [(4, "This is kinda backwards")],
    "unst__stanley-cups.xlsx": [(2, "Maple Leafs\tTOR\t0")],
    "unst__vodafone.xlsx": [(1, "Quarterly revenue")],
}
OK_TEXT_FILES = [
    row["filename"]
    for row in corpus_rows()
    if row["flag"] == "ok" and kind_of(row["filename"]) in TEXT_KINDS
]


@needs_corpus
@pytest.mark.parametrize("filename", OK_TEXT_FILES)
def test_corpus_phrase_is_extracted_on_its_page(filename: str) -> None:
    extraction = corpus_extraction(filename)
    assert extraction.error is None
    assert filename in CORPUS_PHRASES, "read the file and add a phrase for it"
    for number, phrase in CORPUS_PHRASES[filename]:
        pages = texts(extraction)
        assert phrase in (pages.get(number, "") if number else "\n".join(pages.values()))
    assert extraction.has_text == bool(CORPUS_PHRASES[filename])


# What each corpus file that is not plainly ok must give: an error, or a phrase of its text.
CORPUS_OUTCOMES: dict[str, tuple[str, str]] = {
    "pngx__encrypted.pdf": ("error", ENCRYPTED_PDF),
    "pngx__password-is-test.pdf": ("error", ENCRYPTED_PDF),
    "pypdf__libreoffice-writer-password.pdf": ("error", ENCRYPTED_PDF),
    "unst__password.pdf": ("error", ENCRYPTED_PDF),
    "unst__password_protected.xlsx": ("error", ENCRYPTED_FILE),
    "unst__copy-protected.pdf": ("text", "LayoutParser: A Unified Toolkit"),
    "pngx__multi-page-images-scanned.pdf": ("error", NO_TEXT_LAYER),
    "pngx__tagged-but-no-text.pdf": ("error", NO_TEXT_LAYER),
    "pypdf__imagemagick-CCITTFax-imageonly.pdf": ("error", NO_TEXT_LAYER),
    "unst__loremipsum-flat.pdf": ("error", NO_TEXT_LAYER),
    "pngx__invalid_pdf.pdf": ("text", "Invoice number: 123456"),
    "pngx__multi-part-broken.odt": ("text", "Text123"),
    "pptx__missing_rels_item.pptx": ("text", "Presentation Title Text"),
    "unst__failure-after-repair.pdf": ("text", "Understanding Breast Cancer"),
    "unst__fake-power-point-malformed.pptx": ("text", "Test Slide"),
    "unst__invalid-pdf-structure-pdfminer-one-page.pdf": ("text", "Leadership in Cybersecurity"),
    "unst__pdf-bad-color-space.pdf": ("text", "2023 Environmental Report"),
    # pdfium refuses this linearized file ("Data format error"); pdfminer can read it.
    "pypdf__unreadablemetadata.pdf": ("error", "The file is damaged: PdfiumError: Failed to load"),
    "pptx__no-slides.pptx": ("text", ""),
    "unst__empty.xlsx": ("text", ""),
}
OTHER_FILES = [
    row["filename"]
    for row in corpus_rows()
    if row["flag"] != "ok" and kind_of(row["filename"]) in TEXT_KINDS
]


@needs_corpus
@pytest.mark.parametrize("filename", OTHER_FILES)
def test_corpus_damaged_locked_and_empty_files_give_text_or_a_clear_error(filename: str) -> None:
    extraction = corpus_extraction(filename)
    outcome, expected = CORPUS_OUTCOMES[filename]
    if outcome == "error":
        assert extraction.error.startswith(expected)
        assert not extraction.has_text
    else:
        assert extraction.error is None
        assert expected in "\n".join(page.text for page in extraction.pages)


@needs_corpus
def test_corpus_hidden_content_is_left_out() -> None:
    html = corpus_extraction("unst__example-with-scripts.html")
    assert "Belarusian forces remain unlikely" in html.pages[0].text
    assert "(function (w, d, s, n, a)" not in html.pages[0].text
    assert html.metadata["title"].startswith("Russian Offensive Campaign Assessment")
    # Word hides the text of a cell covered by a vertical merge; so do we.
    footer = corpus_extraction("unst__docx-hdrftr.docx").pages[0].text
    assert "I should not be included" not in footer
    no_slides = corpus_extraction("pptx__no-slides.pptx")
    assert (no_slides.page_count, no_slides.pages, no_slides.error) == (0, [], None)
