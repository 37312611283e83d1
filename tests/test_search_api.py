"""Search as reps type it: sentences, word forms, typos, facets, paging, sorting."""

import pytest

from tests.factories import make_docx, make_pdf, make_pptx


@pytest.fixture
def library(api):
    """Five assets across products, industries and stages, uploaded through the API."""
    specs = [
        (
            "Atlas pricing sheet",
            make_pdf(
                [
                    "Atlas CRM pricing tiers for every team size",
                    "Volume discounts and annual billing",
                ]
            ),
            "a.pdf",
            {
                "products": ["Atlas CRM"],
                "industries": ["Retail"],
                "stages": ["Proposal"],
                "content_type": "Pricing",
            },
        ),
        (
            "Beacon integrations guide",
            make_docx(
                ["Beacon connects to Salesforce, HubSpot and Zendesk through native integrations"]
            ),
            "b.docx",
            {
                "products": ["Beacon Analytics"],
                "industries": ["Healthcare"],
                "stages": ["Demo"],
                "content_type": "Datasheet",
            },
        ),
        (
            "Cobalt security overview",
            make_pptx(
                [
                    ("Security", "SOC 2 Type II and HIPAA compliance", ""),
                    ("Encryption", "Data encrypted at rest", ""),
                ]
            ),
            "c.pptx",
            {
                "products": ["Cobalt Payments"],
                "industries": ["Healthcare", "Retail"],
                "stages": ["Discovery"],
                "content_type": "Presentation",
            },
        ),
        (
            "Atlas onboarding plan",
            make_docx(["A ninety day onboarding timeline with training for every rep"]),
            "d.docx",
            {
                "products": ["Atlas CRM"],
                "industries": ["Financial services"],
                "stages": ["Onboarding"],
                "content_type": "Proposal template",
            },
        ),
        (
            "Beacon case study",
            make_pdf(["How a retailer cut churn by 18 percent with Beacon dashboards"]),
            "e.pdf",
            {
                "products": ["Beacon Analytics"],
                "industries": ["Retail"],
                "stages": ["Discovery", "Proposal"],
                "content_type": "Case study",
            },
        ),
    ]
    ids = {}
    for title, content, filename, fields in specs:
        response = api.upload(content, filename, title=title, **fields)
        assert response.status_code == 201, response.get_json()
        ids[title] = response.get_json()["id"]
    return ids


def titles(body):
    return [r["title"] for r in body["results"]]


def test_a_sentence_finds_documents_with_most_of_its_words(api, library):
    body = api.search(q="which integrations do we have with salesforce and zendesk")
    assert titles(body)[0] == "Beacon integrations guide"


def test_word_forms_match(api, library):
    assert "Atlas pricing sheet" in titles(api.search(q="price"))
    assert "Beacon integrations guide" in titles(api.search(q="integration"))
    assert "Cobalt security overview" in titles(api.search(q="encrypting"))


def test_one_typo_still_finds_the_document_and_suggests(api, library):
    body = api.search(q="integratoins")
    assert titles(body)[0] == "Beacon integrations guide"
    assert body["suggestion"] == "integrations"


def test_correct_words_get_no_suggestion(api, library):
    assert api.search(q="onboarding")["suggestion"] is None


def test_empty_query_lists_everything_newest_first_with_facets(api, library):
    body = api.search()
    assert body["total"] == 5
    assert titles(body)[0] == "Beacon case study"  # uploaded last
    assert body["facets"]["product"] == {
        "Atlas CRM": 2,
        "Beacon Analytics": 2,
        "Cobalt Payments": 1,
    }
    assert body["facets"]["industry"]["Retail"] == 3


def test_facets_count_with_the_other_facets_applied(api, library):
    body = api.search(industry="Retail")
    assert body["total"] == 3
    # product counts respect the industry filter ...
    assert body["facets"]["product"] == {
        "Atlas CRM": 1,
        "Beacon Analytics": 1,
        "Cobalt Payments": 1,
    }
    # ... while industry counts ignore their own filter, so other choices stay visible
    assert body["facets"]["industry"]["Healthcare"] == 2


def test_or_within_a_facet_and_across_facets(api, library):
    assert api.search(product=["Atlas CRM", "Cobalt Payments"])["total"] == 3
    assert api.search(product=["Atlas CRM", "Cobalt Payments"], industry="Retail")["total"] == 2
    assert api.search(stage="Discovery", content_type="Case study")["total"] == 1


def test_unknown_facet_name_is_400(api, library):
    response = api.get("/api/v1/assets", query_string={"product": "Nope"})
    assert response.status_code == 400
    assert "Atlas CRM" in response.get_json()["error"]["message"]


def test_tags_filter(api, library):
    api.patch(f"/api/v1/assets/{library['Atlas pricing sheet']}", json={"tags": ["Q3-promo"]})
    assert titles(api.search(tag="q3-promo")) == ["Atlas pricing sheet"]


def test_pagination(api, library):
    first = api.search(per_page=2, page=1)
    second = api.search(per_page=2, page=2)
    third = api.search(per_page=2, page=3)
    assert first["total"] == second["total"] == 5
    seen = titles(first) + titles(second) + titles(third)
    assert len(seen) == 5 and len(set(seen)) == 5
    assert api.search(per_page=2, page=9)["results"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"per_page": 0},
        {"per_page": 101},
        {"page": 0},
        {"page": "x"},
        {"sort": "random"},
        {"q": "x" * 501},
    ],
)
def test_bad_parameters_are_400(api, params):
    response = api.get("/api/v1/assets", query_string=params)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_input"


def test_sort_newest_and_popular(api, library):
    assert titles(api.search(sort="newest"))[0] == "Beacon case study"
    target = library["Atlas onboarding plan"]
    for _ in range(3):
        api.get(f"/api/v1/assets/{target}/download")
    assert api.search(sort="popular")["results"][0]["id"] == target


def test_reps_cannot_filter_by_status(api, library):
    assert api.get("/api/v1/assets", query_string={"status": "draft"}).status_code == 403


def test_query_syntax_cannot_reveal_drafts(api, library):
    api.patch(f"/api/v1/assets/{library['Atlas onboarding plan']}", json={"status": "draft"})
    for q in ("status:draft", "onboarding status:draft", "status:(draft OR published)"):
        assert "Atlas onboarding plan" not in titles(api.search(q=q))


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced',
        "AND OR NOT",
        "title:",
        "*",
        "(",
        ")))",
        "حبيبي",
        "가격 정보",
        "🚀 pricing",
        "a" * 400,
        "-",
        "\\",
    ],
)
def test_any_input_gets_an_answer(api, library, q):
    response = api.get("/api/v1/assets", query_string={"q": q})
    assert response.status_code == 200


def test_search_is_audited_with_words_filters_and_count(api, library):
    api.search(q="pricing", product="Atlas CRM")
    events = api.get("/api/v1/events", role="manager", query_string={"type": "search"})
    detail = events.get_json()["events"][0]["detail"]
    assert detail["query"] == "pricing"
    assert detail["filters"] == {"product": ["Atlas CRM"]}
    assert detail["results"] == 1
