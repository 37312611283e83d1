"""The shared data beside the clone (../shared): the real-world corpus and the Cranfield collection.

CI always has it there. A clone elsewhere skips the tests that need it, saying why; under CI its
absence stops the run instead, so a missing folder never turns into silently skipped tests.
"""

import csv
import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus"
CRANFIELD = SHARED / "ir" / "cranfield"


def running_in_ci() -> bool:
    """CI services set CI (usually CI=true); an empty, 0 or false value means a person's run."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def needs_shared(marker: Path) -> pytest.MarkDecorator:
    """Skip a test when `marker`, a file under ../shared, is absent; under CI, raise instead."""
    where = "../" + marker.relative_to(SHARED.parent).as_posix()
    if not marker.is_file() and running_in_ci():
        raise RuntimeError(f"{where} is missing; CI must provide ../shared beside the clone.")
    return pytest.mark.skipif(not marker.is_file(), reason=f"{where} is absent (shared test data)")


needs_corpus = needs_shared(CORPUS / "SOURCES.tsv")
needs_cranfield = needs_shared(CRANFIELD / "cran.all.1400")


def corpus_rows() -> list[dict[str, str]]:
    """The corpus files described in SOURCES.tsv; none when the corpus is absent."""
    if not (CORPUS / "SOURCES.tsv").is_file():
        return []
    with open(CORPUS / "SOURCES.tsv", encoding="utf-8", newline="") as sources:
        return list(csv.DictReader(sources, delimiter="\t"))
