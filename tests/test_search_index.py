"""The search index on its own: a dozen made-up assets on tmp_path, no app, no database."""

from __future__ import annotations

import random
import shutil
import threading
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.util.numeric import byte_to_length

from collateral.search_index import (
    FACET_FIELDS,
    IndexBusy,
    IndexDocument,
    SearchIndex,
    SearchQuery,
    whoosh_blocks,
)
from collateral.search_index.schema import document_fields, new_schema

HEALTHCARE, BANKING, RETAIL = 11, 12, 13
DISCOVERY, PROPOSAL, CLOSING = 21, 22, 23
DECK, CASE_STUDY, BATTLECARD, WHITEPAPER = 31, 32, 33, 34
EXPIRY = date(2030, 6, 30)


def make(asset_id: int, title: str, body: str = "", **fields) -> IndexDocument:
    """An asset with plain defaults, uploaded `asset_id` days after 2024-01-01."""
    values = {
        "description": "",
        "filename": f"asset-{asset_id}.pdf",
        "tags": [],
        "products": [],
        "industries": [],
        "stages": [],
        "content_type": None,
        "status": "published",
        "sort_date": datetime(2024, 1, 1) + timedelta(days=asset_id),
        "expires_on": None,
    }
    values.update(fields)
    return IndexDocument(asset_id=asset_id, title=title, body=body, **values)


DOCS = [
    make(
        1,
        "Acme pricing tiers",
        "Pricing tiers for enterprise customers: starter, growth and "
        "enterprise. See the price list.",
        products=[1],
        industries=[BANKING],
        stages=[PROPOSAL],
        content_type=DECK,
        tags=["Pricing", "Case Study"],
    ),
    make(
        2,
        "Salesforce integration guide",
        "How our integrations with Salesforce and HubSpot sync contacts.",
        products=[2],
        industries=[RETAIL],
        stages=[DISCOVERY],
        content_type=WHITEPAPER,
        tags=["integration"],
    ),
    make(
        3,
        "Healthcare case study",
        "A hospital cut reporting time in half with our analytics platform. Pricing was simple.",
        products=[1, 3],
        industries=[HEALTHCARE],
        stages=[CLOSING],
        content_type=CASE_STUDY,
        tags=["case study", "Healthcare"],
    ),
    make(
        4,
        "Banking battlecard",
        "Win against Globex in banking deals: security and compliance answers.",
        products=[3],
        industries=[BANKING],
        stages=[PROPOSAL],
        content_type=BATTLECARD,
        tags=["Battlecard"],
    ),
    make(
        5,
        "Retail onboarding deck",
        "Onboarding retail customers in thirty days.",
        products=[2],
        industries=[RETAIL],
        stages=[CLOSING],
        content_type=DECK,
    ),
    make(
        6,
        "Project Falcon launch plan",
        "Falcon roadmap and pricing, not for customers yet.",
        products=[1],
        status="draft",
    ),
    make(7, "Old price sheet", "The retired price list.", products=[1], status="archived"),
    make(
        8,
        "Security whitepaper",
        "Encryption, compliance, audit logs and security controls.",
        products=[3],
        industries=[BANKING, HEALTHCARE],
        content_type=WHITEPAPER,
    ),
    make(
        9,
        "Manufacturing ROI calculator",
        "Estimate the return on investment of automation.",
        products=[2],
        stages=[PROPOSAL],
        content_type=DECK,
        expires_on=EXPIRY,
    ),
    make(
        10,
        "Enterprise migration playbook",
        "Move from legacy systems; the price of a migration and its timeline.",
        products=[2, 3],
        stages=[DISCOVERY],
        content_type=DECK,
        filename="enterprise_migration-runbook_v2.pptx",
    ),
    make(
        11,
        "Analytics dashboard demo",
        "Dashboards for retail and healthcare teams.",
        products=[3],
        industries=[RETAIL, HEALTHCARE],
        content_type=DECK,
        sort_date=datetime(2024, 1, 13, 0, 0),  # naive, so UTC
    ),
    make(
        12,
        "Competitor overview",
        "Globex and Initech compared feature by feature.",
        products=[1],
        content_type=BATTLECARD,
        tags=["Battlecard"],
        # Later by the wall clock, but 2024-01-12 23:00 in UTC: older than 11.
        sort_date=datetime(2024, 1, 13, 1, 0, tzinfo=timezone(timedelta(hours=2))),
    ),
]
PUBLISHED = {d.asset_id for d in DOCS if d.status == "published"}


