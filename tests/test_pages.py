"""The server-rendered pages: sign-in, search, asset, upload, edit, admin, profile."""

import pytest

from tests.conftest import csrf_token_from
from tests.factories import file_field, make_pptx


@pytest.fixture
def deck(api):
    content = make_pptx(
        [
            ("Welcome", "Atlas CRM overview", ""),
            ("Pricing", "Growth tier pricing <script>alert(1)</script>", ""),
        ]
    )
    response = api.upload(
        content,
        "atlas.pptx",
        title="Atlas <b>deck</b>",
        products=["Atlas CRM"],
        stages=["Demo"],
        content_type="Presentation",
    )
    return response.get_json()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/?q=pricing")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_sign_in_goes_to_next(client):
    page = client.get("/login?next=/account")
    token = csrf_token_from(page.get_data(as_text=True))
    ok = client.post(
        "/login",
        data={
            "email": "rep@example.com",
            "password": "correct horse battery",
            "next": "/account",
            "csrf_token": token,
        },
    )
    assert ok.status_code == 302 and ok.headers["Location"] == "/account"


def test_wrong_password_says_so_without_telling_which_part(browser):
    response = browser.login("rep", password="nope nope nope")
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(client, browser):
    browser.login("marketer")
    response = client.post("/upload", data={"title": "x"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert client.post("/login", data={"email": "a@b.c", "password": "x"}).status_code == 400


def test_logout_needs_post(client, browser):
    browser.login("rep")
    assert client.get("/logout").status_code == 405


def test_search_page_shows_results_facets_and_highlights(client, browser, deck):
    browser.login("rep")
    html = client.get("/?q=pricing").get_data(as_text=True)
    assert "Atlas &lt;b&gt;deck&lt;/b&gt;" in html  # titles are escaped
    assert "<mark>" in html and "slide 2" in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert 'name="product" value="Atlas CRM"' in html
    assert f"/assets/{deck['id']}/download" in html


def test_search_page_did_you_mean(client, browser, deck):
    browser.login("rep")
    html = client.get("/?q=pricng").get_data(as_text=True)
    assert "Did you mean" in html and "pricing" in html


def test_search_page_bad_parameter_is_a_400_page(client, browser):
    browser.login("rep")
    response = client.get("/?per_page=1000")
    assert response.status_code == 400
    assert "per_page" in response.get_data(as_text=True)


def test_asset_page_shows_metadata_versions_and_text_by_slide(client, browser, deck):
    browser.login("rep")
    html = client.get(f"/assets/{deck['id']}").get_data(as_text=True)
    assert "Atlas CRM" in html and "Presentation" in html
    assert "Slide 2" in html and "Growth tier pricing" in html
    assert "atlas.pptx" in html
    assert "Edit" not in html  # reps do not edit


def test_upload_page_round_trip(client, browser):
    browser.login("marketer")
    form = client.get("/upload").get_data(as_text=True)
    assert 'name="products"' in form and "Atlas CRM" in form
    response = client.post(
        "/upload",
        data={
            "csrf_token": csrf_token_from(form),
            "file": file_field(b"Walrus facts", "w.txt"),
            "title": "Walrus",
            "products": ["Atlas CRM"],
            "tags": "one, two",
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Uploaded and indexed" in page and "#one" in page and "#two" in page


def test_upload_page_error_keeps_the_form(client, browser):
    browser.login("marketer")
    form = client.get("/upload").get_data(as_text=True)
    response = client.post(
        "/upload",
        data={
            "csrf_token": csrf_token_from(form),
            "file": file_field(b"x", "clip.mp4"),
            "title": "Kept title",
        },
    )
    assert response.status_code == 415
    html = response.get_data(as_text=True)
    assert "Accepted" in html and 'value="Kept title"' in html


def test_edit_page_saves_and_reindexes(client, browser, api, deck):
    browser.login("marketer")
    form = client.get(f"/assets/{deck['id']}/edit").get_data(as_text=True)
    response = client.post(
        f"/assets/{deck['id']}/edit",
        data={
            "csrf_token": csrf_token_from(form),
            "title": "Atlas zeppelin deck",
            "products": ["Atlas CRM"],
            "status": "published",
        },
    )
    assert response.status_code == 302
    assert api.search(q="zeppelin")["results"][0]["id"] == deck["id"]


def test_admin_adds_a_user_and_a_term(client, browser, api):
    browser.login("admin")
    response = browser.post(
        "/admin/users",
        {
            "email": "nia@example.com",
            "role": "manager",
            "password": "a long password",
            "name": "Nia",
        },
    )
    assert response.status_code == 302
    assert "nia@example.com" in client.get("/admin/users").get_data(as_text=True)
    browser.post("/admin/taxonomy", {"kind": "industry", "name": "Education"})
    assert "Education" in api.get("/api/v1/taxonomy").get_json()["industries"]


def test_disabled_user_cannot_sign_in(client, browser, app):
    browser.login("admin")
    from collateral.services.accounts import find_user

    with app.app_context():
        rep_id = find_user("rep@example.com").id
    browser.post(f"/admin/users/{rep_id}", {"role": "rep", "active": "0"})
    browser.post("/logout")
    assert browser.login("rep").status_code == 401


def test_profile_creates_and_revokes_tokens(client, browser):
    browser.login("rep")
    html = browser.post("/account/tokens", {"label": "CRM panel"}).get_data(as_text=True)
    token = html.split('<code class="token">')[1].split("<")[0]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/taxonomy", headers=headers).status_code == 200
    token_id = html.split("/account/tokens/")[-1].split("/")[0]  # the newest
    browser.post(f"/account/tokens/{token_id}/revoke")
    assert client.get("/api/v1/taxonomy", headers=headers).status_code == 401


def test_security_headers_on_pages(client):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_audit_log_page_for_managers(client, browser, deck):
    browser.login("manager")
    html = client.get("/reports/events?type=upload").get_data(as_text=True)
    assert "upload" in html and "marketer@example.com" in html


def test_search_pages_link_to_each_other_keeping_the_query(api, browser):
    for word in ("first", "second", "third"):
        response = api.upload(f"Condor notes, the {word}".encode(), f"{word}.txt", title=word)
        assert response.status_code == 201
    browser.login("rep")
    first = browser.client.get("/?q=condor&per_page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert 'href="/?q=condor&amp;per_page=2&amp;page=2" rel="next"' in first
    last = browser.client.get("/?q=condor&per_page=2&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in last and 'rel="prev"' in last and 'rel="next"' not in last
