"""Thumbnails of stored files and images of PDF pages, made in a child process under limits.

Rendering runs pdfium and Pillow on bytes a stranger chose, so `thumbnail_in_child` and
`page_image_in_child` run this module as `python -m collateral.previews` (see
`collateral.child_process`): a hostile file costs one failed preview, never the web worker.
A file with no picture to show (a video, a text, a damaged or locked file, an Office file without
an embedded thumbnail) gets a card of its kind and title, which never reads the file, so the
parent can always draw it itself. Heavy libraries are imported inside functions.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import posixpath
import sys
import unicodedata
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from .child_process import ChildFailed, is_out_of_memory, limit_child, run_in_child
from .display_text import BIDI_CONTROLS
from .readers.results import ENCRYPTED_PDF, damaged_error
from .zip_limits import check_declared_sizes

if TYPE_CHECKING:
    from PIL import Image, ImageFont
    from pypdfium2 import PdfPage

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MEMORY_MB = 1024
THUMBNAIL_SIZE = (320, 420)  # the box a thumbnail fits in; a card fills it
PAGE_WIDTHS = (200, 1600)  # the range `render_pdf_page` clamps its width to
MAX_PAGE_PIXELS = 6_000_000  # a page image is at most width × (MAX_PAGE_PIXELS // width)
MAX_SOURCE_PIXELS = 50_000_000  # larger images (decompression bombs too) get the card
MAX_EMBEDDED_BYTES = 5 * 1024 * 1024  # an Office file's thumbnail or _rels/.rels, uncompressed
JPEG_QUALITY = 80

_OOXML_KINDS = frozenset({"pptx", "docx", "xlsx"})
_ODF_KINDS = frozenset({"odt", "odp", "ods"})
_IMAGE_KINDS = frozenset({"png", "jpeg", "gif", "webp"})
PICTURE_KINDS = frozenset({"pdf"}) | _OOXML_KINDS | _ODF_KINDS | _IMAGE_KINDS
_THUMBNAIL_RELATIONSHIP = "/metadata/thumbnail"  # end of the transitional and strict types
_RELATIONSHIP_TAG = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_EMBEDDED_FORMATS = ("JPEG", "PNG", "GIF", "BMP")  # not WMF/EMF: Pillow cannot draw them
_JPEG_MAGIC = b"\xff\xd8\xff"
_ERROR_PREFIX = b"error: "  # how the page child says why there is no JPEG

# (background, ink) of the card for each kind.
_CARD_COLOURS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "pdf": ((252, 226, 222), (170, 45, 35)),
    **dict.fromkeys(("pptx", "odp"), ((253, 234, 214), (176, 78, 30))),
    **dict.fromkeys(("docx", "odt"), ((221, 233, 251), (40, 84, 150))),
    **dict.fromkeys(("xlsx", "ods", "csv"), ((218, 241, 225), (30, 110, 65))),
    **dict.fromkeys(_IMAGE_KINDS, ((235, 227, 249), (92, 60, 150))),
    **dict.fromkeys(("mp4", "mov", "webm"), ((214, 239, 240), (20, 105, 110))),
}
_PLAIN_COLOURS = ((234, 234, 232), (75, 75, 75))
_CARD_TEXT = (40, 40, 40)
_ASCII_PUNCTUATION = str.maketrans({"\u2013": "-", "\u2014": "-", "\u00a0": " ", "\u00df": "ss"})
_MARGIN = 24
_TITLE_LINES = 7


class PageImageUnavailable(ValueError):
    """A PDF page could not be drawn; the message says why (no such page, locked, damaged...)."""


def make_thumbnail(path: str | os.PathLike, kind: str, title: str) -> bytes:
    """A JPEG that fits THUMBNAIL_SIZE: the first page, embedded thumbnail, image, or a card."""
    try:
        image = _picture(os.fspath(path), kind)
        if image is not None:
            return _jpeg(_fit(image, THUMBNAIL_SIZE))
    except (MemoryError, ImportError):
        raise  # out of memory fails the child; an ImportError is a broken installation
    except Exception:
        # Damaged, locked or hostile files raise almost anything; each costs one card.
        logger.info("No picture for %s as %s; drawing a card", path, kind, exc_info=True)
    return make_card(kind, title)


def _picture(path: str, kind: str) -> Image.Image | None:
    """The picture a thumbnail is made from, or None if the kind has none."""
    if kind == "pdf":
        import pypdfium2 as pdfium

        with pdfium.PdfDocument(path) as pdf:
            return _draw_page(pdf[0], THUMBNAIL_SIZE)
    if kind in _OOXML_KINDS or kind in _ODF_KINDS:
        check_declared_sizes(path)  # a zip bomb gets the card; members are read bounded below
        with zipfile.ZipFile(path) as archive:
            data = _read_member(archive, _embedded_thumbnail_name(archive, kind))
        image = _open_image(io.BytesIO(data), _EMBEDDED_FORMATS)
        # python-pptx and python-docx templates, for one, ship an all-white thumbnail.
        if image.convert("L").getextrema()[0] >= 245:
            raise ValueError("The embedded thumbnail is blank.")
        return image
    if kind in _IMAGE_KINDS:
        return _open_image(path, (kind.upper(),))
    return None


def _embedded_thumbnail_name(archive: zipfile.ZipFile, kind: str) -> str:
    """The zip member holding an Office file's thumbnail; KeyError if it declares none."""
    if kind in _ODF_KINDS:
        return "Thumbnails/thumbnail.png"
    from defusedxml.ElementTree import fromstring

    for relationship in fromstring(_read_member(archive, "_rels/.rels")).iter(_RELATIONSHIP_TAG):
        if relationship.get("Type", "").endswith(_THUMBNAIL_RELATIONSHIP) and (
            relationship.get("TargetMode") != "External"
        ):
            return posixpath.normpath(relationship.get("Target", "").lstrip("/"))
    raise KeyError("The package declares no thumbnail.")


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """A zip member's bytes; ValueError if it unpacks to more than MAX_EMBEDDED_BYTES."""
    info = archive.getinfo(name)
    if info.file_size <= MAX_EMBEDDED_BYTES:
        with archive.open(info) as member:
            data = member.read(MAX_EMBEDDED_BYTES + 1)  # the declared size may lie
        if len(data) <= MAX_EMBEDDED_BYTES:
            return data
    raise ValueError(f"{name} unpacks to more than {MAX_EMBEDDED_BYTES} bytes.")