@pytest.fixture
def index(tmp_path: Path):
    search_index = SearchIndex(tmp_path / "index")
    search_index.ensure_exists()
    search_index.apply(DOCS)
    yield search_index
    search_index.close()


def ids(result) -> list[int]:
    return [hit.asset_id for hit in result.hits]


def search(index: SearchIndex, text: str = "", **kwargs):
    return index.search(SearchQuery(text=text, per_page=50, **kwargs))


# Matching and ranking


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pricing", {1, 3, 10}),
        ("prices", {1, 3, 10}),
        ("priced", {1, 3, 10}),
        ("integration", {2}),
        ("integrations", {2}),
        ("hospitals", {3}),
        ("runbook", {10}),  # only in the filename: underscores and dashes split words
        ("CASE STUDY", {1, 3}),
    ],
)
def test_word_forms_match_through_stemming(index, text, expected):
    assert set(ids(search(index, text))) == expected


def test_title_weighs_more_than_body(index):
    # "Pricing" is in doc 1's title and tags, only in the bodies of 3 and 10.
    assert ids(search(index, "pricing"))[0] == 1


def test_a_sentence_finds_documents_holding_most_of_its_words_first(index):
    result = search(index, "enterprise pricing for healthcare hospitals")
    # 3 holds pricing, healthcare, hospital; 1 and 10 hold two of the words; 11 one.
    assert ids(result)[0] == 3
    assert set(ids(result)[1:3]) == {1, 10}
    assert ids(result)[3:] == [11]
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)


def test_two_words_put_files_holding_both_first(index):
    # 8 has "security" in its title and body; 4 holds both words, if only in its text.
    assert ids(search(index, "security banking"))[0] == 4
    assert ids(search(index, "security"))[0] == 8


@pytest.fixture
def scored(tmp_path: Path):
    """A library where some words are everywhere and others in one file only."""
    common = "customer report for the team, a customer report"
    docs = [make(n, f"Quarterly update {n}", f"{common} number {n}.") for n in range(1, 17)]
    docs += [
        make(20, "Fleet notes", "Zeppelin fleet: notes on heat shields and transfer costs."),
        make(21, "Fleet notes", "Our fleet: notes on heat transfer in the hangar, in detail."),
        make(22, "Zeppelin financing", "Terms and rates for buyers, explained at length."),
        make(23, "Buyer terms", "Terms and rates for buyers, with one zeppelin example."),
    ]
    search_index = SearchIndex(tmp_path / "scored")
    search_index.ensure_exists()
    search_index.apply(docs)
    yield search_index
    search_index.close()


def test_in_a_sentence_a_rare_word_outweighs_common_ones(scored):
    # Files 1-16 hold "customer", "report" and "team"; only 20, 22 and 23 hold "zeppelin".
    result = search(scored, "zeppelin customer report team")
    assert set(ids(result)[:3]) == {20, 22, 23}
    assert set(ids(result)[3:]) == set(range(1, 17))


def test_a_title_match_outranks_a_body_match(scored):
    assert ids(search(scored, "zeppelin financing terms"))[0] == 22
    assert ids(search(scored, "zeppelin"))[0] == 22


def test_words_side_by_side_rank_above_the_same_words_apart(scored):
    assert ids(search(scored, "heat transfer"))[:2] == [21, 20]


def test_question_words_are_left_out_unless_nothing_else_is_asked(index):
    assert ids(search(index, "what is there about pricing?")) == ids(search(index, "pricing"))
    assert "what" not in search(index, "what pricing").query_terms
    assert search(index, "what about").query_terms == ["what", "about"]


def test_stop_words_do_not_hurt(index):
    assert ids(search(index, "the pricing of the")) == ids(search(index, "pricing"))
    assert ids(search(index, "return on investment")) == [9]


def test_quoted_phrase_matches_the_words_in_that_order(index):
    assert ids(search(index, '"price list"')) == [1]
    assert ids(search(index, '"list price"')) == []
    # Beside other words a phrase is one more thing to hold, not a requirement.
    assert ids(search(index, 'onboarding "list price"')) == [5]


