"""The text of each page, slide or sheet of a stored file, read in a child process under limits.

`extract_in_child` runs this module as `python -m collateral.extract`, so a hostile or broken file
costs one failed extraction, never the web worker. Pages without text are left out of `pages`
(their `number` still gives their real position; `page_count` gives the total), so a scanned PDF
has no pages and the error "No text layer (scanned or image-only).".
"""

from __future__ import annotations

import argparse
import codecs
import dataclasses
import json
import logging
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_MEMORY_MB = 1024
MAX_TEXT_CHARS = 5_000_000
MAX_CELLS_PER_SHEET = 200_000
ENCRYPTED_PDF = "The PDF is password-protected."
ENCRYPTED_FILE = "The file is password-protected."
NO_TEXT_LAYER = "No text layer (scanned or image-only)."
_REPO_ROOT = Path(__file__).resolve().parents[1]
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LINE_BREAKS = re.compile(r"\r\n?|[\v\f\x1c-\x1e\x85\u2028\u2029]")
_UNWANTED_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff\ufffe\uffff]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass
class PageText:
    """The text of one page (PDF), slide, sheet or whole document."""

    number: int
    label: str
    name: str | None
    text: str


@dataclass
class Extraction:
    """What could be read from one file; `error` says why there is no text, if that is so."""

    pages: list[PageText] = field(default_factory=list)
    page_count: int | None = None
    error: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def has_text(self) -> bool:
        """Whether any page has non-blank text."""
        return any(page.text.strip() for page in self.pages)

    def to_json(self) -> str:
        """This extraction as a JSON string."""
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Extraction:
        """The extraction `to_json` wrote."""
        data = json.loads(text)
        return cls(
            pages=[PageText(**page) for page in data["pages"]],
            page_count=data["page_count"],
            error=data["error"],
            metadata=dict(data["metadata"]),
        )


def extract_file(path: str | os.PathLike, kind: str) -> Extraction:
    """Read the file's text in this process; a bad file gives an Extraction with `error` set."""
    extractor = _EXTRACTORS.get(kind)
    if extractor is None:
        raise ValueError(f"Cannot extract kind {kind!r}; expected one of {sorted(_EXTRACTORS)}.")
    path = os.fspath(path)
    try:
        return extractor(path, kind)
    except MemoryError:
        raise
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        return Extraction(error=f"The file could not be opened: {exc.strerror or exc}.")
    except Exception as exc:
        # Readers of damaged files raise almost anything (KeyError, lxml and zip errors...);
        # one bad file must cost one failed extraction, so this is the single catch-all.
        if _out_of_memory(exc):
            raise MemoryError(str(exc)) from exc
        if isinstance(exc, ImportError):
            raise  # a broken installation, not a broken file
        logger.info("Could not extract %s as %s", path, kind, exc_info=True)
        return Extraction(error=_damaged(exc, path))


def extract_in_child(
    path: str | os.PathLike,
    kind: str,
    *,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> Extraction:
    """Read the file's text in a child process limited in time and address space."""
    if kind not in _EXTRACTORS:
        raise ValueError(f"Cannot extract kind {kind!r}; expected one of {sorted(_EXTRACTORS)}.")
    target = str(Path(path).resolve())
    command = [sys.executable, "-m", "collateral.extract", "--kind", kind]
    command += ["--memory-mb", str(memory_mb), target]
    with tempfile.TemporaryFile() as stderr:
        try:
            # stderr goes to a file so a chatty child cannot fill the parent's memory.
            done = subprocess.run(
                command,
                cwd=_REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                timeout=timeout_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Extraction(error=f"Extraction took longer than {timeout_seconds:g} s.")
        stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - 4000))
        stderr_tail = stderr.read().decode("utf-8", "replace")
    if done.returncode == 0:
        try:
            return Extraction.from_json(done.stdout.decode("utf-8"))
        except (ValueError, KeyError, TypeError):
            logger.warning("Unreadable extractor output for %s: %s", target, stderr_tail)
            return Extraction(error="Extraction failed: the reader's output was unreadable.")
    logger.warning("Extractor for %s exited %s: %s", target, done.returncode, stderr_tail)
    if done.returncode > 0 and "MemoryError" in stderr_tail:
        return Extraction(error=_memory_error(memory_mb))
    if done.returncode < 0:
        number = -done.returncode
        name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
        return Extraction(
            error=f"Extraction failed: the reader was stopped by {name}; the file may be "
            f"damaged or need more than {memory_mb} MB of memory."
        )
    return Extraction(error=f"Extraction failed: the reader exited with code {done.returncode}.")


