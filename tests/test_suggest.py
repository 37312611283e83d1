"""Search-box suggestions: titles, terms, tags and words, never from what the caller may not see."""

from tests.factories import make_pdf


def upload(api, title, **fields) -> int:
    response = api.upload(make_pdf([f"{title} body"]), f"{title}.pdf", title=title, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def suggest(api, q, role="rep"):
    response = api.get("/api/v1/suggest", role=role, query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["suggestions"]


def test_titles_terms_tags_and_words_that_start_with_what_was_typed(api):
    deck = upload(
        api, "Pricing playbook", description="Premium tiers explained", tags=["pricing-2026"]
    )
    found = suggest(api, "pri")
    assert {"text": "Pricing playbook", "kind": "title", "asset": deck} in found
    assert {"text": "pricing-2026", "kind": "tag", "asset": None} in found
    assert {"text": "Pricing", "kind": "term", "asset": None} in found  # a seeded content type
    assert {"text": "premium", "kind": "word", "asset": None} in suggest(api, "pre")
    assert {"text": "Healthcare", "kind": "term", "asset": None} in suggest(api, "hea")
    assert suggest(api, "p") == [] and suggest(api, "") == []
    # A title matches on any of its words, case ignored.
    assert [s["asset"] for s in suggest(api, "PLAY") if s["kind"] == "title"] == [deck]


def test_a_draft_never_leaks_to_a_rep(api):
    upload(api, "Public pricing")
    draft = upload(
        api,
        "Private pricing roadmap",
        status="draft",
        description="Secretive overhaul",
        tags=["prism-launch"],
    )
    archived = upload(api, "Pristine archive")
    assert api.post(f"/api/v1/assets/{archived}/archive").status_code == 200
    upload(api, "Prior expired deck", expires_at="2020-01-31")
    for q in ("pri", "private", "pricing r", "roadmap", "sec", "prism", "pristine", "prior"):
        texts = " ".join(s["text"] for s in suggest(api, q)).lower()
        for secret in ("private", "roadmap", "secretive", "prism", "pristine", "prior"):
            assert secret not in texts, (q, texts)
    # Those who see drafts are offered them.
    mine = suggest(api, "private", role="marketer")
    assert {"text": "Private pricing roadmap", "kind": "title", "asset": draft} in mine


def test_at_most_ten_and_wildcards_are_plain_letters(api):
    for n in range(14):
        upload(api, f"Proposal template {n}")
    assert len(suggest(api, "pro")) == 10
    assert suggest(api, "%%") == [] and suggest(api, "__") == []
    response = api.get("/api/v1/suggest", query_string={"q": "x" * 101})
    assert response.status_code == 400 and "at most 100" in response.get_json()["error"]["message"]


def test_suggestions_follow_a_change_at_once(api):
    deck = upload(api, "Quarterly pricing")
    assert [s["text"] for s in suggest(api, "quarterly")] == ["Quarterly pricing"]
    renamed = api.patch(f"/api/v1/assets/{deck}", json={"title": "Annual pricing"})
    assert renamed.status_code == 200
    assert suggest(api, "quarterly") == []
    assert api.post(f"/api/v1/assets/{deck}/archive").status_code == 200
    assert suggest(api, "annual") == []
    assert [s["text"] for s in suggest(api, "annual", role="marketer")] == ["Annual pricing"]
