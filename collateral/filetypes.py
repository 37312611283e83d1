"""Judge an upload's type by its content, not only by its name.

The name's extension says what the uploader claims; the first bytes (and, for zip containers,
the zip's central directory) must agree. Nothing is decompressed beyond a few bytes, and a zip
whose directory describes a zip bomb is refused before any part is unpacked (`zip_limits`).
"""

from __future__ import annotations

import codecs
import os
import unicodedata
import zipfile
from dataclasses import dataclass

from .zip_limits import ZipRefused, check_declared_sizes

HEAD_BYTES = 64 * 1024

EXTENSION_KINDS = {
    "pdf": "pdf",
    "pptx": "pptx",
    "docx": "docx",
    "xlsx": "xlsx",
    "odt": "odt",
    "odp": "odp",
    "ods": "ods",
    "txt": "txt",
    "md": "md",
    "csv": "csv",
    "html": "html",
    "htm": "html",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "gif": "gif",
    "webp": "webp",
    "mp4": "mp4",
    "mov": "mov",
    "webm": "webm",
}
ACCEPTED_EXTENSIONS: tuple[str, ...] = tuple(sorted(EXTENSION_KINDS))

_OOXML = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."
# kind -> (MIME type, what a person calls such content)
KINDS: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "a PDF document"),
    "pptx": (_OOXML + "presentationml.presentation", "a PowerPoint presentation (PPTX)"),
    "docx": (_OOXML + "wordprocessingml.document", "a Word document (DOCX)"),
    "xlsx": (_OOXML + "spreadsheetml.sheet", "an Excel workbook (XLSX)"),
    "odt": (_ODF + "text", "an OpenDocument text (ODT)"),
    "odp": (_ODF + "presentation", "an OpenDocument presentation (ODP)"),
    "ods": (_ODF + "spreadsheet", "an OpenDocument spreadsheet (ODS)"),
    "txt": ("text/plain", "text"),
    "md": ("text/markdown", "text"),
    "csv": ("text/csv", "text"),
    "html": ("text/html", "text"),
    "png": ("image/png", "a PNG image"),
    "jpeg": ("image/jpeg", "a JPEG image"),
    "gif": ("image/gif", "a GIF image"),
    "webp": ("image/webp", "a WebP image"),
    "mp4": ("video/mp4", "MP4 video"),
    "mov": ("video/quicktime", "QuickTime (MOV) video"),
    "webm": ("video/webm", "WebM video"),
}
TEXT_KINDS = frozenset({"txt", "md", "csv", "html"})
_OOXML_FOLDERS = {"pptx": "ppt/", "docx": "word/", "xlsx": "xl/"}
_ODF_KINDS = {KINDS[kind][0]: kind for kind in ("odt", "odp", "ods")}
ZIP_KINDS = frozenset(_OOXML_FOLDERS) | frozenset(_ODF_KINDS.values())
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# ISO base media brands that hold still images, not video (HEIC, AVIF, JPEG 2000).
_IMAGE_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"jp2 "}
_MOV_FIRST_BOXES = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
# Bidirectional overrides can make "invoice\u202efdp.exe" display as "invoiceexe.pdf".
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_HINTS = {
    "doc": "save it as .docx or .pdf, then upload it again",
    "ppt": "save it as .pptx or .pdf, then upload it again",
    "xls": "save it as .xlsx, then upload it again",
    "rtf": "save it as .docx or .pdf, then upload it again",
    "heic": "convert it to JPEG or PNG, then upload it again",
    "heif": "convert it to JPEG or PNG, then upload it again",
    "zip": "unpack it and upload the files inside one by one",
}


@dataclass(frozen=True)
class FileType:
    """An accepted upload's kind (see KINDS) and the MIME type to serve it with."""

    kind: str
    mime_type: str


class UnsupportedFileType(ValueError):
    """The file is not of an accepted type, or its content does not match its name."""


class UnsafeFile(ValueError):
    """The file is of an accepted type but must not be read: a zip bomb, for one."""


def detect_file_type(path: str | os.PathLike, filename: str) -> FileType:
    """The type of the file at `path` uploaded as `filename`; raise UnsupportedFileType if none."""
    extension = _extension(filename)
    shown = _shown_name(filename)
    kind = EXTENSION_KINDS.get(extension)
    if kind is None:
        hint = f"; {_HINTS[extension]}" if extension in _HINTS else ""
        raise _unsupported(f"‘{shown}’ is not an accepted type{hint}.")
    with open(path, "rb") as file:
        head = file.read(HEAD_BYTES)
    if not head:
        raise _unsupported(f"‘{shown}’ is empty; choose a file that has content.")
    if kind in ZIP_KINDS and head.startswith(b"PK"):
        try:
            check_declared_sizes(path)
        except ZipRefused as exc:
            raise UnsafeFile(
                f"‘{shown}’ was refused without being unpacked: {exc}. Zip bombs look like "
                "this; if the file is genuine, open it, save it again, and upload that copy."
            ) from None
    if kind in _OOXML_FOLDERS and _is_encrypted_ooxml(head, path):
        # Stored like any file whose text cannot be read: found by its metadata.
        return FileType(kind=kind, mime_type=KINDS[kind][0])
    if not _content_matches(kind, head, path):
        wanted = KINDS[kind][1]
        if head.startswith(_OLE2_MAGIC) and kind in _OOXML_FOLDERS:
            raise _unsupported(
                f"‘{shown}’ is saved in an old binary Office format; "
                f"save it as .{kind}, then upload it again."
            )
        found = _describe_content(head, path)
        raise _unsupported(f"‘{shown}’ does not contain {wanted} (its content looks like {found}).")
    return FileType(kind=kind, mime_type=KINDS[kind][0])