@pytest.mark.parametrize(
    ("text", "found", "suggestion", "correction"),
    [
        ("pricng", 1, "pricing", "pricing"),
        ("integratoin", 2, "integration", "integration"),
        ("pricng tiers", 1, "pricing tiers", "pricing"),
        ("Salesforse Integration", 2, "Salesforce Integration", "salesforce"),
        ('"price list" for hospitl', 3, '"price list" for hospital', "hospital"),
    ],
)
def test_one_typo_still_finds_the_document(index, text, found, suggestion, correction):
    result = search(index, text)
    assert found in ids(result)
    assert result.suggestion == suggestion
    assert correction in result.query_terms


@pytest.mark.parametrize("text", ["pricing tiers", "globex", "hubspot sync", "", "zz"])
def test_no_suggestion_for_words_in_the_index(index, text):
    assert search(index, text).suggestion is None


def test_suggestions_never_reveal_words_only_drafts_hold(index):
    assert search(index, "falcon").total == 0
    hidden = search(index, "falcn")
    assert (hidden.total, hidden.suggestion) == (0, None)
    allowed = search(index, "falcn", statuses=("published", "draft"))
    assert (ids(allowed), allowed.suggestion) == ([6], "falcon")


@pytest.mark.parametrize(
    "text",
    [
        '"unbalanced quote',
        "AND OR NOT",
        "pricing AND",
        "title:",
        "title:pricing",
        "*",
        "pric*",
        "(",
        "((pricing)",
        '"',
        '""',
        "!@#$%^&*()_+-=[]{};':\",./<>?\\|`~",
        "x" * 2000,
        "pricing " * 300,
        " ".join(f"q{chr(97 + n % 26)}{chr(97 + n // 26 % 26)}zvx" for n in range(400)),
        "صفقة التسعير",
        "가격 정책 안내",
        "🚀📈 pricing 🙂",
        "\x00\n\t",
        "-pricing +tiers ~fuzzy^3 [a TO z]",
    ],
)
def test_arbitrary_input_never_raises(index, text):
    result = search(index, text)
    assert set(ids(result)) <= PUBLISHED
    assert result.total <= len(PUBLISHED)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status:draft", set()),
        ("status:draft OR status:archived", set()),
        ("falcon status:draft", set()),  # not the draft that says falcon (6)
        ("pricing status:draft", {1, 3, 10}),  # the words still search, the draft (6) stays out
        ("status:archived price", {1, 3, 10}),  # not the archived price sheet (7)
        ("*:*", PUBLISHED),
    ],
)
def test_query_syntax_cannot_reach_the_visibility_fields(index, text, expected):
    assert set(ids(search(index, text))) == expected


def test_words_without_letters_list_everything(index):
    assert search(index, "🙂 ?").total == search(index, "").total == len(PUBLISHED)


# Filters


def test_statuses_choose_what_is_visible(index):
    assert set(ids(search(index))) == PUBLISHED
    assert ids(search(index, "price", statuses=("archived",))) == [7]
    assert set(ids(search(index, "pricing", statuses=("published", "draft")))) == {1, 3, 6, 10}


def test_an_asset_is_visible_on_its_expiry_day_and_gone_the_day_after(index):
    assert 9 in ids(search(index, "investment", today=EXPIRY))
    assert 9 not in ids(search(index, "investment", today=EXPIRY + timedelta(days=1)))
    late = search(index, "investment", today=EXPIRY + timedelta(days=1), include_expired=True)
    assert ids(late) == [9]


def test_facet_filters_or_within_a_facet_and_across_facets(index):
    assert set(ids(search(index, filters={"product": [1, 2]}))) == {1, 2, 3, 5, 9, 10, 12}
    both = search(index, filters={"product": [1, 2], "industry": [BANKING, HEALTHCARE]})
    assert set(ids(both)) == {1, 3}
    assert set(ids(search(index, filters={"content_type": [DECK], "stage": [DISCOVERY]}))) == {10}
    assert ids(search(index, "pricing", filters={"industry": [RETAIL]})) == []


