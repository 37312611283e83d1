"""A library holding a few big documents (a long text of distinct words, exported sheets)
keeps answering uploads quickly: what one document puts in the index is bounded, and a
request's commit never merges big segments."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.big_documents import COMMON_WORD, csv_export, distinct_word, distinct_words_text

# The library was one 5.6 MB text and six 5 MB exports; smaller here, the same shape,
# with the bound on distinct words lowered to match (the defaults are costed in the README).
BIG_TEXT_BYTES = 600_000
EXPORT_BYTES = 300_000
EXPORTS = 6
MAX_WORDS = 5_000
TEXT_START = 10_000_000  # the long text's words differ from the exports' values


@pytest.fixture
def app(app):
    app.config["INDEX_MAX_WORDS"] = MAX_WORDS
    return app


def test_uploads_after_big_documents_answer_quickly_and_are_searchable(api):
    big = api.upload(
        distinct_words_text(BIG_TEXT_BYTES, TEXT_START), "words.txt", title="Word list"
    )
    assert big.status_code == 201, big.get_json()
    for number in range(EXPORTS):
        export = csv_export(EXPORT_BYTES, start=number * 200_000)
        done = api.upload(export, f"export-{number}.csv", title=f"Export {number}")
        assert done.status_code == 201, done.get_json()
    for number in range(4):
        started = time.monotonic()
        small = api.upload(f"Okapi rollout note {number}".encode(), f"note-{number}.txt")
        took = time.monotonic() - started
        assert small.status_code == 201, small.get_json()
        assert took < 3.0, f"upload {number} after the big documents took {took:.1f} s"
    assert api.search(q="okapi")["total"] == 4
    assert api.search(q=COMMON_WORD)["total"] == 1 + EXPORTS
    # Words within the bound are found; words past it are not, but the file is kept whole.
    assert api.search(q=distinct_word(TEXT_START + 100))["total"] == 1
    assert api.search(q=distinct_word(TEXT_START + 60_000))["total"] == 0
    download = api.get(f"/api/v1/assets/{big.get_json()['id']}/download")
    assert download.status_code == 200
    assert download.data == distinct_words_text(BIG_TEXT_BYTES, TEXT_START)


def test_optimize_merges_the_segments_changes_left(app, api, runner):
    for number in range(3):
        export = csv_export(EXPORT_BYTES, start=number * 200_000)
        assert api.upload(export, f"export-{number}.csv").status_code == 201
    root = Path(app.config["INDEX_ROOT"])
    live = root / (root / "CURRENT").read_text().strip()
    segments = {path.name.partition(".")[0] for path in live.glob("MAIN_*.*")}
    assert len(segments) > 1
    result = runner.invoke(args=["optimize"])
    assert result.exit_code == 0 and "Merged the search index" in result.output
    after = {path.name.partition(".")[0] for path in live.glob("MAIN_*.*")}
    assert len(after) == 1
    assert api.search(q=COMMON_WORD)["total"] == 3


def test_the_indexed_start_of_a_body_ends_between_words():
    from collateral.search_index import bounded_body

    text = "alpha beta gamma delta alpha beta"
    assert bounded_body(text, 100, 100) == text
    assert bounded_body(text, 13, 100) == "alpha beta "  # "gamma" would cross the bound
    assert bounded_body(text, 100, 3) == "alpha beta gamma "  # a 4th distinct word, "delta"
    assert bounded_body(text, 100, 4) == text  # repeated words are no new words
