"""Tests for collateral.previews: thumbnails and PDF page images, made in a limited child."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image

from collateral.filetypes import EXTENSION_KINDS
from collateral.previews import (
    MAX_EMBEDDED_BYTES,
    MAX_PAGE_PIXELS,
    PICTURE_KINDS,
    THUMBNAIL_SIZE,
    PageImageUnavailable,
    make_card,
    make_thumbnail,
    page_image_in_child,
    render_pdf_page,
    thumbnail_in_child,
)
from tests.corpus import CORPUS, corpus_rows, needs_corpus
from tests.factories import make_docx, make_pdf, make_pptx, make_xlsx

RED, BLACK, GREEN = (220, 0, 0), (0, 0, 0), (30, 160, 90)
A4_THUMBNAIL = (297, 420)  # 595 × 842 pt fitted into 320 × 420


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def picture(data: bytes) -> Image.Image:
    """The JPEG `data` decoded, after checking it is a JPEG."""
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    return image


def close_to(colour: tuple[int, ...], expected: tuple[int, int, int], slack: int = 24) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(colour, expected, strict=True))


def coloured_pdf(path: Path, colours: list[tuple[int, int, int]]) -> Path:
    """An A4 PDF whose pages are each filled, nearly to the edge, with one colour."""
    pdf = FPDF()
    for colour in colours:
        pdf.add_page()
        pdf.set_fill_color(*colour)
        pdf.rect(10, 10, 190, 277, style="F")
    return write(path, bytes(pdf.output()))


def solid_image(colour: tuple[int, int, int], size: tuple[int, int], image_format: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, image_format)
    return out.getvalue()


def rebuilt_zip(data: bytes, changes: dict[str, bytes | None]) -> bytes:
    """The zip `data` with members replaced, added, or (for None) removed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            if name not in changes:
                target.writestr(name, source.read(name))
        for name, content in changes.items():
            if content is not None:
                target.writestr(name, content)
    return out.getvalue()