def test_tag_filter_ignores_case(index):
    assert set(ids(search(index, filters={"tag": ["CASE study"]}))) == {1, 3}
    assert set(ids(search(index, filters={"tag": ["battlecard", "nothing"]}))) == {4, 12}


def test_filters_with_unknown_ids_match_nothing_and_unknown_keys_fail(index):
    assert search(index, filters={"product": ["abc", 999]}).total == 0
    assert search(index, filters={"product": []}).total == len(PUBLISHED)
    with pytest.raises(ValueError, match="Unknown filter"):
        search(index, filters={"status": ["draft"]})


def expected_facets(text_matches: set[int], filters: dict[str, list[int]]) -> dict:
    """Brute force: each facet counted with every filter but its own."""
    attribute = {"product": "products", "industry": "industries", "stage": "stages"}

    def values(doc: IndexDocument, name: str) -> list[int]:
        if name == "content_type":
            return [] if doc.content_type is None else [doc.content_type]
        return getattr(doc, attribute[name])

    facets = {}
    for name in FACET_FIELDS:
        counts: dict[int, int] = {}
        for doc in DOCS:
            if doc.asset_id not in text_matches:
                continue
            if all(set(values(doc, k)) & set(v) for k, v in filters.items() if k != name):
                for value in values(doc, name):
                    counts[value] = counts.get(value, 0) + 1
        facets[name] = counts
    return facets


@pytest.mark.parametrize(
    ("text", "filters"),
    [
        ("", {}),
        ("", {"product": [1]}),
        ("", {"product": [1, 3], "industry": [HEALTHCARE]}),
        ("pricing customers", {"stage": [PROPOSAL, CLOSING]}),
        ("globex security", {"content_type": [BATTLECARD], "product": [3]}),
    ],
)
def test_facet_counts_apply_the_other_facets_filters_but_not_their_own(index, text, filters):
    matches = set(ids(search(index, text)))
    result = search(index, text, filters=filters)
    assert result.facets == expected_facets(matches, filters)
    assert all(count > 0 for counts in result.facets.values() for count in counts.values())


def test_facets_can_be_skipped(index):
    assert search(index, with_facets=False).facets == {}


# Order and pages


def newest_first(asset_ids: set[int]) -> list[int]:
    def utc(doc: IndexDocument) -> datetime:
        moment = doc.sort_date
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)

    return [d.asset_id for d in sorted(DOCS, key=utc, reverse=True) if d.asset_id in asset_ids]


def test_empty_query_lists_every_visible_asset_newest_first_with_facets(index):
    result = search(index, "", sort="relevance")
    assert ids(result) == newest_first(PUBLISHED)
    assert ids(result)[:2] == [11, 12]  # aware datetimes are compared in UTC
    assert all(hit.score is None for hit in result.hits)
    assert result.facets["product"] == {1: 3, 2: 4, 3: 5}


def test_newest_sorts_matches_by_upload_date(index):
    result = search(index, "pricing price", sort="newest")
    assert ids(result) == newest_first({1, 3, 10})


def test_popular_sorts_by_downloads_then_newest(index):
    popularity = {4: 10, 2: 10, 1: 3}
    result = search(index, "", sort="popular", popularity=popularity)
    assert ids(result)[:3] == [4, 2, 1]
    assert ids(result)[3:] == newest_first(PUBLISHED - {1, 2, 4})


def test_unknown_sort_fails(index):
    with pytest.raises(ValueError, match="Unknown sort"):
        search(index, sort="random")


@pytest.mark.parametrize("text", ["", "pricing customers security"])
def test_pages_are_exact_and_a_page_past_the_end_is_empty(index, text):
    everything = ids(search(index, text))
    pages = [index.search(SearchQuery(text=text, page=n, per_page=3)) for n in range(1, 6)]
    assert all(page.total == len(everything) for page in pages)
    assert [i for page in pages for i in ids(page)] == everything
    assert pages[-1].hits == []


# Writing


def test_upsert_replaces_the_previous_version(index):
    index.apply([make(1, "Zebra pricing", "New body about pricing.", products=[2])])
    assert ids(search(index, "zebra")) == [1]
    assert ids(search(index, "tiers")) == []
    hits = ids(search(index, "pricing"))
    assert len(hits) == len(set(hits)) and 1 in hits
    assert search(index).total == len(PUBLISHED)
    assert search(index).facets["product"][2] == 5


