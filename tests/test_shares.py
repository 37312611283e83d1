"""Links to buyers through the API: the contract's shapes, who sees what, revoking, expiry."""

from __future__ import annotations

import hashlib
import inspect
import re
from datetime import timedelta

import jsonschema
import pytest

from collateral.api.openapi import openapi_document
from collateral.extensions import db
from collateral.models import Event, Share, utcnow
from collateral.services import share_access, shares
from tests.factories import make_pdf


def validate(body, schema_name: str) -> None:
    document = openapi_document()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


@pytest.fixture
def deck(api) -> int:
    pages = [f"Atlas pricing page {n}: tiers and discounts" for n in range(1, 4)]
    response = api.upload(make_pdf(pages), "atlas.pdf", title="Atlas pricing")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.fixture
def case_study(api) -> int:
    response = api.upload(b"Retail case study text", "case.txt", title="Retail case study")
    assert response.status_code == 201
    return response.get_json()["id"]


def make_share(api, assets, role="rep", **fields):
    response = api.post("/api/v1/shares", role=role, json={"assets": assets, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def token_of(share: dict) -> str:
    return share["url"].rsplit("/s/", 1)[1]


def test_create_returns_the_contract_shape(api, deck, case_study):
    body = make_share(
        api, [deck, case_study], title="Acme: security review", recipient="cfo@acme.example"
    )
    validate(body, "Share")
    assert body["title"] == "Acme: security review"
    assert [a["id"] for a in body["assets"]] == [deck, case_study]
    assert body["recipient"] == "cfo@acme.example"
    assert body["allow_download"] is True and body["require_email"] is False
    assert body["has_passcode"] is False and body["revoked_at"] is None
    assert body["created_by"] == "rep@example.com"
    assert body["totals"] == {
        "visits": 0,
        "visitors": 0,
        "seconds": 0.0,
        "downloads": 0,
        "last_visit_at": None,
    }
    assert re.fullmatch(r"http://localhost/s/[A-Za-z0-9_-]{32}", body["url"])
    # Default expiry: 30 days (COLLATERAL_SHARE_DAYS).
    expires = body["expires_at"]
    assert expires.startswith((utcnow() + timedelta(days=30)).date().isoformat())


def test_default_titles(api, deck, case_study):
    assert make_share(api, [deck])["title"] == "Atlas pricing"
    assert (
        make_share(api, [deck, case_study], recipient="a@b.example")["title"] == "For a@b.example"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"assets": []}, "assets"),
        ({"assets": "1"}, "assets"),
        ({"assets": [True]}, "assets"),
        ({"assets": [999999]}, "assets"),
        ({"assets": "DECK", "recipient": "not an email"}, "recipient"),
        ({"assets": "DECK", "expires_at": "2001-01-01"}, "expires_at"),
        ({"assets": "DECK", "expires_at": "next week"}, "expires_at"),
        ({"assets": "DECK", "passcode": "ab"}, "passcode"),
        ({"assets": "DECK", "allow_download": "maybe"}, "allow_download"),
        ({"assets": "DECK", "colour": "red"}, "colour"),
        ({"assets": "DECK", "title": "x" * 301}, "title"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, deck, body, field):
    body = {**body, "assets": [deck] if body["assets"] == "DECK" else body["assets"]}
    response = api.post("/api/v1/shares", role="rep", json=body)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["message"].startswith(field)


def test_assets_must_be_visible_to_the_sender(api, deck):
    draft = api.upload(b"Secret draft", "d.txt", title="Draft", status="draft").get_json()["id"]
    response = api.post("/api/v1/shares", role="rep", json={"assets": [draft]})
    assert response.status_code == 400
    assert f"no asset with id {draft}" in response.get_json()["error"]["message"]


def test_reps_see_their_own_managers_and_admins_all(api, deck):
    mine = make_share(api, [deck], role="rep")
    theirs = make_share(api, [deck], role="marketer")
    assert [s["id"] for s in api.get("/api/v1/shares", role="rep").get_json()["results"]] == [
        mine["id"]
    ]
    for role in ("manager", "admin"):
        ids = [s["id"] for s in api.get("/api/v1/shares", role=role).get_json()["results"]]
        assert set(ids) == {mine["id"], theirs["id"]}
        only = api.get("/api/v1/shares?user=rep@example.com", role=role).get_json()["results"]
        assert [s["id"] for s in only] == [mine["id"]]
    assert api.get("/api/v1/shares?user=marketer@example.com", role="rep").status_code == 403
    assert api.get(f"/api/v1/shares/{theirs['id']}", role="rep").status_code == 404
    assert api.get(f"/api/v1/shares/{theirs['id']}", role="manager").status_code == 200
    # Revoke: creator, manager, admin; change: creator and admin only.
    assert api.post(f"/api/v1/shares/{theirs['id']}/revoke", role="rep").status_code == 404
    assert api.patch(f"/api/v1/shares/{mine['id']}", role="manager", json={}).status_code == 403
    assert api.patch(f"/api/v1/shares/{mine['id']}", role="admin", json={}).status_code == 200
    assert api.post(f"/api/v1/shares/{mine['id']}/revoke", role="manager").status_code == 200


def test_patch_changes_what_the_contract_names(api, deck):
    share = make_share(api, [deck])
    response = api.patch(
        f"/api/v1/shares/{share['id']}",
        role="rep",
        json={
            "title": "New title",
            "expires_at": "2099-12-31",
            "allow_download": False,
            "require_email": True,
            "passcode": "open sesame",
        },
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    validate(body, "Share")
    assert body["title"] == "New title"
    assert body["expires_at"].startswith("2100-01-01T00:00:00")
    assert (body["allow_download"], body["require_email"], body["has_passcode"]) == (
        False,
        True,
        True,
    )
    assert body["visits"] == []
    cleared = api.patch(f"/api/v1/shares/{share['id']}", role="rep", json={"passcode": ""})
    assert cleared.get_json()["has_passcode"] is False
    bad = api.patch(f"/api/v1/shares/{share['id']}", role="rep", json={"assets": [deck]})
    assert bad.status_code == 400


def test_revoke_stops_the_link_at_once_and_is_audited(app, api, client, deck):
    share = make_share(api, [deck])
    token = token_of(share)
    assert client.get(f"/s/{token}").status_code == 200
    response = api.post(f"/api/v1/shares/{share['id']}/revoke", role="rep")
    assert response.status_code == 200
    assert response.get_json()["revoked_at"] is not None
    gone = client.get(f"/s/{token}")
    assert gone.status_code == 410
    assert "ask Rep for a new link" in gone.get_data(as_text=True).replace("Please a", "a")
    assert client.get(f"/s/{token}/assets/{deck}/pages/1").status_code == 410
    with app.app_context():
        types = [e.type for e in db.session.query(Event).order_by(Event.id)]
    assert "share_created" in types and "share_revoked" in types and "share_visit" in types


def test_an_expired_link_is_a_410(app, api, client, deck):
    share = make_share(api, [deck])
    with app.app_context():
        row = db.session.get(Share, share["id"])
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get(f"/s/{token_of(share)}").status_code == 410
    listed = api.get(f"/api/v1/shares/{share['id']}", role="rep").get_json()
    assert listed["state"] == "expired"


def test_tokens_carry_at_least_128_random_bits_and_are_compared_in_constant_time():
    tokens = {shares.new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    for token in list(tokens)[:50]:
        assert len(token) >= 22 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert shares.TOKEN_BYTES * 8 >= 128
    # Looked up by hash, then compared in constant time (hmac.compare_digest).
    source = inspect.getsource(share_access.open_link)
    assert "hmac.compare_digest" in source and "token_hash(" in source
    assert shares.token_hash("abc") == hashlib.sha256(b"abc").hexdigest()


def test_a_share_id_never_opens_anything_under_s(api, client, deck):
    share = make_share(api, [deck])
    for path in (
        f"/s/{share['id']}",
        f"/s/{share['id']}/assets/{deck}/pages/1",
        f"/s/{share['id']}/assets/{deck}/download",
    ):
        assert client.get(path).status_code == 404, path


def test_unknown_and_revoked_pages_differ_only_in_the_sentence(api, client, deck):
    share = make_share(api, [deck])
    api.post(f"/api/v1/shares/{share['id']}/revoke", role="rep")
    unknown = client.get("/s/" + "A" * 32)
    revoked = client.get(f"/s/{token_of(share)}")
    assert (unknown.status_code, revoked.status_code) == (404, 410)
    unknown_lines = unknown.get_data(as_text=True).splitlines()
    revoked_lines = revoked.get_data(as_text=True).splitlines()
    differing = [(a, b) for a, b in zip(unknown_lines, revoked_lines, strict=True) if a != b]
    assert len(differing) == 1, differing
    assert "ask Rep for a new link" in differing[0][1]
    assert dict(unknown.headers).keys() == dict(revoked.headers).keys()