def _is_encrypted_ooxml(head: bytes, path: str | os.PathLike) -> bool:
    """A password-protected DOCX/PPTX/XLSX: an OLE2 container whose first directory sector
    names an EncryptedPackage stream (MS-OFFCRYPTO), as opposed to an old binary .doc/.ppt/.xls."""
    if not head.startswith(_OLE2_MAGIC) or len(head) < 52:
        return False
    sector_size = 1 << int.from_bytes(head[30:32], "little")
    directory_sector = int.from_bytes(head[48:52], "little")
    if not 512 <= sector_size <= 4096 or directory_sector >= 0xFFFFFFFA:
        return False
    with open(path, "rb") as file:
        file.seek((directory_sector + 1) * sector_size)
        directory = file.read(sector_size * 4)
    return "EncryptedPackage".encode("utf-16-le") in directory


def _describe_content(head: bytes, path: str | os.PathLike) -> str:
    """Say in a few words what the content looks like, for error messages."""
    if not head:
        return "nothing (the file is empty)"
    if head.startswith(_OLE2_MAGIC):
        return "an old binary Office file or a password-protected Office file"
    if head.startswith(b"PK"):
        kind = _zip_container_kind(path)
        return KINDS[kind][1] if kind else "a ZIP archive"
    if head.lstrip().startswith(b"{\\rtf"):
        return "an RTF document"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text (save it as UTF-8)"
    if head[4:8] == b"ftyp" and head[8:12] in _IMAGE_BRANDS:
        return "a HEIC or AVIF image"
    for kind in ("pdf", "png", "jpeg", "gif", "webp", "mov", "mp4", "webm"):
        if _content_matches(kind, head, path):
            return KINDS[kind][1]
    if head[4:8] == b"ftyp":
        return "MP4 or QuickTime video"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "Matroska (MKV) video"
    if _is_text(head):
        start = head[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        return "an HTML page" if start.startswith((b"<!doctype html", b"<html")) else "text"
    return "binary data of an unknown type"


def _content_matches(kind: str, head: bytes, path: str | os.PathLike) -> bool:
    """Whether the first bytes (and zip directory) fit `kind`."""
    if kind == "pdf":
        return b"%PDF-" in head[:1024]
    if kind in _OOXML_FOLDERS or kind in ("odt", "odp", "ods"):
        return head.startswith(b"PK") and _zip_container_kind(path) == kind
    if kind in TEXT_KINDS:
        return _is_text(head)
    if kind == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if kind == "gif":
        return head.startswith((b"GIF87a", b"GIF89a"))
    if kind == "webp":
        return head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    if kind == "mp4":
        return head[4:8] == b"ftyp" and head[8:12] not in _IMAGE_BRANDS | {b"qt  "}
    if kind == "mov":
        if head[4:8] == b"ftyp":
            brands_end = min(int.from_bytes(head[:4], "big"), len(head))
            brands = [head[i : i + 4] for i in range(16, brands_end, 4)]
            return head[8:12] == b"qt  " or b"qt  " in brands
        return head[4:8] in _MOV_FIRST_BOXES
    if kind == "webm":
        return head.startswith(b"\x1a\x45\xdf\xa3") and b"matroska" not in head[:64]
    return False


def _zip_container_kind(path: str | os.PathLike) -> str | None:
    """The office kind a zip holds (pptx, docx, xlsx, odt, odp, ods), judged from its directory."""
    try:
        check_declared_sizes(path)  # so a huge directory is never parsed here
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    mimetype = member.read(100).decode("ascii", "replace").strip()
                return _ODF_KINDS.get(mimetype)
            if "[Content_Types].xml" in names:
                for kind, folder in _OOXML_FOLDERS.items():
                    if any(name.startswith(folder) for name in names):
                        return kind
    except (
        ZipRefused,
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        RuntimeError,
        OSError,
    ):
        # Damaged directory, unsupported compression or an encrypted member: not a container.
        return None
    return None


def _is_text(head: bytes) -> bool:
    """No NUL, and UTF-8 (BOM allowed) or cp1252/latin-1 without stray control characters."""
    if b"\x00" in head:
        return False
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        decoder.decode(head, final=len(head) < HEAD_BYTES)
        return True
    except UnicodeDecodeError:
        pass
    try:
        text = head.decode("cp1252")
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    return not any(
        unicodedata.category(char) == "Cc" and char not in "\t\r\n\f" for char in set(text)
    )


def _extension(filename: str) -> str:
    """The lower-case extension of `filename`, after checking the name is usable."""
    if not filename or not filename.strip():
        raise _unsupported("The file has no name; give it a name ending in its type, like .pdf.")
    if any(unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS for char in filename):
        raise _unsupported(
            "The file name contains control characters; rename the file and upload it again."
        )
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem, dot, extension = base.rpartition(".")
    if not dot or not extension.strip():
        raise _unsupported(
            f"‘{_shown_name(filename)}’ has no extension, so its type is unknown; "
            "add one such as .pdf or .pptx."
        )
    return extension.strip().lower()


def _shown_name(filename: str) -> str:
    """The name's last path part, shortened for a message."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or filename
    return base if len(base) <= 80 else base[:60] + "…" + base[-19:]


def _unsupported(sentence: str) -> UnsupportedFileType:
    """The exception for `sentence`, with the accepted extensions appended."""
    return UnsupportedFileType(f"{sentence} Accepted: {', '.join(ACCEPTED_EXTENSIONS)}.")
