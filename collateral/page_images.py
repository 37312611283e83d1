"""Images of every page or slide of a file, drawn in a child process under limits.

Office and OpenDocument files become a PDF with LibreOffice (`soffice --headless --convert-to
pdf`, with a profile folder of its own per run, so two conversions never share one), then every
page is drawn with pdfium, as PDFs already are. All of it runs as `python -m
collateral.page_images` through `collateral.child_process`, whose time limit kills the whole
process group: a deck that makes LibreOffice hang costs one failed render and leaves no
LibreOffice behind. Knows nothing of Flask or the models.

The child writes the images into a folder the parent made, and on stdout a line
`converted` once LibreOffice is done (so a time-out says which step was slow), then one JSON line
with the page count and each image's size, or `error: <reason>`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .child_process import ChildFailed, limit_child, run_in_child
from .previews import THUMBNAIL_SIZE, _fit
from .readers.results import ENCRYPTED_PDF, damaged_error

OFFICE_KINDS = frozenset({"pptx", "docx", "xlsx", "odp", "odt", "ods"})
PAGED_KINDS = OFFICE_KINDS | {"pdf"}
IMAGE_FORMAT = "webp"  # measured in bench/render.py: half the bytes of JPEG for slides
IMAGE_MIME = "image/webp"
WEBP_OPTIONS = {"quality": 80, "method": 0}  # method 0: ~40 ms a slide instead of ~140 ms
MAX_PAGE_PIXELS = 6_000_000  # a very tall page is drawn narrower rather than huge
_CONVERTED = b"converted\n"
_ERROR_PREFIX = b"error: "

# The Debian package that brings LibreOffice's converter for each kind, and what to call it.
PACKAGE_FOR_KIND = {
    **dict.fromkeys(("pptx", "odp"), "libreoffice-impress-nogui"),
    **dict.fromkeys(("docx", "odt"), "libreoffice-writer-nogui"),
    **dict.fromkeys(("xlsx", "ods"), "libreoffice-calc-nogui"),
}
_NOUN_FOR_KIND = {
    **dict.fromkeys(("pptx", "odp"), ("deck", "slides")),
    **dict.fromkeys(("docx", "odt"), ("document", "pages")),
    **dict.fromkeys(("xlsx", "ods"), ("spreadsheet", "sheets")),
    "pdf": ("PDF", "pages"),
}


class RenderFailed(ValueError):
    """The pages could not be drawn; the message says why, for the marketer.

    `final` is False when trying again may help (the renderer was killed, not the file at fault).
    """

    def __init__(self, message: str, *, final: bool = True) -> None:
        super().__init__(message)
        self.final = final


@dataclass
class Rendering:
    """What a render made: the images in `folder`, named by `image_name(n)`."""

    folder: Path
    page_count: int  # pages the file has
    sizes: list[tuple[int, int]]  # (width, height) of each image drawn, from page 1 on
    thumbnail: bytes | None  # a JPEG of page 1 fitting THUMBNAIL_SIZE
    timings: dict[str, float] = field(default_factory=dict)


def image_name(number: int) -> str:
    return f"page-{number}.{IMAGE_FORMAT}"


def find_soffice(configured: str) -> str | None:
    """The LibreOffice program to run, or None if it is not installed."""
    found = shutil.which(configured)
    return found if found and os.access(found, os.X_OK) else None


def missing_libreoffice_message(kind: str) -> str:
    """What to install to see this kind's pages."""
    package = PACKAGE_FOR_KIND.get(kind, "libreoffice-impress-nogui")
    return f"Install {package} to see {_NOUN_FOR_KIND.get(kind, ('', 'pages'))[1]}."


def render_pages_in_child(
    source: str | os.PathLike,
    kind: str,
    folder: str | os.PathLike,
    *,
    width: int,
    max_pages: int,
    soffice: str | None,
    timeout_seconds: float,
    memory_mb: int,
) -> Rendering:
    """Draw up to `max_pages` pages of `source` into `folder`; RenderFailed says why not."""
    folder = Path(folder)
    arguments = [
        f"--kind={kind}",
        f"--width={int(width)}",
        f"--max-pages={int(max_pages)}",
        f"--timeout={timeout_seconds:g}",
        f"--soffice={soffice or ''}",
        f"--out={folder.resolve()}",
        str(Path(source).resolve()),
    ]
    noun = _NOUN_FOR_KIND.get(kind, ("file", "pages"))[0]
    try:
        output = run_in_child(
            "collateral.page_images",
            arguments,
            task="Drawing the pages",
            worker="the renderer",
            timeout_seconds=timeout_seconds,
            memory_mb=memory_mb,
        ).stdout
    except ChildFailed as exc:
        converted = exc.partial_stdout.startswith(_CONVERTED)
        if "longer than" in str(exc):
            step = "LibreOffice" if kind in OFFICE_KINDS and not converted else "Drawing the pages"
            raise RenderFailed(
                f"{step} stopped after {timeout_seconds:g} s: the {noun} may be damaged; "
                "open and save it again."
            ) from None
        if "memory" in str(exc) and "stopped by" not in str(exc):
            raise RenderFailed(
                f"{exc} The {noun} may be damaged; open and save it again."
            ) from None
        raise RenderFailed(str(exc), final=False) from None
    lines = output.split(b"\n")
    if lines and lines[0] + b"\n" == _CONVERTED:
        lines = lines[1:]
    last = lines[0] if lines else b""
    if last.startswith(_ERROR_PREFIX):
        raise RenderFailed(last[len(_ERROR_PREFIX) :].decode("utf-8", "replace"))
    try:
        summary = json.loads(last)
    except ValueError:
        raise RenderFailed("Drawing the pages failed: unreadable output.", final=False) from None
    thumbnail_path = folder / "thumbnail.jpg"
    return Rendering(
        folder,
        int(summary["page_count"]),
        [(int(w), int(h)) for w, h in summary["sizes"]],
        thumbnail_path.read_bytes() if thumbnail_path.is_file() else None,
        summary.get("timings", {}),
    )


