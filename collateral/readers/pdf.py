"""Text per page of a PDF, read with pdfium.

Hostile PDFs are bounded elsewhere: pdfium limits nesting and checks the page tree, and the
extraction child's memory and time limits stop a flate bomb. A page tree can still list the same
page a million times, each costing a page load, so only the first MAX_PAGES pages are read.
"""

from __future__ import annotations

from .results import ENCRYPTED_PDF, NO_TEXT_LAYER, Extraction, PageCollector, damaged_error

MAX_PAGES = 10_000  # reading 10,000 pages takes about a second; real collateral has far fewer


def read_pdf(path: str, kind: str) -> Extraction:
    """Text per page with pdfium."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            return Extraction(error=ENCRYPTED_PDF)
        return Extraction(error=damaged_error(exc, path))
    with pdf:
        pages = PageCollector("page")
        for index in range(min(len(pdf), MAX_PAGES)):
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
        if len(pdf) > MAX_PAGES:
            extraction.metadata["truncated"] = True
    if not extraction.pages and extraction.page_count:
        extraction.error = NO_TEXT_LAYER
    return extraction
