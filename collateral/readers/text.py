"""Text of plain-text files (TXT, Markdown, CSV) and of HTML pages, as one document each."""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

from . import results
from .results import Extraction, PageCollector


def read_plain_text(path: str, kind: str) -> Extraction:
    """One document from a text file (UTF-8, else cp1252)."""
    text, truncated = _read_text(path)
    pages = PageCollector("document")
    pages.add(1, text)
    pages.truncated = pages.truncated or truncated
    return pages.result()


def _read_text(path: str) -> tuple[str, bool]:
    """The file decoded as UTF-8 (BOM allowed), else cp1252; and whether it was cut short."""
    limit = results.MAX_TEXT_CHARS  # looked up per call, like PageCollector's cap
    with open(path, "rb") as file:
        data = file.read(limit + 1)
    truncated = len(data) > limit
    data = data[:limit]
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


def read_html(path: str, kind: str) -> Extraction:
    """One document: the page's visible text, without scripts, styles and templates."""
    html, truncated = _read_text(path)
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    pages = PageCollector("document")
    pages.add(1, "\n".join(line for line in lines if line))
    pages.truncated = pages.truncated or truncated
    return pages.result(None, " ".join("".join(parser.title).split()))