def _die_with_parent() -> None:
    """Linux: this process gets SIGKILL when its parent dies (a killed job runner)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _convert_to_pdf(source: str, kind: str, out: Path, soffice: str, timeout: float) -> Path:
    """LibreOffice's PDF of `source`, made in `out` with a profile folder of its own."""
    work = out / "convert"
    work.mkdir()
    linked = work / f"source.{kind}"  # LibreOffice picks its filter by the name's ending too
    linked.symlink_to(source)
    command = [
        soffice,
        f"-env:UserInstallation={(out / 'profile').as_uri()}",
        "--headless",
        "--norestore",
        "--nologo",
        "--nolockcheck",
        "--convert-to",
        "pdf",
        "--outdir",
        str(work),
        str(linked),
    ]
    try:
        subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr,
            stderr=sys.stderr,
            timeout=timeout,
            check=False,
            env={**os.environ, "HOME": str(out)},
            preexec_fn=_die_with_parent,  # noqa: PLW1509  (this child runs no threads)
        )
    except subprocess.TimeoutExpired:
        # The parent's own limit would come too; if the parent died, this one still holds.
        os.killpg(os.getpgrp(), signal.SIGKILL)
    pdf = work / "source.pdf"
    if not pdf.is_file() or pdf.stat().st_size == 0:
        noun = _NOUN_FOR_KIND.get(kind, ("file", ""))[0]
        raise RenderFailed(
            f"LibreOffice could not open the {noun}: it may be damaged or password-protected; "
            "open and save it again."
        )
    return pdf


def _draw_pages(pdf_path: Path, out: Path, width: int, max_pages: int) -> dict:
    """Every page up to `max_pages` as an image in `out`; the page count and sizes."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(str(pdf_path))
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise RenderFailed(
                ENCRYPTED_PDF + " Remove the password and upload it again."
            ) from None
        raise RenderFailed(damaged_error(exc, str(pdf_path))) from None
    sizes: list[tuple[int, int]] = []
    started = time.monotonic()
    first = None
    with pdf:
        count = len(pdf)
        for index in range(min(count, max_pages)):
            try:
                page = pdf[index]
                page_width, page_height = page.get_size()
                scale = min(width / page_width, (MAX_PAGE_PIXELS // width) / page_height)
                image = page.render(scale=scale * (1 - 1e-6)).to_pil().convert("RGB")
            except (pdfium.PdfiumError, ZeroDivisionError) as exc:
                raise RenderFailed(damaged_error(exc, str(pdf_path))) from None
            image.save(out / image_name(index + 1), "WEBP", **WEBP_OPTIONS)
            sizes.append(image.size)
            if index == 0:
                first = time.monotonic() - started
                thumbnail = io.BytesIO()
                _fit(image, THUMBNAIL_SIZE).save(thumbnail, "JPEG", quality=80)
                (out / "thumbnail.jpg").write_bytes(thumbnail.getvalue())
    return {
        "page_count": count,
        "sizes": sizes,
        "timings": {"first_page": first, "all_pages": time.monotonic() - started},
    }


def _main(argv: list[str] | None = None) -> int:
    """Child entry point: limit memory, convert if need be, draw, report on stdout."""
    parser = argparse.ArgumentParser(description="Draw every page of a file as an image.")
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--kind", required=True, choices=sorted(PAGED_KINDS))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--max-pages", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--soffice", default="")
    parser.add_argument("--out", required=True)
    parser.add_argument("path")
    args = parser.parse_args(argv)
    result_fd = limit_child(args.memory_mb)
    _die_with_parent()
    out = Path(args.out)
    with open(result_fd, "wb") as result:
        try:
            pdf_path = Path(args.path)
            converted_after = 0.0
            if args.kind in OFFICE_KINDS:
                if not args.soffice:
                    raise RenderFailed(missing_libreoffice_message(args.kind))
                started = time.monotonic()
                pdf_path = _convert_to_pdf(args.path, args.kind, out, args.soffice, args.timeout)
                converted_after = time.monotonic() - started
                result.write(_CONVERTED)
                result.flush()
            summary = _draw_pages(pdf_path, out, args.width, args.max_pages)
            summary["timings"]["convert"] = converted_after
            result.write(json.dumps(summary).encode("utf-8") + b"\n")
        except RenderFailed as exc:
            result.write(_ERROR_PREFIX + str(exc).encode("utf-8") + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
