"""Recommendations for the deal: ranked by fit, by what colleagues downloaded for deals with the
same terms, and by use; with reasons; only what a rep may send."""

import re

import pytest

from tests.factories import make_pdf


def upload(api, title, **fields) -> int:
    response = api.upload(make_pdf([f"{title} body"]), f"{title}.pdf", title=title, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def recommend(api, role="rep", **params):
    response = api.get("/api/v1/recommendations", role=role, query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def download_after_search(api, role, asset_id, times, **filters):
    """A colleague searches with the deal's filters and downloads from the results."""
    search_id = api.search(role=role, **filters)["search_id"]
    for _ in range(times):
        response = api.get(f"/api/v1/assets/{asset_id}/download?search={search_id}", role=role)
        assert response.status_code == 200


def test_order_follows_what_colleagues_downloaded_for_the_same_deal(api):
    quiet = upload(api, "Quiet healthcare deck", industries=["Healthcare"])
    popular = upload(api, "Popular healthcare deck", industries=["Healthcare"])
    some = upload(api, "Some healthcare deck", industries=["Healthcare"])
    retail = upload(api, "Retail deck", industries=["Retail"])
    draft = upload(api, "Draft healthcare deck", industries=["Healthcare"], status="draft")
    download_after_search(api, "manager", popular, 3, industry="Healthcare")
    download_after_search(api, "marketer", some, 1, industry="Healthcare")
    # Downloads for other deals count for less than those for this one.
    download_after_search(api, "manager", quiet, 1, industry="Retail")
    results = recommend(api, industry="Healthcare")
    assert [r["id"] for r in results] == [popular, some, quiet]
    assert retail not in [r["id"] for r in results] and draft not in [r["id"] for r in results]
    by_id = {r["id"]: r for r in results}
    assert by_id[popular]["reasons"][0] == "Healthcare"
    assert "downloaded 3 times this quarter for deals like this" in by_id[popular]["reasons"]
    assert "downloaded once this quarter for deals like this" in by_id[some]["reasons"]
    assert "downloaded once this quarter" in by_id[quiet]["reasons"]
    assert by_id[popular]["title"] == "Popular healthcare deck" and "download_url" in by_id[popular]
    # Usage turned around turns the order around.
    download_after_search(api, "admin", quiet, 6, industry="Healthcare")
    assert [r["id"] for r in recommend(api, industry="Healthcare")][0] == quiet


def test_a_better_fit_ranks_first_and_limit_cuts(api):
    industry_only = upload(api, "Healthcare overview", industries=["Healthcare"])
    both = upload(api, "Healthcare proposal", industries=["Healthcare"], stages=["Proposal"])
    download_after_search(api, "manager", industry_only, 2, industry="Healthcare")
    results = recommend(api, industry="Healthcare", stage="Proposal")
    assert [r["id"] for r in results] == [both, industry_only]
    assert results[0]["reasons"][:2] == ["Healthcare", "Proposal"]
    assert len(recommend(api, industry="Healthcare", limit="1")) == 1


def test_with_nothing_picked_every_published_asset_is_ranked_by_use(api):
    first = upload(api, "First")
    second = upload(api, "Second")
    download_after_search(api, "manager", first, 2)
    assert [r["id"] for r in recommend(api)] == [first, second]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"industry": "Atlantis"}, "not in the taxonomy"),
        ({"limit": "0"}, "limit"),
        ({"limit": "500"}, "limit"),
    ],
)
def test_bad_parameters_are_a_400_that_says_why(api, params, words):
    response = api.get("/api/v1/recommendations", query_string=params)
    assert response.status_code == 400 and words in response.get_json()["error"]["message"]


def test_the_home_page_remembers_the_deal_and_shows_what_fits(api, browser):
    upload(api, "Healthcare proposal", industries=["Healthcare"], stages=["Proposal"])
    upload(api, "Retail deck", industries=["Retail"])
    browser.login("rep")
    response = browser.post("/deal", {"industry": "Healthcare", "stage": "Proposal"})
    assert response.status_code == 303
    home = browser.client.get("/").get_data(as_text=True)
    deal = home.split('id="deal-heading"')[1].split("</section>")[0]
    assert "Healthcare proposal" in deal and "Retail deck" not in deal
    assert "Healthcare · Proposal" in deal
    assert '<option value="Healthcare" selected>' in deal
    bad = browser.post("/deal", {"industry": "Atlantis"})
    assert bad.status_code == 400 and "not in the taxonomy" in bad.get_data(as_text=True)


def test_how_long_buyers_read_raises_an_asset_and_says_so(app, api, client):
    from tests.test_shares import make_share, token_of
    from tests.test_shares_beacons import age_visit, send

    long_read = upload(api, "Long read deck", industries=["Healthcare"])
    skimmed = upload(api, "Skimmed deck", industries=["Healthcare"])
    unread = upload(api, "Unread deck", industries=["Healthcare"])  # the freshest of the three
    share = make_share(api, [long_read, skimmed])
    token = token_of(share)
    for minutes in (4, 6):  # two buyers' visits: 5 minutes on average on the long read
        buyer = app.test_client()
        html = buyer.get(f"/s/{token}").get_data(as_text=True)
        visit = int(re.search(r'data-visit="(\d+)"', html).group(1))
        key = re.search(r'data-key="([^"]+)"', html).group(1)
        age_visit(app, visit, 900)
        pages = [
            {"asset": long_read, "page": 1, "seconds": minutes * 60},
            {"asset": skimmed, "page": 1, "seconds": 20},
        ]
        response = send(buyer, token, {"visit": visit, "key": key, "pages": pages})
        assert response.get_json()["accepted"] == minutes * 60 + 20
    results = recommend(api, industry="Healthcare")
    assert [r["id"] for r in results] == [long_read, skimmed, unread]
    by_id = {r["id"]: r for r in results}
    assert by_id[long_read]["reasons"][:2] == ["Healthcare", "buyers read 5 min on average"]
    assert by_id[skimmed]["reasons"][:2] == ["Healthcare", "buyers read 20 s on average"]
    assert not any(r.startswith("buyers read") for r in by_id[unread]["reasons"])
