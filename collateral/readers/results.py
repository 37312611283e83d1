"""What every reader returns: the text of each page, slide or sheet, and why there is none.

Pages without text are left out of `Extraction.pages` (their `number` still gives their real
position; `page_count` gives the total), so a scanned PDF has no pages and the error
"No text layer (scanned or image-only).".
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT_CHARS = 5_000_000
MAX_NAME_CHARS = 300  # a sheet's name as the database keeps it (page.name)
ENCRYPTED_PDF = "The PDF is password-protected."
ENCRYPTED_FILE = "The file is password-protected."
NO_TEXT_LAYER = "No text layer (scanned or image-only)."
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


def clean_text(text: str) -> str:
    """Text with one kind of line break, no control characters and no trailing spaces."""
    if _LONE_SURROGATE.search(text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = _UNWANTED_CHARS.sub("", _LINE_BREAKS.sub("\n", text))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


class PageCollector:
    """Pages with text, gathered while keeping the total under MAX_TEXT_CHARS."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.items: list[PageText] = []
        self.chars = 0
        self.truncated = False

    def add(self, number: int, text: str, name: str | None = None) -> bool:
        """Keep the page if it has text; return False once the cap is reached."""
        text = clean_text(text)
        name = clean_text(name).strip()[:MAX_NAME_CHARS] or None if name else None
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


UNSAFE_XML = (
    "The file was not read: its XML declares entities, which can expand into gigabytes or "
    "pull in files from the server, so they are refused."
)


def damaged_error(exc: BaseException, path: str) -> str:
    """The error for a file a reader rejected: the exception's class and first line."""
    if _refused_entities(exc):
        return UNSAFE_XML
    detail = (str(exc).strip().splitlines() or [""])[0].replace(path, "the file")[:150]
    reason = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return f"The file is damaged: {reason.rstrip('.')}."


def _refused_entities(exc: BaseException | None) -> bool:
    """Whether the failure, or one it arose from, is a parser refusing XML entities.

    defusedxml raises on any entity declaration; libxml2 (under python-pptx and python-docx)
    stops an entity expansion that grows too far.
    """
    while exc is not None:
        if type(exc).__module__.startswith("defusedxml") or "entity amplification" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
