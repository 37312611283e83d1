"""A collection shared as one link: the link follows the collection's current list."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_pdf
from tests.test_shares import token_of
from tests.test_shares_buyer import get


def upload(api, title, **fields) -> int:
    response = api.upload(make_pdf([f"{title} body"]), f"{title}.pdf", title=title, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.fixture
def decks(api) -> dict[str, int]:
    return {title: upload(api, title) for title in ("Atlas deck", "Beacon case", "Cobalt card")}


def collection(api, titles_ids, role="rep", **fields) -> int:
    body = {"title": "Acme kit", "assets": titles_ids, **fields}
    response = api.post("/api/v1/collections", role=role, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def share_collection(api, collection_id, role="rep", **fields):
    return api.post("/api/v1/shares", role=role, json={"collection": collection_id, **fields})


def buyer_titles(client, token) -> list[str]:
    html = get(client, f"/s/{token}").get_data(as_text=True)
    return [t for t in re.findall(r"<h2[^>]*>([^<]+)</h2>", html) if t.strip()]


def test_the_link_follows_the_collections_list(api, client, decks):
    atlas, beacon, cobalt = decks.values()
    kit = collection(api, [atlas, beacon])
    response = share_collection(api, kit, recipient="cfo@acme.example")
    assert response.status_code == 201, response.get_json()
    share = response.get_json()
    assert share["collection"] == kit and share["title"] == "Acme kit"
    assert [a["id"] for a in share["assets"]] == [atlas, beacon]
    token = token_of(share)
    assert buyer_titles(client, token) == ["Atlas deck", "Beacon case"]
    # Added, removed and reordered later: the open link shows the list as it is now.
    changed = api.patch(f"/api/v1/collections/{kit}", role="rep", json={"assets": [cobalt, atlas]})
    assert changed.status_code == 200
    assert buyer_titles(client, token) == ["Cobalt card", "Atlas deck"]
    assert get(client, f"/s/{token}/assets/{beacon}/download").status_code == 404
    assert get(client, f"/s/{token}/assets/{cobalt}/download").status_code == 200
    body = api.get(f"/api/v1/shares/{share['id']}", role="rep").get_json()
    assert [a["id"] for a in body["assets"]] == [cobalt, atlas]
    # A document archived since is left out, saying so.
    assert api.post(f"/api/v1/assets/{atlas}/archive").status_code == 200
    html = get(client, f"/s/{token}").get_data(as_text=True)
    assert "Atlas deck" not in html and "1 document in this link is no longer available" in html
    # A link to the same documents, not the collection, stays as it was made.
    fixed = api.post("/api/v1/shares", role="rep", json={"assets": [cobalt]}).get_json()
    api.patch(f"/api/v1/collections/{kit}", role="rep", json={"assets": [beacon]})
    assert buyer_titles(client, token) == ["Beacon case"]
    assert buyer_titles(client, token_of(fixed)) == ["Cobalt card"]


def test_a_revoked_link_no_longer_follows(api, client, decks):
    atlas, beacon, _ = decks.values()
    kit = collection(api, [atlas])
    share = share_collection(api, kit).get_json()
    assert api.post(f"/api/v1/shares/{share['id']}/revoke", role="rep").status_code == 200
    api.patch(f"/api/v1/collections/{kit}", role="rep", json={"assets": [beacon]})
    body = api.get(f"/api/v1/shares/{share['id']}", role="rep").get_json()
    assert [a["id"] for a in body["assets"]] == [atlas]


def test_only_who_may_see_the_collection_may_share_it(api, decks):
    atlas = decks["Atlas deck"]
    own = collection(api, [atlas])
    response = share_collection(api, own, role="manager")  # someone else's: unknown to them
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == f"collection: no collection with id {own}."
    featured = collection(api, [atlas], role="marketer", featured=True)
    assert share_collection(api, featured, role="manager").status_code == 201


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"collection": "kit"}, "collection: send a collection id."),
        ({"collection": True}, "collection: send a collection id."),
        ({"collection": 2**40}, "collection: send a collection id."),
        ({"collection": 999999}, "collection: no collection with id 999999."),
        ({"collection": "OWN", "assets": [1]}, "not both"),
    ],
)
def test_bad_collections_are_a_400_naming_the_field(api, decks, body, words):
    own = collection(api, [decks["Atlas deck"]])
    if body["collection"] == "OWN":
        body = {**body, "collection": own}
    response = api.post("/api/v1/shares", role="rep", json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["message"].startswith("collection: ") and words in error["message"]


def test_a_collection_buyers_would_see_nothing_of_is_refused(api):
    draft = upload(api, "Secret draft", status="draft")
    kit = collection(api, [draft], role="marketer")
    response = share_collection(api, kit, role="marketer")
    assert response.status_code == 400
    assert "holds nothing buyers could see" in response.get_json()["error"]["message"]
    empty = collection(api, [], role="rep")
    assert share_collection(api, empty).status_code == 400


def test_the_collection_page_shares_it_as_one_link(api, browser, decks):
    kit = collection(api, list(decks.values()))
    browser.login("rep")
    page = browser.client.get(f"/collections/{kit}").get_data(as_text=True)
    assert f'href="/shares/new?collection={kit}"' in page and "Share as one link" in page
    form = browser.client.get(f"/shares/new?collection={kit}").get_data(as_text=True)
    assert "follows the collection as it changes" in form
    assert f'name="collection" value="{kit}"' in form
    response = browser.post(
        "/shares/new", {"collection": str(kit), "allow_download": "on"}, token_page="/shares/new"
    )
    assert response.status_code == 303
    share_id = int(response.headers["Location"].split("/shares/")[1].split("?")[0])
    body = browser.client.get(f"/api/v1/shares/{share_id}").get_json()
    assert body["collection"] == kit and len(body["assets"]) == 3
    assert browser.client.get("/shares/new?collection=999999").status_code == 404