def _open_image(source: str | io.BytesIO, formats: tuple[str, ...]) -> Image.Image:
    """An image's first frame, turned upright; ValueError before decoding a huge one."""
    from PIL import Image, ImageOps

    with Image.open(source, formats=formats) as image:  # reads the header; pixels come later
        if image.width * image.height > MAX_SOURCE_PIXELS:
            raise ValueError(f"The image has {image.width}×{image.height} pixels; too many.")
        box = max(THUMBNAIL_SIZE)  # a draft this big still covers the box after a quarter turn
        image.draft("RGB", _fitted_size(image.size, (box, box)))  # JPEG: decode at a lower scale
        return ImageOps.exif_transpose(image)  # a loaded copy, so the file can be closed


def render_pdf_page(path: str | os.PathLike, page_number: int, width: int) -> bytes:
    """A JPEG of 1-based page `page_number`, `width` pixels wide (clamped to PAGE_WIDTHS).

    Raises PageImageUnavailable (a ValueError) for a page out of range or an unreadable PDF.
    """
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    width = min(max(int(width), PAGE_WIDTHS[0]), PAGE_WIDTHS[1])
    try:
        pdf = pdfium.PdfDocument(os.fspath(path))
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise PageImageUnavailable(ENCRYPTED_PDF) from None
        raise PageImageUnavailable(damaged_error(exc, os.fspath(path))) from None
    with pdf:
        count = len(pdf)
        if not 1 <= page_number <= count:
            pages = f"{count} page{'s' if count != 1 else ''}"
            raise PageImageUnavailable(f"Page {page_number} does not exist: the PDF has {pages}.")
        try:  # a very tall page is drawn narrower rather than huge
            return _jpeg(_draw_page(pdf[page_number - 1], (width, MAX_PAGE_PIXELS // width)))
        except (pdfium.PdfiumError, ZeroDivisionError) as exc:
            raise PageImageUnavailable(damaged_error(exc, os.fspath(path))) from None


def _draw_page(page: PdfPage, box: tuple[int, int]) -> Image.Image:
    """A PDF page drawn as large as fits `box`, on white."""
    width, height = page.get_size()
    # pdfium rounds the size up; a hair less scale keeps float error from adding a pixel.
    scale = min(box[0] / width, box[1] / height) * (1 - 1e-6)
    return page.render(scale=scale).to_pil()


def make_card(kind: str, title: str) -> bytes:
    """A JPEG card filling THUMBNAIL_SIZE: the kind in capitals and the title, wrapped."""
    from PIL import Image, ImageDraw, ImageFont

    background, ink = _CARD_COLOURS.get(kind, _PLAIN_COLOURS)
    card = Image.new("RGB", THUMBNAIL_SIZE, background)
    draw = ImageDraw.Draw(card)
    label = "".join(char for char in kind.upper() if char.isascii() and char.isalnum())[:5]
    draw.text((_MARGIN, _MARGIN), label or "FILE", font=_card_font(56), fill=ink)
    draw.line((_MARGIN, 100, THUMBNAIL_SIZE[0] - _MARGIN, 100), fill=ink, width=3)
    font = _card_font(26)
    title = _clean_title(title)
    if not isinstance(font, ImageFont.FreeTypeFont) or font.getname()[0] != "DejaVu Sans":
        title = _fold_accents(title)
    right = THUMBNAIL_SIZE[0] - _MARGIN
    for number, line in enumerate(_wrap(title, font, right - _MARGIN)):
        # A right-to-left line is aligned right; Pillow orders its characters when drawing.
        x, anchor = (right, "ra") if _starts_right_to_left(line) else (_MARGIN, "la")
        draw.text((x, 124 + 36 * number), line, font=font, fill=_CARD_TEXT, anchor=anchor)
    return _jpeg(card)


def _clean_title(title: str) -> str:
    """The title on one line, at most 200 characters, without control characters, bidi
    overrides or lone surrogates (which could not even be passed to the child)."""
    words = " ".join(title.split())
    return "".join(
        char
        for char in words
        if unicodedata.category(char) not in ("Cc", "Cs") and char not in BIDI_CONTROLS
    )[:200]


def _card_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans if installed: it has accents, Greek, Cyrillic, Hebrew and Arabic.

    Pillow's own font, the fallback, has little beyond ASCII (see `_fold_accents`).
    """
    from PIL import ImageFont

    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def _fold_accents(text: str) -> str:
    """Text Pillow's own font can draw more of: "Ümlaut – café" gives "Umlaut - cafe"."""
    text = "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )
    return text.translate(_ASCII_PUNCTUATION)


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> list[str]:
    """Lines of `text` no wider than `width`; at most _TITLE_LINES, the last cut with "…"."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while font.getlength(word) > width and len(lines) <= _TITLE_LINES:
            cut = max(1, max(n for n in range(len(word) + 1) if font.getlength(word[:n]) <= width))
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    if len(lines) > _TITLE_LINES:
        last = lines[_TITLE_LINES - 1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines[_TITLE_LINES - 1 :] = [last.rstrip() + "…"]
    return lines


def _starts_right_to_left(line: str) -> bool:
    """Whether the first letter with a direction is Hebrew, Arabic or similar."""
    for char in line:
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


def _fitted_size(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """`size` scaled, up or down, to the largest that fits `box` with the same aspect."""
    scale = min(box[0] / size[0], box[1] / size[1])
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _fit(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    """The image resized to fit `box` and flattened on white, as RGB."""
    from PIL import Image

    has_alpha = "A" in image.getbands() or "transparency" in image.info
    if image.mode not in (("RGBA", "LA") if has_alpha else ("RGB", "L")):
        image = image.convert("RGBA" if has_alpha else "RGB")  # palette, CMYK, 16-bit...
    size = _fitted_size(image.size, box)
    if size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if image.mode in ("RGBA", "LA"):
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        return flat
    return image.convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    """The image as JPEG bytes."""
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def thumbnail_in_child(
    path: str | os.PathLike,
    kind: str,
    title: str,
    *,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> bytes:
    """`make_thumbnail` in a child limited in time and memory; a card if the child fails."""
    title = _clean_title(title)
    if kind not in PICTURE_KINDS:
        return make_card(kind, title)  # nothing to read, so no child to start
    target = str(Path(path).resolve())
    try:
        output = run_in_child(
            "collateral.previews",
            ["thumbnail", f"--kind={kind}", f"--title={title}", target],
            task="Thumbnail",
            worker="the renderer",
            timeout_seconds=timeout_seconds,
            memory_mb=memory_mb,
        )
    except ChildFailed as exc:
        logger.info("Card instead of a thumbnail for %s: %s", target, exc)
        return make_card(kind, title)
    if output.stdout.startswith(_JPEG_MAGIC):
        return output.stdout
    logger.warning("Unreadable thumbnail output for %s: %s", target, output.stderr_tail)
    return make_card(kind, title)


def page_image_in_child(
    path: str | os.PathLike,
    page_number: int,
    width: int,
    *,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> bytes:
    """`render_pdf_page` in a child limited in time and memory.

    Raises PageImageUnavailable with the reason (no such page, password, damage, time or
    memory exceeded); there is no fallback picture for a page.
    """
    target = str(Path(path).resolve())
    arguments = ["page", f"--page={int(page_number)}", f"--width={int(width)}", target]
    try:
        output = run_in_child(
            "collateral.previews",
            arguments,
            task="Page rendering",
            worker="the renderer",
            timeout_seconds=timeout_seconds,
            memory_mb=memory_mb,
        )
    except ChildFailed as exc:
        raise PageImageUnavailable(str(exc)) from None
    if output.stdout.startswith(_JPEG_MAGIC):
        return output.stdout
    if output.stdout.startswith(_ERROR_PREFIX):
        raise PageImageUnavailable(output.stdout[len(_ERROR_PREFIX) :].decode("utf-8", "replace"))
    logger.warning("Unreadable page output for %s: %s", target, output.stderr_tail)
    raise PageImageUnavailable("Page rendering failed: the renderer's output was unreadable.")


def _main(argv: list[str] | None = None) -> int:
    """Child entry point: limit memory, then write a thumbnail or page JPEG on stdout.

    A page that cannot be drawn gives `error: <reason>` instead of a JPEG, still with status 0.
    """
    parser = argparse.ArgumentParser(description="Write a file's preview as JPEG on stdout.")
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB)
    commands = parser.add_subparsers(dest="command", required=True)
    thumbnail = commands.add_parser("thumbnail", help="the file's thumbnail or card")
    thumbnail.add_argument("--kind", required=True)
    thumbnail.add_argument("--title", default="")
    thumbnail.add_argument("path")
    page = commands.add_parser("page", help="one page of a PDF")
    page.add_argument("--page", type=int, required=True, help="1-based page number")
    page.add_argument("--width", type=int, default=1000)
    page.add_argument("path")
    args = parser.parse_args(argv)
    result_fd = limit_child(args.memory_mb)
    try:
        if args.command == "thumbnail":
            result = make_thumbnail(args.path, args.kind, args.title)
        else:
            result = render_pdf_page(args.path, args.page, args.width)
    except PageImageUnavailable as exc:
        result = _ERROR_PREFIX + str(exc).encode("utf-8")
    except Exception as exc:
        if is_out_of_memory(exc):  # e.g. a library that could not be loaded under the limit
            raise MemoryError(str(exc)) from exc  # so the parent reports it as such
        raise
    with open(result_fd, "wb") as out:
        out.write(result)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
