"""The shared real-world corpus (../shared/corpus), which CI always has beside the clone."""

import csv
import os
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

if not (CORPUS / "SOURCES.tsv").is_file() and os.environ.get("CI"):
    raise RuntimeError(f"The shared corpus is missing at {CORPUS}; CI must provide it.")

# Outside CI a clone without ../shared/corpus skips these tests, saying why.
needs_corpus = pytest.mark.skipif(
    not (CORPUS / "SOURCES.tsv").is_file(), reason="../shared/corpus is absent"
)


def corpus_rows() -> list[dict[str, str]]:
    """The corpus files described in SOURCES.tsv; none when the corpus is absent."""
    if not (CORPUS / "SOURCES.tsv").is_file():
        return []
    with open(CORPUS / "SOURCES.tsv", encoding="utf-8", newline="") as sources:
        return list(csv.DictReader(sources, delimiter="\t"))
