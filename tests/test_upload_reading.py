"""One child per uploaded file reads its text and draws its thumbnail."""

from pathlib import Path

from collateral.extract import Extraction, extract_file
from collateral.previews import make_card, make_thumbnail
from collateral.upload_reading import read_upload_in_child
from tests.factories import make_docx, make_pdf


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_one_child_gives_the_text_and_the_thumbnail_of_the_file(tmp_path: Path) -> None:
    pdf = write(tmp_path / "deck.pdf", make_pdf(["Quarterly forecast", "Renewal pricing"]))
    reading = read_upload_in_child(pdf, "pdf", "Deck")
    assert reading.extraction == extract_file(pdf, "pdf")
    assert [page.number for page in reading.extraction.pages] == [1, 2]
    assert reading.thumbnail == make_thumbnail(pdf, "pdf", "Deck")
    assert reading.thumbnail != make_card("pdf", "Deck")  # the first page, drawn


def test_a_file_without_a_picture_gets_its_text_and_a_card(tmp_path: Path) -> None:
    docx = write(tmp_path / "brief.docx", make_docx(["Security brief"]))
    reading = read_upload_in_child(docx, "docx", "Brief \x00 🤠")
    assert reading.extraction == extract_file(docx, "docx")
    assert reading.thumbnail == make_card("docx", "Brief 🤠")


def test_a_child_out_of_time_gives_the_error_and_a_card(tmp_path: Path) -> None:
    pdf = write(tmp_path / "long.pdf", make_pdf(["text"] * 200))
    reading = read_upload_in_child(pdf, "pdf", "Long", timeout_seconds=0.05)
    assert reading.extraction == Extraction(error="Extraction took longer than 0.05 s.")
    assert reading.thumbnail == make_card("pdf", "Long")


def test_a_child_out_of_memory_gives_the_error_and_a_card(tmp_path: Path) -> None:
    docx = write(tmp_path / "a.docx", make_docx(["Text"]))
    reading = read_upload_in_child(docx, "docx", "A", memory_mb=32)
    assert reading.extraction.pages == []
    assert reading.extraction.error == "Extraction needed more than 32 MB of memory." or (
        reading.extraction.error.startswith("Extraction failed")
    )
    assert reading.thumbnail == make_card("docx", "A")