def test_the_same_asset_twice_in_one_apply_keeps_the_last(index):
    index.apply([make(13, "First"), make(13, "Second")])
    assert ids(search(index, "second")) == [13]
    assert ids(search(index, "first")) == []


def test_delete_removes_and_wins_over_an_upsert(index):
    index.apply([make(5, "Retail onboarding deck v2")], deletes=[2, 5, 999])
    assert ids(search(index, "salesforce")) == []
    assert ids(search(index, "onboarding")) == []
    assert index.asset_ids() == {d.asset_id for d in DOCS} - {2, 5}


def test_asset_ids_lists_every_status(index):
    assert index.asset_ids() == {d.asset_id for d in DOCS}
    elsewhere = SearchIndex(index.root.parent / "elsewhere")
    assert elsewhere.asset_ids() == set()  # reading creates an empty index if there is none
    elsewhere.close()


def test_a_writer_lock_held_elsewhere_raises_index_busy_in_time_and_writes_nothing(index):
    other_worker = SearchIndex(index.root)
    holding, release = threading.Event(), threading.Event()

    def slow_documents():
        holding.set()  # the lock is held while the documents are read
        release.wait(10)
        yield make(100, "Walrus notes")

    writer = threading.Thread(target=other_worker.apply, args=(slow_documents(),))
    writer.start()
    try:
        assert holding.wait(5)
        started = time.monotonic()
        with pytest.raises(IndexBusy, match="busy"):
            index.apply([make(101, "Narwhal notes")], timeout=0.3)
        assert 0.3 <= time.monotonic() - started < 2
    finally:
        release.set()
        writer.join()
        other_worker.close()
    assert 101 not in index.asset_ids() and 100 in index.asset_ids()
    index.apply([make(101, "Narwhal notes")], timeout=0.3)
    assert ids(search(index, "narwhal")) == [101]


def test_rebuild_swaps_generations_while_searchers_keep_working(index):
    other_worker = SearchIndex(index.root)
    assert ids(other_worker.search(SearchQuery("salesforce"))) == [2]
    before = (index.root / "CURRENT").read_text()
    at_swap, go_on = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def new_documents():
        yield make(2, "Salesforce integration guide, second edition")
        yield make(50, "Okapi field guide")
        at_swap.set()
        go_on.wait(10)

    def rebuild() -> None:
        try:
            assert index.rebuild(new_documents()) == 2
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    builder = threading.Thread(target=rebuild)
    builder.start()
    try:
        assert at_swap.wait(10)
        # Mid-rebuild: the old generation still answers, and writers are told to come back.
        assert ids(other_worker.search(SearchQuery("salesforce"))) == [2]
        assert other_worker.search(SearchQuery("okapi")).total == 0
        with pytest.raises(IndexBusy):
            other_worker.apply([make(60, "Lost update")], timeout=0.2)
    finally:
        go_on.set()
        builder.join()
    assert errors == []
    assert (index.root / "CURRENT").read_text() != before
    assert ids(other_worker.search(SearchQuery("okapi"))) == [50]
    assert other_worker.asset_ids() == index.asset_ids() == {2, 50}
    # The generation a slow searcher may still hold is kept; older ones are removed.
    index.rebuild([make(70, "Third generation")])
    index.rebuild([make(80, "Fourth generation")])
    assert len(list(index.root.glob("gen-*"))) == 2
    assert other_worker.asset_ids() == {80}
    other_worker.close()


def test_rebuild_rejects_duplicates_and_leaves_the_live_index_alone(index):
    with pytest.raises(ValueError, match="twice"):
        index.rebuild([make(1, "One"), make(1, "One again")])
    assert index.asset_ids() == {d.asset_id for d in DOCS}
    assert len(list(index.root.glob("gen-*"))) == 1


def test_a_lost_generation_folder_reads_as_empty_until_rebuilt(index):
    live = index.root / (index.root / "CURRENT").read_text().strip()
    index.close()
    shutil.rmtree(live)
    assert search(index, "pricing").total == 0
    assert index.rebuild(DOCS) == len(DOCS)
    assert set(ids(search(index, "pricing"))) == {1, 3, 10}