def deck_with_thumbnail(thumbnail: bytes, name: str = "docProps/thumbnail.jpeg") -> bytes:
    """A python-pptx deck whose package thumbnail is `thumbnail`, stored as `name`.

    python-pptx's template already declares docProps/thumbnail.jpeg (an all-white picture);
    this points the relationship at `name` (with a leading slash, as some writers do).
    """
    deck = make_pptx([("Launch plan", "Three steps", "")])
    with zipfile.ZipFile(io.BytesIO(deck)) as archive:
        rels = archive.read("_rels/.rels").decode()
        types = archive.read("[Content_Types].xml").decode()
    assert 'Target="docProps/thumbnail.jpeg"' in rels
    rels = rels.replace('Target="docProps/thumbnail.jpeg"', f'Target="/{name}"')
    extension = name.rsplit(".", 1)[1]
    if f'Extension="{extension}"' not in types:
        default = f'<Default Extension="{extension}" ContentType="image/{extension}"/>'
        types = types.replace("<Default ", default + "<Default ", 1)
    changes = {"_rels/.rels": rels.encode(), "[Content_Types].xml": types.encode()}
    return rebuilt_zip(deck, {**changes, "docProps/thumbnail.jpeg": None, name: thumbnail})


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` × `height` pixels (a decompression bomb)."""
    out = io.BytesIO()
    Image.new("L", (8, 8)).save(out, "PNG")
    data = bytearray(out.getvalue())
    data[16:24] = struct.pack(">II", width, height)  # IHDR: width, height
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def test_pdf_thumbnail_is_the_first_page(tmp_path: Path) -> None:
    path = coloured_pdf(tmp_path / "deck.pdf", [RED, BLACK])
    image = picture(make_thumbnail(path, "pdf", "Deck"))
    assert image.size == A4_THUMBNAIL
    assert close_to(image.getpixel((148, 210)), RED)
    assert close_to(image.getpixel((1, 1)), (255, 255, 255))  # the white margin


def test_pdf_of_text_gives_a_page_not_a_card(tmp_path: Path) -> None:
    path = write(tmp_path / "memo.pdf", make_pdf(["Quarterly memo"]))
    thumbnail = make_thumbnail(path, "pdf", "Memo")
    assert picture(thumbnail).size == A4_THUMBNAIL
    assert thumbnail != make_card("pdf", "Memo")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("truncated.pdf", make_pdf(["Cut short"])[:300]),
        ("garbage.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 100),
        ("empty.pdf", b""),
    ],
)
def test_damaged_pdf_gives_the_card(tmp_path: Path, name: str, data: bytes) -> None:
    path = write(tmp_path / name, data)
    assert make_thumbnail(path, "pdf", "Broken deck") == make_card("pdf", "Broken deck")


def test_encrypted_pdf_gives_the_card_and_no_pages(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    path = write(tmp_path / "locked.pdf", bytes(pdf.output()))
    assert make_thumbnail(path, "pdf", "Locked") == make_card("pdf", "Locked")
    with pytest.raises(PageImageUnavailable, match=r"^The PDF is password-protected\.$"):
        render_pdf_page(path, 1, 800)


def test_pptx_embedded_thumbnail_is_used(tmp_path: Path) -> None:
    path = write(
        tmp_path / "deck.pptx", deck_with_thumbnail(solid_image(GREEN, (256, 192), "JPEG"))
    )
    image = picture(make_thumbnail(path, "pptx", "Launch plan"))
    assert image.size == (320, 240)
    assert close_to(image.getpixel((160, 120)), GREEN)


def test_embedded_thumbnail_is_found_by_its_relationship(tmp_path: Path) -> None:
    png = solid_image(RED, (200, 300), "PNG")
    path = write(tmp_path / "deck.pptx", deck_with_thumbnail(png, "docProps/preview.png"))
    image = picture(make_thumbnail(path, "pptx", "Launch plan"))
    assert image.size == (280, 420)
    assert close_to(image.getpixel((140, 210)), RED)


@pytest.mark.parametrize(
    "deck",
    [
        pytest.param(lambda: make_pptx([("Launch plan", "", "")]), id="template-white-thumbnail"),
        pytest.param(
            lambda: rebuilt_zip(
                deck_with_thumbnail(b"", "docProps/thumbnail.jpeg"),
                {"docProps/thumbnail.jpeg": None},
            ),
            id="declared-but-missing",
        ),
        pytest.param(
            lambda: deck_with_thumbnail(b"\xd7\xcd\xc6\x9a" + bytes(200), "docProps/thumb.wmf"),
            id="wmf",
        ),
        pytest.param(
            lambda: deck_with_thumbnail(bytes(MAX_EMBEDDED_BYTES + 1)), id="larger-than-allowed"
        ),
        pytest.param(
            lambda: deck_with_thumbnail(png_claiming(30_000, 30_000), "docProps/bomb.png"),
            id="decompression-bomb",
        ),
    ],
)
def test_pptx_without_a_usable_thumbnail_gives_the_card(tmp_path: Path, deck) -> None:
    path = write(tmp_path / "deck.pptx", deck())
    assert make_thumbnail(path, "pptx", "Launch plan") == make_card("pptx", "Launch plan")


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("docx", make_docx(["Price list"])),  # python-docx ships an all-white thumbnail
        ("xlsx", make_xlsx({"Prices": [["Widget", 12]]})),  # openpyxl ships none
        ("pptx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000)),  # encrypted: OLE2
        ("docx", b"PK\x03\x04 not really a zip " * 20),
    ],
)
def test_office_files_without_a_thumbnail_give_the_card(
    tmp_path: Path, kind: str, data: bytes
) -> None:
    path = write(tmp_path / f"file.{kind}", data)
    card = make_thumbnail(path, kind, "Price list")
    assert card == make_card(kind, "Price list")
    assert picture(card).size == THUMBNAIL_SIZE


def test_odf_thumbnail_is_used(tmp_path: Path) -> None:
    path = tmp_path / "notes.odp"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.presentation")
        archive.writestr("Thumbnails/thumbnail.png", solid_image(GREEN, (256, 181), "PNG"))
    image = picture(make_thumbnail(path, "odp", "Notes"))
    assert image.size == (320, 226)
    assert close_to(image.getpixel((160, 113)), GREEN)


def test_png_transparency_is_flattened_on_white(tmp_path: Path) -> None:
    image = Image.new("RGBA", (640, 480), (0, 0, 0, 0))
    image.paste((0, 0, 200, 255), (220, 140, 420, 340))
    path = tmp_path / "logo.png"
    image.save(path)
    thumbnail = picture(make_thumbnail(path, "png", "Logo"))
    assert thumbnail.size == (320, 240)
    assert close_to(thumbnail.getpixel((5, 5)), (255, 255, 255))
    assert close_to(thumbnail.getpixel((160, 120)), (0, 0, 200))


def test_palette_gif_uses_its_first_frame_and_transparency(tmp_path: Path) -> None:
    frames = [Image.new("P", (100, 50), 1), Image.new("P", (100, 50), 2)]
    for frame in frames:
        frame.putpalette([255, 0, 255, 220, 0, 0, 0, 0, 0] + [0] * (256 * 3 - 9))
    frames[0].paste(0, (0, 0, 50, 50))  # the left half is the transparent index
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], transparency=0, duration=100)
    thumbnail = picture(make_thumbnail(path, "gif", "Animation"))
    assert thumbnail.size == (320, 160)
    assert close_to(thumbnail.getpixel((40, 80)), (255, 255, 255))
    assert close_to(thumbnail.getpixel((280, 80)), RED)


def test_jpeg_is_turned_upright_by_its_exif_orientation(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (400, 200), RED).save(path, exif=exif)
    assert picture(make_thumbnail(path, "jpeg", "Photo")).size == (210, 420)


@pytest.mark.parametrize("size", [(30_000, 30_000), (10_000, 6_000)])
def test_huge_image_gives_the_card(tmp_path: Path, size: tuple[int, int]) -> None:
    path = write(tmp_path / "bomb.png", png_claiming(*size))
    assert make_thumbnail(path, "png", "Bomb") == make_card("png", "Bomb")


@pytest.mark.parametrize(
    "title",
    [
        "",
        "x" * 5000,
        "Quarterly results for EMEA — “Ümlaut” café " * 20,
        "🤠😅 " * 80,
        "مرحبا بالعالم — عرض المبيعات",
        "שלום עולם",
        "NUL\x00 and\ud800 surrogate \u202eoverride\n\ttabs",
        "-" * 300,
        "W" * 80,
    ],
)
@pytest.mark.parametrize("kind", ["pptx", "mp4", "unknown", ""])
def test_card_never_fails(kind: str, title: str) -> None:
    card = picture(make_card(kind, title))
    assert card.size == THUMBNAIL_SIZE


def test_card_colour_follows_the_kind() -> None:
    pdf, docx = (picture(make_card(kind, "T")).getpixel((2, 2)) for kind in ("pdf", "docx"))
    assert not close_to(pdf, docx, slack=8)


def test_video_and_text_get_the_card(tmp_path: Path) -> None:
    path = write(tmp_path / "clip.mp4", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
    assert make_thumbnail(path, "mp4", "Clip") == make_card("mp4", "Clip")
    assert thumbnail_in_child(path, "mp4", "Clip") == make_card("mp4", "Clip")


def test_page_is_rendered_at_the_width_asked(tmp_path: Path) -> None:
    path = coloured_pdf(tmp_path / "deck.pdf", [RED, BLACK])
    image = picture(render_pdf_page(path, 2, 800))
    assert image.size == (800, 1132)  # pdfium rounds up
    assert close_to(image.getpixel((400, 565)), BLACK)
    assert picture(render_pdf_page(path, 1, 10)).width == 200
    assert picture(render_pdf_page(path, 1, 10_000)).width == 1600


def test_very_tall_page_is_drawn_narrower(tmp_path: Path) -> None:
    pdf = FPDF(format=(100, 4000))  # millimetres: a 40:1 strip
    pdf.add_page()
    path = write(tmp_path / "strip.pdf", bytes(pdf.output()))
    image = picture(render_pdf_page(path, 1, 1600))
    assert image.height == MAX_PAGE_PIXELS // 1600
    assert image.width < 100
    assert picture(make_thumbnail(path, "pdf", "Strip")).size == (11, 420)


@pytest.mark.parametrize("page", [0, 3, -1])
def test_page_out_of_range_says_how_many_there_are(tmp_path: Path, page: int) -> None:
    path = coloured_pdf(tmp_path / "deck.pdf", [RED, BLACK])
    message = rf"^Page {page} does not exist: the PDF has 2 pages\.$"
    with pytest.raises(PageImageUnavailable, match=message):
        render_pdf_page(path, page, 800)
    with pytest.raises(ValueError, match=message):
        page_image_in_child(path, page, 800)


def test_damaged_pdf_page_says_so(tmp_path: Path) -> None:
    path = write(tmp_path / "garbage.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 100)
    with pytest.raises(PageImageUnavailable, match=r"^The file is damaged: PdfiumError"):
        page_image_in_child(path, 1, 800)


def test_child_gives_the_same_pictures_as_in_process(tmp_path: Path) -> None:
    pdf = coloured_pdf(tmp_path / "deck.pdf", [RED, BLACK])
    deck = write(tmp_path / "deck.pptx", deck_with_thumbnail(solid_image(GREEN, (64, 48), "PNG")))
    assert thumbnail_in_child(pdf, "pdf", "Deck") == make_thumbnail(pdf, "pdf", "Deck")
    assert thumbnail_in_child(deck, "pptx", "Deck") == make_thumbnail(deck, "pptx", "Deck")
    assert page_image_in_child(pdf, 2, 640) == render_pdf_page(pdf, 2, 640)


def test_child_passes_awkward_titles_to_the_card(tmp_path: Path) -> None:
    path = write(tmp_path / "file.docx", make_docx(["Text"]))
    title = "--kind=pdf \x00 -h 🤠 " + "long " * 100
    assert thumbnail_in_child(path, "docx", title) == make_card("docx", title)


def test_child_that_runs_too_long_falls_back_to_the_card(tmp_path: Path) -> None:
    path = coloured_pdf(tmp_path / "deck.pdf", [RED])
    thumbnail = thumbnail_in_child(path, "pdf", "Deck", timeout_seconds=0.01)
    assert thumbnail == make_card("pdf", "Deck")
    with pytest.raises(PageImageUnavailable, match=r"^Page rendering took longer than 0.01 s\.$"):
        page_image_in_child(path, 1, 800, timeout_seconds=0.01)


def test_child_that_runs_out_of_memory_falls_back_to_the_card(tmp_path: Path) -> None:
    path = coloured_pdf(tmp_path / "deck.pdf", [RED])
    assert thumbnail_in_child(path, "pdf", "Deck", memory_mb=40) == make_card("pdf", "Deck")
    with pytest.raises(PageImageUnavailable) as failure:
        page_image_in_child(path, 1, 800, memory_mb=40)
    message = str(failure.value)
    assert message == "Page rendering needed more than 40 MB of memory." or (
        message.startswith("Page rendering failed: the renderer")
    )


CORPUS_PICTURE_FILES = [
    row
    for row in corpus_rows()
    if EXTENSION_KINDS.get(row["filename"].rsplit(".", 1)[1]) in PICTURE_KINDS
]


@needs_corpus
def test_corpus_files_give_a_thumbnail() -> None:
    cards = []
    for row in CORPUS_PICTURE_FILES:
        name = row["filename"]
        kind = EXTENSION_KINDS[name.rsplit(".", 1)[1]]
        thumbnail = make_thumbnail(CORPUS / name, kind, name)
        image = picture(thumbnail)
        assert image.width <= THUMBNAIL_SIZE[0] and image.height <= THUMBNAIL_SIZE[1], name
        if thumbnail == make_card(kind, name):
            cards.append(name)
    pdf_cards = {name for name in cards if name.endswith(".pdf")}
    # Every PDF pdfium can open shows its first page, damaged or not.
    assert pdf_cards == {
        "pngx__encrypted.pdf",
        "pngx__password-is-test.pdf",
        "pypdf__libreoffice-writer-password.pdf",
        "unst__password.pdf",
        "pypdf__unreadablemetadata.pdf",  # pdfium: "Data format error"
    }
    assert "pptx__test.pptx" not in cards  # its embedded thumbnail
    assert "unst__password_protected.xlsx" in cards


@needs_corpus
def test_corpus_pdf_and_pptx_through_the_child() -> None:
    names = ["pngx__simple.pdf", "unst__rotated-page-90.pdf", "pptx__test.pptx", "pngx__sample.odt"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(lambda n: thumbnail_in_child(CORPUS / n, n.rsplit(".", 1)[1], n), names)
        )
    for name, thumbnail in zip(names, results, strict=True):
        assert thumbnail == make_thumbnail(CORPUS / name, name.rsplit(".", 1)[1], name)
    page = picture(page_image_in_child(CORPUS / "pngx__multi-page-digital.pdf", 3, 500))
    assert page.width == 500