def clean_text(text: str) -> str:
    """Text with one kind of line break, no control characters and no trailing spaces."""
    if _LONE_SURROGATE.search(text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = _UNWANTED_CHARS.sub("", _LINE_BREAKS.sub("\n", text))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


class _Pages:
    """Pages with text, gathered while keeping the total under MAX_TEXT_CHARS."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.items: list[PageText] = []
        self.chars = 0
        self.truncated = False

    def add(self, number: int, text: str, name: str | None = None) -> bool:
        """Keep the page if it has text; return False once the cap is reached."""
        text = clean_text(text)
        if len(text) > MAX_TEXT_CHARS - self.chars:
            text, self.truncated = text[: MAX_TEXT_CHARS - self.chars], True
        if text.strip():
            self.items.append(PageText(number, self.label, name, text))
            self.chars += len(text)
        return not self.truncated

    def result(self, page_count: int | None = None, title: Any = None) -> Extraction:
        """The extraction of the pages gathered."""
        metadata: dict[str, Any] = {"truncated": True} if self.truncated else {}
        if isinstance(title, str) and clean_text(title).strip():
            metadata["title"] = clean_text(title).strip()[:500]
        return Extraction(pages=self.items, page_count=page_count, metadata=metadata)


def _extract_pdf(path: str, kind: str) -> Extraction:
    """Text per page with pdfium."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            return Extraction(error=ENCRYPTED_PDF)
        return Extraction(error=_damaged(exc, path))
    with pdf:
        pages = _Pages("page")
        for index in range(len(pdf)):
            try:
                page = pdf[index]
                textpage = page.get_textpage()
                text = textpage.get_text_range()
            except pdfium.PdfiumError:  # one unreadable page; the others may still be read
                continue
            textpage.close()
            page.close()
            if not pages.add(index + 1, text):
                break
        extraction = pages.result(len(pdf), pdf.get_metadata_value("Title"))
    if not extraction.pages and extraction.page_count:
        extraction.error = NO_TEXT_LAYER
    return extraction


def _extract_pptx(path: str, kind: str) -> Extraction:
    """Text per slide: every shape's text, then the speaker notes."""
    from pptx import Presentation

    if _is_ole2(path):
        return Extraction(error=ENCRYPTED_FILE)
    presentation = Presentation(path)
    pages = _Pages("slide")
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


def _extract_docx(path: str, kind: str) -> Extraction:
    """One document: headers, body (tables and text boxes included), then footers."""
    import docx

    if _is_ole2(path):
        return Extraction(error=ENCRYPTED_FILE)
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
    pages = _Pages("document")
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


def _extract_xlsx(path: str, kind: str) -> Extraction:
    """Text per worksheet: cells joined by tabs, rows by newlines."""
    import openpyxl

    if _is_ole2(path):
        return Extraction(error=ENCRYPTED_FILE)
    # A file object, not the path: openpyxl refuses paths not ending in .xlsx (stored blobs don't).
    with open(path, "rb") as file:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
        try:
            return _workbook_text(workbook)
        finally:
            workbook.close()


def _workbook_text(workbook: Any) -> Extraction:
    """Text per worksheet of an open read-only workbook."""
    pages, capped = _Pages("sheet"), False
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


def _extract_odf(path: str, kind: str) -> Extraction:
    """Text of an OpenDocument file: per slide (ODP), per sheet (ODS) or one document (ODT)."""
    from defusedxml.ElementTree import iterparse

    unit = _ODF_UNITS.get(kind)
    pages = _Pages(_ODF_LABELS[kind])
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


def _extract_plain_text(path: str, kind: str) -> Extraction:
    """One document from a text file (UTF-8, else cp1252)."""
    text, truncated = _read_text(path)
    pages = _Pages("document")
    pages.add(1, text)
    pages.truncated = pages.truncated or truncated
    return pages.result()


def _read_text(path: str) -> tuple[str, bool]:
    """The file decoded as UTF-8 (BOM allowed), else cp1252; and whether it was cut short."""
    with open(path, "rb") as file:
        data = file.read(MAX_TEXT_CHARS + 1)
    truncated = len(data) > MAX_TEXT_CHARS
    data = data[:MAX_TEXT_CHARS]
    try:  # an incremental decoder, since the cut may fall inside a character
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=not truncated)
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text, truncated