def test_term_names_are_searched_and_spelled(index):
    index.apply([make(90, "Quarterly memo", term_names=["Zephyr Suite", "Maritime logistics"])])
    assert ids(search(index, "zephyr")) == [90]
    assert ids(search(index, "maritime logistic")) == [90]
    assert search(index, "zephir").suggestion == "zephyr"
    index.apply([make(90, "Quarterly memo", term_names=["Zephyr Cloud"])])
    assert search(index, "maritime").total == 0


def test_an_index_older_than_a_field_takes_writes_until_rebuilt(tmp_path, monkeypatch, caplog):
    """An upgrade never breaks the library: the old index works on, and a rebuild adds the field."""
    from collateral.search_index import generations, schema

    def schema_before_term_names():
        fields = schema.new_schema()
        fields.remove("term_names")
        return fields

    monkeypatch.setattr(generations, "new_schema", schema_before_term_names)
    old = SearchIndex(tmp_path / "index")
    old.ensure_exists()
    monkeypatch.undo()
    assert old.missing_fields() == ["term_names"]
    document = make(1, "Pricing tiers", term_names=["Zephyr Suite"])
    with caplog.at_level("WARNING"):
        old.apply([document])
    assert "flask --app wsgi reindex" in caplog.text
    assert ids(search(old, "pricing")) == [1]
    assert search(old, "zephyr").total == 0
    assert old.rebuild([document]) == 1
    assert old.missing_fields() == []
    assert ids(search(old, "zephyr")) == [1]
    old.close()


def test_optimize_merges_segments_and_keeps_results(index):
    for n in range(3):
        index.apply([make(200 + n, f"Segment {n} walrus")])
    before = ids(search(index, "walrus pricing"))
    index.optimize()
    assert ids(search(index, "walrus pricing")) == before
    assert index.asset_ids() == {d.asset_id for d in DOCS} | {200, 201, 202}


