"""Favourites (the star) and "recently used" on a rep's home page."""

from tests.factories import make_pdf


def upload(api, title, **fields) -> int:
    response = api.upload(make_pdf([f"{title} body"]), f"{title}.pdf", title=title, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def star(api, asset_id, on=True, role="rep"):
    method = api.client.put if on else api.client.delete
    return method(f"/api/v1/assets/{asset_id}/favourite", headers=api.headers(role))


def titles(api, role="rep"):
    response = api.get("/api/v1/favourites", role=role)
    assert response.status_code == 200
    return [a["title"] for a in response.get_json()["results"]]


def test_starring_twice_is_once_and_unstarring_removes(api):
    first, second = upload(api, "Atlas deck"), upload(api, "Beacon case")
    assert star(api, first).status_code == 204
    assert star(api, second).status_code == 204
    assert star(api, first).status_code == 204
    assert titles(api) == ["Beacon case", "Atlas deck"]
    assert titles(api, "manager") == []  # favourites are each user's own
    assert star(api, second, on=False).status_code == 204
    assert star(api, second, on=False).status_code == 204
    assert titles(api) == ["Atlas deck"]


def test_a_hidden_asset_cannot_be_starred_and_drops_out_when_hidden(api):
    draft = upload(api, "Secret draft", status="draft")
    response = star(api, draft)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    shown = upload(api, "Atlas deck")
    assert star(api, shown).status_code == 204
    assert api.post(f"/api/v1/assets/{shown}/archive").status_code == 200
    assert titles(api) == []
    assert star(api, 999999).status_code == 404


def test_the_star_form_works_without_script_and_the_home_lists_favourites_and_recent(api, browser):
    starred, viewed, other = (upload(api, t) for t in ("Atlas deck", "Beacon case", "Cobalt card"))
    browser.login("rep")
    response = browser.post(f"/assets/{starred}/favourite", {"starred": "1", "next": "/?q=atlas"})
    assert response.status_code == 303 and response.headers["Location"] == "/?q=atlas"
    assert titles(api) == ["Atlas deck"]
    assert browser.client.get(f"/assets/{viewed}").status_code == 200
    home = browser.client.get("/").get_data(as_text=True)
    favourites = home.split('id="favourites-heading"')[1].split("</section>")[0]
    recent = home.split('id="recent-heading"')[1].split("</section>")[0]
    assert "Atlas deck" in favourites and "Beacon case" not in favourites
    assert "Beacon case" in recent and "Cobalt card" not in recent
    # The star is drawn pressed on the asset's page and in results.
    page = browser.client.get(f"/assets/{starred}").get_data(as_text=True)
    assert 'aria-pressed="true"' in page
    bad = browser.post(f"/assets/{other}/favourite", {"starred": "maybe"})
    assert bad.status_code == 400 and "starred" in bad.get_data(as_text=True)
    # A query turns the home into a plain search page.
    searched = browser.client.get("/?q=atlas").get_data(as_text=True)
    assert 'id="favourites-heading"' not in searched


def test_sending_an_asset_in_a_link_counts_as_using_it(app, api):
    from collateral.services.accounts import find_user
    from collateral.services.favourites import recently_used

    viewed, shared, both = (upload(api, t) for t in ("Atlas deck", "Beacon case", "Cobalt card"))
    assert api.get(f"/api/v1/assets/{viewed}", role="rep").status_code == 200
    # One link to two assets: no single asset is audited, yet both were used.
    response = api.post("/api/v1/shares", role="rep", json={"assets": [shared, both]})
    assert response.status_code == 201
    assert api.post("/api/v1/shares", role="manager", json={"assets": [viewed]}).status_code == 201
    with app.app_context():
        recent = recently_used(find_user("rep@example.com"))
        assert {a.title for a in recent} == {"Atlas deck", "Beacon case", "Cobalt card"}
        assert recent[-1].title == "Atlas deck"  # viewed before the link was made
        assert [a.title for a in recently_used(find_user("manager@example.com"))] == ["Atlas deck"]
