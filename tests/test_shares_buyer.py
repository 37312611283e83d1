"""The buyer's side of a link: the page, its forms, images, downloads and headers; a buyer
reaches nothing but the shared assets."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from collateral.extensions import db
from collateral.models import Event, Notification, ShareVisit
from tests.conftest import run_jobs
from tests.factories import file_field, make_pdf, make_pptx, multipart
from tests.test_shares import make_share, token_of

PAGES = [f"Atlas pricing page {n}: tiers and discounts" for n in range(1, 4)]


@pytest.fixture
def deck(app, api) -> int:
    response = api.upload(make_pdf(PAGES), "atlas.pdf", title="Atlas pricing")
    assert response.status_code == 201, response.get_json()
    run_jobs(app)  # its page images, drawn by the background job
    return response.get_json()["id"]


@pytest.fixture
def slides(app, api) -> int:
    content = make_pptx([("Why Beacon", "Faster reports", ""), ("Proof", "Three customers", "")])
    response = api.upload(content, "beacon.pptx", title="Beacon deck")
    assert response.status_code == 201, response.get_json()
    run_jobs(app)
    return response.get_json()["id"]


@pytest.fixture
def other(app, api) -> int:
    response = api.upload(make_pdf(["Confidential other deck"]), "other.pdf", title="Other deck")
    run_jobs(app)
    return response.get_json()["id"]


def get(client, path: str, **kwargs):
    """A GET whose body is read whole and the file behind it let go of."""
    response = client.get(path, **kwargs)
    response.get_data()
    response.close()
    return response


def form_token(html: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_the_buyer_page_shows_every_page_in_order_and_nothing_of_the_library(
    app, api, client, deck, slides
):
    share = make_share(api, [deck, slides], title="Acme: pricing and proof")
    response = get(client, f"/s/{token_of(share)}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Acme: pricing and proof" in html and ">collateral<" in html
    images = re.findall(r'<img src="([^"]+)"[^>]*loading="(\w+)"', html)
    token = token_of(share)
    assert [src for src, _ in images[:3]] == [
        f"/s/{token}/assets/{deck}/pages/{n}" for n in (1, 2, 3)
    ]
    assert [how for _, how in images] == ["eager"] + ["lazy"] * (len(images) - 1)
    assert html.count("Download</a>") == 2
    assert "Search" not in html and "Sign out" not in html and "/api/" not in html
    assert "<script>" not in html and "/static/buyer.js" in html
    assert "Why Beacon" in html  # a deck without page images shows its slides' text


def test_headers_noindex_no_referrer_csp_and_never_the_session_cookie(app, api, client, deck):
    share = make_share(api, [deck])
    token = token_of(share)
    from tests.conftest import Browser

    Browser(client).login("rep")  # a signed-in rep opens their own link
    for path in (f"/s/{token}", f"/s/{token}/assets/{deck}/pages/1", "/s/" + "x" * 32):
        response = get(client, path)
        assert response.headers["X-Robots-Tag"].startswith("noindex")
        assert response.headers["Referrer-Policy"] == "no-referrer"
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        cookies = response.headers.getlist("Set-Cookie")
        assert not any(c.startswith("session=") for c in cookies), cookies
        assert not any(c.startswith("remember_token=") for c in cookies), cookies
    page = get(client, f"/s/{token}")
    (buyer,) = [c for c in page.headers.getlist("Set-Cookie") if c.startswith("collateral_buyer=")]
    assert f"Path=/s/{token}" in buyer and "HttpOnly" in buyer


def test_page_images_only_of_the_shared_assets(app, api, client, deck, other, slides):
    share = make_share(api, [deck, slides])
    token = token_of(share)
    image = get(client, f"/s/{token}/assets/{deck}/pages/2")
    assert image.status_code == 200 and image.mimetype == "image/webp"  # drawn by the job
    assert image.get_data()[:4] == b"RIFF" and image.get_data()[8:12] == b"WEBP"
    for slide in (1, 2):  # every slide of the deck has its image
        assert get(client, f"/s/{token}/assets/{slides}/pages/{slide}").status_code == 200
    for path in (
        f"/s/{token}/assets/{other}/pages/1",  # in the library, not in this link
        f"/s/{token}/assets/{deck}/pages/4",  # past the last page
        f"/s/{token}/assets/{deck}/pages/0",
        f"/s/{token}/assets/{slides}/pages/3",  # past the last slide
        f"/s/{token}/assets/{other}/download",
        f"/s/{token}/assets/999999/pages/1",
        f"/s/{token}/assets/{deck}/thumbnail.jpg",
        f"/s/{token}/assets/{deck}",
        f"/s/{token}/../../assets/{other}",
    ):
        response = get(client, path)
        assert response.status_code == 404, path
        assert b"Confidential" not in response.get_data()
    # Another link's token reaches only that link's assets.
    second = make_share(api, [other])
    assert get(client, f"/s/{token_of(second)}/assets/{deck}/pages/1").status_code == 404


def test_archived_assets_are_left_out_saying_so_and_new_versions_reach_the_link(
    app, api, client, deck, other
):
    share = make_share(api, [deck, other])
    token = token_of(share)
    assert api.post(f"/api/v1/assets/{other}/archive").status_code == 200
    html = get(client, f"/s/{token}").get_data(as_text=True)
    assert "Other deck" not in html
    assert "1 document in this link is no longer available" in html
    assert get(client, f"/s/{token}/assets/{other}/pages/1").status_code == 404
    data = {"file": file_field(make_pdf(["Atlas pricing 2027", "More"]), "atlas-2027.pdf")}
    response = api.post(f"/api/v1/assets/{deck}/versions", **multipart(data))
    assert response.status_code == 201
    run_jobs(app)  # the new version's page images
    html = get(client, f"/s/{token}").get_data(as_text=True)
    assert f"/s/{token}/assets/{deck}/pages/2" in html
    assert f"/s/{token}/assets/{deck}/pages/3" not in html  # the new version has two pages
    download = get(client, f"/s/{token}/assets/{deck}/download")
    assert "atlas-2027.pdf" in download.headers["Content-Disposition"]


def test_download_is_an_attachment_audited_and_counted(app, api, client, deck):
    share = make_share(api, [deck])
    token = token_of(share)
    get(client, f"/s/{token}")
    response = get(client, f"/s/{token}/assets/{deck}/download")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data()[:4] == b"%PDF"
    body = api.get(f"/api/v1/shares/{share['id']}", role="rep").get_json()
    assert body["totals"]["downloads"] == 1 and body["visits"][0]["downloads"] == 1
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.type == "share_download"))
        assert event.asset_id == deck and event.detail["share"] == share["id"]
    closed = make_share(api, [deck], allow_download=False)
    html = get(client, f"/s/{token_of(closed)}").get_data(as_text=True)
    assert "Download</a>" not in html
    assert get(client, f"/s/{token_of(closed)}/assets/{deck}/download").status_code == 404


def test_passcode_form_first_then_the_page(app, api, client, deck):
    share = make_share(api, [deck], passcode="open sesame")
    token = token_of(share)
    first = get(client, f"/s/{token}")
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and 'name="passcode"' in html and "/pages/1" not in html
    assert get(client, f"/s/{token}/assets/{deck}/pages/1").status_code == 403
    assert get(client, f"/s/{token}/assets/{deck}/download").status_code == 403
    no_token = client.post(f"/s/{token}", data={"passcode": "open sesame"})
    assert no_token.status_code == 400
    wrong = client.post(f"/s/{token}", data={"passcode": "nope", "form_token": form_token(html)})
    assert wrong.status_code == 401 and "not right" in wrong.get_data(as_text=True)
    right = client.post(
        f"/s/{token}", data={"passcode": "open sesame", "form_token": form_token(html)}
    )
    assert right.status_code == 303
    assert "/pages/1" in get(client, f"/s/{token}").get_data(as_text=True)
    # A new passcode asks again.
    api.patch(f"/api/v1/shares/{share['id']}", role="rep", json={"passcode": "new secret"})
    assert 'name="passcode"' in get(client, f"/s/{token}").get_data(as_text=True)


def test_wrong_passcodes_are_limited_per_link_with_the_wait(app, api, client, deck):
    share = make_share(api, [deck], passcode="open sesame")
    token = token_of(share)
    html = get(client, f"/s/{token}").get_data(as_text=True)
    data = {"passcode": "guess", "form_token": form_token(html)}
    for _ in range(5):
        assert client.post(f"/s/{token}", data=data).status_code == 401
    limited = client.post(f"/s/{token}", data={**data, "passcode": "open sesame"})
    assert limited.status_code == 429
    wait = int(limited.headers["Retry-After"])
    assert 0 < wait <= 60
    assert f"Wait {wait} seconds" in limited.get_data(as_text=True)
    # Per link: the same buyer from another address is still refused on this link...
    other = client.post(f"/s/{token}", data=data, environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert other.status_code == 429
    # ...while another link is not affected.
    second = make_share(api, [deck], passcode="open sesame")
    html = get(client, f"/s/{token_of(second)}").get_data(as_text=True)
    data2 = {"passcode": "guess", "form_token": form_token(html)}
    assert client.post(f"/s/{token_of(second)}", data=data2).status_code == 401


def test_wrong_passcodes_are_limited_per_address_across_links(app, api, client, deck):
    app.config["SHARE_PASSCODE_LIMIT"] = "100 per minute"
    app.config["SHARE_PASSCODE_ADDRESS_LIMIT"] = "3 per minute"
    links = [token_of(make_share(api, [deck], passcode="open sesame")) for _ in range(2)]
    statuses = []
    for n in range(4):
        token = links[n % 2]
        html = get(client, f"/s/{token}").get_data(as_text=True)
        data = {"passcode": "guess", "form_token": form_token(html)}
        statuses.append(client.post(f"/s/{token}", data=data).status_code)
    assert statuses == [401, 401, 401, 429]


def test_email_form_and_the_visit_keeps_the_email(app, api, client, deck):
    share = make_share(api, [deck], require_email=True)
    token = token_of(share)
    html = get(client, f"/s/{token}").get_data(as_text=True)
    assert 'name="email"' in html
    bad = client.post(f"/s/{token}", data={"email": "nope", "form_token": form_token(html)})
    assert bad.status_code == 400
    good = client.post(
        f"/s/{token}", data={"email": "cfo@acme.example", "form_token": form_token(html)}
    )
    assert good.status_code == 303
    assert get(client, f"/s/{token}").status_code == 200
    visits = api.get(f"/api/v1/shares/{share['id']}", role="rep").get_json()["visits"]
    assert [v["email"] for v in visits] == ["cfo@acme.example"]


def test_a_visit_tells_the_sender_once_and_reloads_are_one_visit(app, api, client, deck):
    share = make_share(api, [deck], title="For Acme")
    token = token_of(share)
    for _ in range(3):
        assert get(client, f"/s/{token}").status_code == 200
    body = api.get(f"/api/v1/shares/{share['id']}", role="rep").get_json()
    assert body["totals"]["visits"] == 1 and body["totals"]["visitors"] == 1
    assert body["totals"]["last_visit_at"] is not None
    other_browser = app.test_client()
    get(other_browser, f"/s/{token}")
    body = api.get(f"/api/v1/shares/{share['id']}", role="rep").get_json()
    assert body["totals"]["visits"] == 2 and body["totals"]["visitors"] == 2
    notes = api.get("/api/v1/notifications", role="rep").get_json()
    assert notes["unread"] == 2
    assert notes["results"][0]["type"] == "share_opened"
    assert notes["results"][0]["share"] == share["id"]
    assert "For Acme" in notes["results"][0]["message"]
    assert "Atlas pricing" in notes["results"][0]["message"]
    assert api.get("/api/v1/notifications", role="marketer").get_json()["unread"] == 0
    read = api.post("/api/v1/notifications/read", role="rep", json={"all": True})
    assert read.status_code == 204
    assert api.get("/api/v1/notifications", role="rep").get_json()["unread"] == 0
    with app.app_context():
        assert db.session.query(Notification).count() == 2
        assert db.session.query(ShareVisit).count() == 2
        events = db.session.scalars(select(Event).where(Event.type == "share_visit")).all()
        assert len(events) == 2 and events[0].user_id is None


def test_bad_buyer_requests_are_clear_errors_never_500(api, client, deck):
    share = make_share(api, [deck])
    token = token_of(share)
    for path in ("/s/", "/s/%00", "/s/" + "a" * 500, f"/s/{token}/assets/x/pages/1"):
        response = get(client, path)
        assert response.status_code in (400, 404), (path, response.status_code)
    assert client.put(f"/s/{token}").status_code in (400, 405)