def test_two_threads_search_at_once(index):
    queries = ["pricing", "globex security", "", "integratoin", "healthcare analytics"]
    expected = {q: ids(search(index, q)) for q in queries}
    failures: list[str] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(40):
            q = rng.choice(queries)
            got = ids(search(index, q))
            if got != expected[q]:
                failures.append(f"{q!r}: {got} != {expected[q]}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


# Highlights


PAGES = [
    ("slide 1", "Welcome to Acme."),
    ("slide 2", "Our pricing is <script>alert('x')</script> simple & fair: prices start low."),
    ("slide 3", "Priced per seat. " + "Filler words here. " * 40 + "The price, again."),
    (
        "slide 4",
        "Tiers and pricing: the tiers are starter and growth; pricing per tier, priced monthly.",
    ),
]


def test_highlight_marks_stemmed_words_and_escapes_the_page(index):
    result = dict(index.highlight_pages(PAGES, "pricing"))
    assert list(result) == ["slide 4", "slide 2", "slide 3"]
    assert (
        "<mark>pricing</mark>" in result["slide 2"] and "<mark>prices</mark>" in result["slide 2"]
    )
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in result["slide 2"]
    assert "<script>" not in result["slide 2"] and "&amp;" in result["slide 2"]
    assert result["slide 3"].startswith("<mark>Priced</mark>")


def test_highlight_ranks_pages_holding_more_of_the_words_first(index):
    pages = index.highlight_pages(PAGES, "pricing tiers", max_pages=2)
    assert [where for where, _ in pages] == ["slide 4", "slide 2"]
    assert "<mark>Tiers</mark>" in pages[0][1] and "<mark>tier</mark>" in pages[0][1]


def test_highlight_snippet_is_about_200_characters_around_the_match(index):
    page = "Opening words. " * 30 + "The pricing section. " + "Closing words. " * 30
    [(where, snippet)] = index.highlight_pages([("page 9", page)], "pricing")
    text = snippet.replace("<mark>", "").replace("</mark>", "")
    assert where == "page 9" and "<mark>pricing</mark>" in snippet
    assert 150 <= len(text) <= 210 and text.startswith("…") and text.endswith("…")


def test_highlight_applies_typo_corrections_and_returns_nothing_without_matches(index):
    assert [w for w, _ in index.highlight_pages(PAGES, "pricng")][0] == "slide 4"
    assert index.highlight_pages(PAGES, "zebra") == []
    assert index.highlight_pages(PAGES, "") == []
    assert index.highlight_pages([], "pricing") == []


def test_holding_the_writer_lock_makes_writers_elsewhere_wait_then_give_up(index):
    other_worker = SearchIndex(index.root)
    with index.holding_writer_lock(timeout=1.0):
        with pytest.raises(IndexBusy, match="busy"):
            other_worker.apply([make(101, "Narwhal notes")], timeout=0.2)
        with pytest.raises(IndexBusy, match="busy"):
            other_worker.holding_writer_lock(timeout=0.2).__enter__()
    other_worker.apply([make(101, "Narwhal notes")], timeout=0.2)  # released: writes go on
    assert ids(search(index, "narwhal")) == [101]
    other_worker.close()


# Whoosh's private block readers


def test_whoosh_block_readers_read_what_its_public_walk_reads(tmp_path):
    """Fails loudly, naming the pinned Whoosh, if an upgrade changes its private blocks."""
    ix = whoosh_index.create_in(str(tmp_path), new_schema())
    writer = ix.writer()
    # 400 documents hold "pricing" (several blocks of postings), one holds "walrus".
    for n in range(1, 501):
        body = "pricing " * (n % 3 + 1) if n % 5 else "security"
        writer.add_document(**document_fields(make(n, f"Deck {n}", body + (" walrus" * (n == 7)))))
    writer.commit()
    with ix.searcher() as searcher:
        reader = searcher.reader()
        (leaf, _), *_ = reader.leaf_readers()
        pricing, walrus = (t.text for t in searcher.schema["body"].analyzer("pricing walrus"))

        def public_walk() -> tuple[list[int], list[float]]:
            matcher = leaf.postings("body", pricing)
            ids, weights = [], []
            while matcher.is_active():
                ids.append(matcher.id())
                weights.append(matcher.weight())
                matcher.next()
            return ids, weights

        blocks = leaf.postings("body", pricing)
        whoosh_blocks.check_private_parts(blocks, leaf)
        assert whoosh_blocks.is_block_matcher(blocks), whoosh_blocks.WHOOSH_PIN
        expected_ids, expected_weights = public_walk()
        assert len(expected_ids) == 400 and max(expected_weights) == 3.0
        assert whoosh_blocks.drain(blocks) == (expected_ids, expected_weights), (
            f"whoosh_blocks.drain differs from Whoosh's public walk: written for "
            f"{whoosh_blocks.WHOOSH_PIN}"
        )
        found = whoosh_blocks.seek(seeking := leaf.postings("body", pricing), expected_ids[300])
        assert found and seeking.id() == expected_ids[300], whoosh_blocks.WHOOSH_PIN
        gap = next(d for d in range(expected_ids[300], 500) if d not in expected_ids)  # security
        after = next(d for d in expected_ids if d > gap)
        assert not whoosh_blocks.seek(seeking, gap) and seeking.is_active()
        assert whoosh_blocks.seek(seeking, after) and seeking.id() == after
        assert list(seeking.value_as("positions")) == list(
            range((after + 1) % 3 + 1)
        )  # asset n: doc n-1
        assert not whoosh_blocks.seek(seeking, 10_000) and not seeking.is_active()
        assert whoosh_blocks.drain(leaf.postings("body", walrus)) == ([6], [1.0])  # one posting
        column = whoosh_blocks.length_codes(leaf, "body")
        assert column is not None, f"no length column: written for {whoosh_blocks.WHOOSH_PIN}"
        assert [byte_to_length(column[d]) for d in range(5)] == [
            leaf.doc_field_length(d, "body") for d in range(5)
        ]
    ix.close()


def test_a_changed_whoosh_is_named_with_the_pin_to_go_back_to():
    class NotAMatcher:
        pass

    with pytest.raises(whoosh_blocks.WhooshChanged) as error:
        whoosh_blocks.check_private_parts(NotAMatcher(), object())
    message = str(error.value)
    assert "whoosh-reloaded==2.7.5" in message and "W3LeafMatcher._read_ids" in message
    assert "SegmentReader._perdoc" in message and "requirements.txt" in message
