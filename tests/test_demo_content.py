"""Tests for the generated demo collateral: real files, sound metadata, searchable words."""

import hashlib
import re
from pathlib import Path

import docx
import pypdfium2
import pytest
from pptx import Presentation

from collateral.demo_content import (
    DEMO_CONTENT_TYPES,
    DEMO_INDUSTRIES,
    DEMO_PRODUCTS,
    DEMO_STAGES,
    DemoAsset,
    generate_demo_assets,
)


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> list[DemoAsset]:
    """Generate the demo files once for the whole module."""
    return generate_demo_assets(tmp_path_factory.mktemp("demo"))


def by_name(assets: list[DemoAsset], filename: str) -> DemoAsset:
    """Return the asset with this filename."""
    return next(asset for asset in assets if asset.filename == filename)


def pdf_pages(path: Path) -> list[str]:
    """Return the text of each page of a PDF, as pypdfium2 reads it."""
    pdf = pypdfium2.PdfDocument(path)
    texts = []
    for index in range(len(pdf)):
        page = pdf[index]
        textpage = page.get_textpage()
        texts.append(" ".join(textpage.get_text_range().split()))
        textpage.close()
        page.close()
    pdf.close()
    return texts


def slide_texts(path: Path) -> list[str]:
    """Return the text of each slide (shapes, table cells and speaker notes)."""
    texts = []
    for slide in Presentation(path).slides:
        parts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        for shape in slide.shapes:
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
        if slide.has_notes_slide:
            parts.append(slide.notes_slide.notes_text_frame.text)
        texts.append(" ".join(" ".join(parts).split()))
    return texts


def document_text(path: Path) -> str:
    """Return the text of a DOCX: paragraphs, then table cells."""
    document = docx.Document(path)
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return " ".join(" ".join(parts).split())


def units(asset: DemoAsset) -> list[str]:
    """Return the text by page or slide, or the whole text of a document as one unit."""
    if asset.path.suffix == ".pdf":
        return pdf_pages(asset.path)
    if asset.path.suffix == ".pptx":
        return slide_texts(asset.path)
    return [document_text(asset.path)]


def test_writes_twelve_files_four_of_each_format(assets: list[DemoAsset]) -> None:
    assert len(assets) == 12
    assert all(asset.path.is_file() and asset.path.name == asset.filename for asset in assets)
    suffixes = [asset.path.suffix for asset in assets]
    assert {suffix: suffixes.count(suffix) for suffix in suffixes} == {
        ".pptx": 4,
        ".pdf": 4,
        ".docx": 4,
    }


def test_decks_have_titled_slides_a_table_and_speaker_notes(assets: list[DemoAsset]) -> None:
    for asset in assets:
        if asset.path.suffix != ".pptx":
            continue
        slides = list(Presentation(asset.path).slides)
        assert 4 <= len(slides) <= 8, asset.filename
        assert all(slide.shapes.title.text for slide in slides), asset.filename
        assert any(shape.has_table for slide in slides for shape in slide.shapes)
        assert any(slide.notes_slide.notes_text_frame.text for slide in slides[1:])


def test_pdfs_have_two_to_five_pages_of_distinct_text(assets: list[DemoAsset]) -> None:
    for asset in assets:
        if asset.path.suffix != ".pdf":
            continue
        pages = pdf_pages(asset.path)
        assert 2 <= len(pages) <= 5, asset.filename
        assert len(pages[1]) > 100, asset.filename
        assert len(set(pages)) == len(pages), asset.filename


def test_documents_have_headings_and_tables(assets: list[DemoAsset]) -> None:
    for asset in assets:
        if asset.path.suffix != ".docx":
            continue
        document = docx.Document(asset.path)
        headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
        assert len(headings) >= 3, asset.filename
        assert document.core_properties.title == asset.title
    whitepaper = by_name(assets, "whitepaper-demand-forecasting-manufacturing.docx")
    assert "Mean forecast error" in document_text(whitepaper.path)


def test_metadata_uses_the_demo_vocabularies(assets: list[DemoAsset]) -> None:
    for asset in assets:
        assert asset.products and set(asset.products) <= set(DEMO_PRODUCTS)
        assert asset.industries and set(asset.industries) <= set(DEMO_INDUSTRIES)
        assert asset.stages and set(asset.stages) <= set(DEMO_STAGES)
        assert asset.content_type in DEMO_CONTENT_TYPES
        assert asset.title and asset.description and asset.tags
    assert {p for asset in assets for p in asset.products} == set(DEMO_PRODUCTS)
    assert {s for asset in assets for s in asset.stages} == set(DEMO_STAGES)


def test_titles_and_filenames_are_unique_and_safe(assets: list[DemoAsset]) -> None:
    assert len({asset.title for asset in assets}) == len(assets)
    assert len({asset.filename for asset in assets}) == len(assets)
    for asset in assets:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*\.(pptx|pdf|docx)", asset.filename)


def test_some_drafts_for_marketers_but_mostly_published(assets: list[DemoAsset]) -> None:
    statuses = [asset.status for asset in assets]
    assert set(statuses) == {"draft", "published"}
    assert statuses.count("published") > statuses.count("draft")


def test_hipaa_is_on_page_two_of_one_case_study_only(assets: list[DemoAsset]) -> None:
    hits = [
        (asset.filename, number)
        for asset in assets
        for number, text in enumerate(units(asset), start=1)
        if "hipaa" in text.lower()
    ]
    assert hits == [("mercy-valley-health-case-study.pdf", 2)]


@pytest.mark.parametrize(
    ("filename", "number", "words"),
    [
        ("pinecrest-outfitters-case-study.pdf", 3, "cut churn by 18%"),
        ("harborline-crm-pricing-2026.pdf", 1, "Growth $59"),
        ("harborline-crm-pricing-2026.pdf", 2, "Volume discount"),
        ("fernway-support-desk-onboarding-plan.pptx", 2, "Data migration 5-8"),
        ("fernway-support-desk-onboarding-plan.pptx", 2, "go live in week 11"),
        ("quillmetric-analytics-demo-walkthrough.pptx", 4, "Forecast accuracy improves"),
        ("harborline-vs-stackmere-battlecard.docx", 1, "Stackmere is cheaper."),
    ],
)
def test_words_are_on_the_expected_page_or_slide(
    assets: list[DemoAsset], filename: str, number: int, words: str
) -> None:
    assert words in units(by_name(assets, filename))[number - 1]


def test_same_content_gives_the_same_bytes(assets: list[DemoAsset], tmp_path: Path) -> None:
    again = generate_demo_assets(tmp_path)
    for first, second in zip(assets, again, strict=True):
        first_hash = hashlib.sha256(first.path.read_bytes()).hexdigest()
        assert first_hash == hashlib.sha256(second.path.read_bytes()).hexdigest(), first.filename