class _VisibleText(HTMLParser):
    """Collects the text a browser would show, and the page title."""

    hidden_tags = frozenset({"script", "style", "template"})
    block_tag = re.compile(
        r"address|article|aside|blockquote|br|d[dlt]|div|figcaption|footer|form|h[1-6r]|header"
        r"|li|main|nav|ol|p|pre|section|table|tr|ul"
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.hidden_depth = 0
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden_depth += tag in self.hidden_tags
        self.in_title = self.in_title or tag == "title"
        self.parts.append("\n" if self.block_tag.fullmatch(tag) else "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.hidden_tags:
            self.hidden_depth = max(0, self.hidden_depth - 1)
        self.in_title = self.in_title and tag != "title"
        self.parts.append(
            "\n" if self.block_tag.fullmatch(tag) else " " if tag in ("td", "th") else ""
        )

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            (self.title if self.in_title else self.parts).append(data)


def _extract_html(path: str, kind: str) -> Extraction:
    """One document: the page's visible text, without scripts, styles and templates."""
    html, truncated = _read_text(path)
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    pages = _Pages("document")
    pages.add(1, "\n".join(line for line in lines if line))
    pages.truncated = pages.truncated or truncated
    return pages.result(None, " ".join("".join(parser.title).split()))


def _extract_image(path: str, kind: str) -> Extraction:
    """No text; width and height from the image header (pixels are not decoded)."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # nothing is decoded
        with Image.open(path, formats=[kind.upper()]) as image:
            width, height = image.size
    return Extraction(metadata={"width": width, "height": height})


def _extract_video(path: str, kind: str) -> Extraction:
    """No text; video metadata is optional and not read."""
    return Extraction()


def _is_ole2(path: str) -> bool:
    """Whether the file is an OLE2 container: an encrypted OOXML file or an old Office one."""
    with open(path, "rb") as file:
        return file.read(8) == _OLE2_MAGIC


def _damaged(exc: BaseException, path: str) -> str:
    """The error for a file a reader rejected: the exception's class and first line."""
    detail = (str(exc).strip().splitlines() or [""])[0].replace(path, "the file")[:150]
    reason = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return f"The file is damaged: {reason.rstrip('.')}."


def _out_of_memory(exc: BaseException | None) -> bool:
    """Whether an exception, or one it arose from, means an allocation failed."""
    while exc is not None:
        lxml = sys.modules.get("lxml.etree")
        if (
            isinstance(exc, MemoryError)
            or "map segment" in str(exc)  # a shared library that could not be loaded
            or "allocate memory" in str(exc)
            or (lxml and isinstance(exc, lxml.XMLSyntaxError) and exc.code == 2)  # ERR_NO_MEMORY
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _memory_error(memory_mb: int) -> str:
    """The error for an extraction that ran out of memory."""
    return f"Extraction needed more than {memory_mb} MB of memory."


_EXTRACTORS: dict[str, Callable[[str, str], Extraction]] = {
    "pdf": _extract_pdf,
    "pptx": _extract_pptx,
    "docx": _extract_docx,
    "xlsx": _extract_xlsx,
    "odt": _extract_odf,
    "odp": _extract_odf,
    "ods": _extract_odf,
    "txt": _extract_plain_text,
    "md": _extract_plain_text,
    "csv": _extract_plain_text,
    "html": _extract_html,
    "png": _extract_image,
    "jpeg": _extract_image,
    "gif": _extract_image,
    "webp": _extract_image,
    "mp4": _extract_video,
    "mov": _extract_video,
    "webm": _extract_video,
}


def _main(argv: list[str] | None = None) -> int:
    """Child entry point: limit memory, extract, print the Extraction as JSON on stdout."""
    parser = argparse.ArgumentParser(description="Extract a file's text as JSON.")
    parser.add_argument("--kind", required=True, choices=sorted(_EXTRACTORS))
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB)
    parser.add_argument("path")
    args = parser.parse_args(argv)
    limit = args.memory_mb * 1024 * 1024
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    result_fd = os.dup(1)
    os.dup2(2, 1)  # whatever a library prints lands on stderr; stdout carries only the JSON
    warnings.simplefilter("ignore")
    try:
        extraction = extract_file(args.path, args.kind)
    except MemoryError:
        extraction = Extraction(error=_memory_error(args.memory_mb))
    with open(result_fd, "w", encoding="utf-8") as result:
        result.write(extraction.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(_main())
