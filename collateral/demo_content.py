"""Demo collateral made on the spot: real PPTX, PDF and DOCX files about made-up products.

Knows nothing of Flask or the database: `generate_demo_assets` writes the files into a folder
and returns their metadata as plain values, for `flask demo` to load like any upload.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docx
from fpdf import FPDF
from pptx import Presentation
from pptx.util import Inches, Pt

from .demo_catalog import (
    DEMO_CONTENT_TYPES,
    DEMO_INDUSTRIES,
    DEMO_PRODUCTS,
    DEMO_SPECS,
    DEMO_STAGES,
    DemoSpec,
)

__all__ = [
    "DEMO_CONTENT_TYPES",
    "DEMO_INDUSTRIES",
    "DEMO_PRODUCTS",
    "DEMO_STAGES",
    "DemoAsset",
    "generate_demo_assets",
]

# Fixed dates, so the same content always gives the same bytes (and the same blob hash).
_CREATED = dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.UTC)
_ZIP_TIME = (2026, 1, 12, 9, 0, 0)
_AUTHOR = "Demo Marketing Team"


@dataclass
class DemoAsset:
    """One generated demo file and the catalogue metadata to load it with."""

    path: Path
    filename: str
    title: str
    description: str
    products: list[str]
    industries: list[str]
    stages: list[str]
    content_type: str
    tags: list[str]
    status: str = "published"


def _write_zip_with_fixed_times(save: Callable[[io.BytesIO], None], path: Path) -> None:
    """Save an Office package with fixed entry times, so equal content gives equal bytes."""
    buffer = io.BytesIO()
    save(buffer)
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(entry))


def _write_pptx(spec: DemoSpec, path: Path) -> None:
    """Write a deck: a title slide, then one slide per section with bullets or a table."""
    deck = Presentation()
    props = deck.core_properties
    props.title, props.author, props.subject = spec.title, _AUTHOR, spec.description
    props.keywords, props.created, props.modified = ", ".join(spec.tags), _CREATED, _CREATED
    props.last_modified_by, props.revision = _AUTHOR, 1
    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = spec.title
    cover.placeholders[1].text = spec.description
    for section in spec.sections:
        if section.table:
            slide = deck.slides.add_slide(deck.slide_layouts[5])  # Title Only
            rows, cols = len(section.table), len(section.table[0])
            shape = slide.shapes.add_table(
                rows, cols, Inches(0.5), Inches(1.8), Inches(9), Inches(0.5) * rows
            )
            for r, row in enumerate(section.table):
                for c, value in enumerate(row):
                    cell = shape.table.cell(r, c)
                    cell.text = value
                    cell.text_frame.paragraphs[0].font.size = Pt(14)
        else:
            slide = deck.slides.add_slide(deck.slide_layouts[1])  # Title and Content
            body = slide.placeholders[1].text_frame
            body.text = "\n".join(section.text + section.bullets)
            for paragraph in body.paragraphs:
                paragraph.font.size = Pt(22)  # the template's 32 pt overflows five bullets
        slide.shapes.title.text = section.title
        if section.notes:
            slide.notes_slide.notes_text_frame.text = section.notes
    _write_zip_with_fixed_times(deck.save, path)


def _write_docx(spec: DemoSpec, path: Path) -> None:
    """Write a document: the title, then a level-1 heading per section with its body."""
    document = docx.Document()
    props = document.core_properties
    props.title, props.author, props.subject = spec.title, _AUTHOR, spec.description
    props.keywords, props.created, props.modified = ", ".join(spec.tags), _CREATED, _CREATED
    props.last_modified_by, props.revision = _AUTHOR, 1
    document.add_heading(spec.title, level=0)
    for section in spec.sections:
        document.add_heading(section.title, level=1)
        for paragraph in section.text:
            document.add_paragraph(paragraph)
        for bullet in section.bullets:
            document.add_paragraph(bullet, style="List Bullet")
        if section.table:
            table = document.add_table(rows=0, cols=len(section.table[0]))
            table.style = "Table Grid"
            for r, row in enumerate(section.table):
                cells = table.add_row().cells
                for cell, value in zip(cells, row, strict=True):
                    cell.text = value
                    if r == 0 and value:
                        cell.paragraphs[0].runs[0].bold = True
    _write_zip_with_fixed_times(document.save, path)


class _DemoPdf(FPDF):
    """An FPDF that prints a small footer with the asset title and page number."""

    footer_text = ""

    def footer(self) -> None:
        """Print the footer line at the bottom of each page."""
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 10, f"{self.footer_text} | Page {self.page_no()}", align="C")


def _write_pdf(spec: DemoSpec, path: Path) -> None:
    """Write a PDF with one page per section; core Helvetica, so all text must be Latin-1."""
    pdf = _DemoPdf(format="Letter")
    pdf.footer_text = spec.title
    pdf.set_creation_date(_CREATED)
    pdf.set_title(spec.title)
    pdf.set_author(_AUTHOR)
    pdf.set_subject(spec.description)
    pdf.set_keywords(", ".join(spec.tags))
    for number, section in enumerate(spec.sections):
        pdf.add_page()
        if number == 0:
            pdf.set_font("Helvetica", style="B", size=20)
            pdf.multi_cell(0, 10, spec.title, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
        pdf.set_font("Helvetica", style="B", size=15)
        pdf.multi_cell(0, 8, section.title, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("Helvetica", size=11)
        for paragraph in section.text:
            pdf.multi_cell(0, 6, paragraph, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        for bullet in section.bullets:
            pdf.multi_cell(0, 6, f"-  {bullet}", align="L", new_x="LMARGIN", new_y="NEXT")
        if section.table:
            pdf.ln(4)
            with pdf.table(text_align="LEFT", line_height=7) as table:
                for row in section.table:
                    table.row(row)
    pdf.output(str(path))


_WRITERS: dict[str, Callable[[DemoSpec, Path], None]] = {
    ".pptx": _write_pptx,
    ".docx": _write_docx,
    ".pdf": _write_pdf,
}


def generate_demo_assets(folder: Path) -> list[DemoAsset]:
    """Write the twelve demo files into folder and return them with their metadata."""
    folder.mkdir(parents=True, exist_ok=True)
    assets = []
    for spec in DEMO_SPECS:
        path = folder / spec.filename
        _WRITERS[path.suffix](spec, path)
        assets.append(
            DemoAsset(
                path=path,
                filename=spec.filename,
                title=spec.title,
                description=spec.description,
                products=list(spec.products),
                industries=list(spec.industries),
                stages=list(spec.stages),
                content_type=spec.content_type,
                tags=list(spec.tags),
                status=spec.status,
            )
        )
    return assets
