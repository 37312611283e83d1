"""Highlights cost the same whatever the files' size: only a bounded start of each file, and
of a page of results, is scanned; ordinary files are highlighted whole, with page numbers."""

from __future__ import annotations

from collateral.search_index import HIGHLIGHT_FILE_CHARS
from collateral.search_index.highlight import REQUEST_SCAN_CHARS
from tests.big_documents import COMMON_WORD, distinct_words_text
from tests.factories import make_pdf, make_pptx


def test_highlights_name_the_page_or_slide_number(api):
    deck = make_pptx([("Intro", "Welcome", ""), ("Pricing", "Wallaby tiers", ""), ("End", "", "")])
    assert api.upload(deck, "deck.pptx", title="Deck").status_code == 201
    pdf = make_pdf(["Overview", "Nothing here", "Wallaby rollout plan"])
    assert api.upload(pdf, "plan.pdf", title="Plan").status_code == 201
    found = {item["title"]: item["highlights"] for item in api.search(q="wallaby")["results"]}
    assert [(h["where"], h["page"]) for h in found["Deck"]] == [("slide 2", 2)]
    assert [(h["where"], h["page"]) for h in found["Plan"]] == [("page 3", 3)]
    assert all("<mark>Wallaby</mark>" in h["text"] for h in found["Deck"] + found["Plan"])


def test_words_past_the_scanned_start_of_a_big_file_are_found_but_not_highlighted(api):
    # Few distinct words, so the index takes it whole (INDEX_MAX_WORDS).
    line = f"{COMMON_WORD} quarterly pipeline review for the regional sales team\n"
    text = (line * (HIGHLIGHT_FILE_CHARS * 3 // len(line)) + "last words: wombat\n").encode()
    assert api.upload(text, "long.txt", title="Long").status_code == 201
    assert api.upload(b"A short wombat note", "short.txt", title="Short").status_code == 201
    results = api.search(q="wombat")["results"]
    assert {item["title"] for item in results} == {"Long", "Short"}
    marks = {item["title"]: item["highlights"] for item in results}
    assert marks["Long"] == []
    assert "<mark>wombat</mark>" in marks["Short"][0]["text"]
    # The common word opens the long file: that one is highlighted.
    [long] = api.search(q=COMMON_WORD)["results"]
    assert f"<mark>{COMMON_WORD}</mark>" in long["highlights"][0]["text"]


def test_a_page_of_results_shares_one_bound(app, api):
    """Many big files in one page of results: each gets a share, and small files theirs."""
    from collateral.services.resources import search_index

    pages = {
        n: [("document", distinct_words_text(HIGHLIGHT_FILE_CHARS).decode())] for n in range(8)
    }
    pages[8] = [("page 1", "nothing"), ("page 2", f"the {COMMON_WORD} is here")]
    with app.app_context():
        found = search_index().highlight_many(pages, COMMON_WORD)
    assert found[8] == [(1, "page 2", f"the <mark>{COMMON_WORD}</mark> is here")]
    assert all(found[n] for n in range(8))  # the common word is on each file's first line
    assert REQUEST_SCAN_CHARS < 8 * HIGHLIGHT_FILE_CHARS  # so the shares were cut
