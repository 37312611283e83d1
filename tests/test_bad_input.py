"""Hostile and malformed input gets a clear 4xx, never a 500 or an HTML page under /api/."""

import pytest

from tests.conftest import csrf_token_from


@pytest.fixture
def asset(api):
    response = api.upload(b"Sample text for bad input", "sample.txt", title="Sample")
    assert response.status_code == 201
    return response.get_json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/assets/99999999999999999999",
        "/api/v1/assets/99999999999999999999/download",
        "/api/v1/events?asset=99999999999999999999",
        "/api/v1/events?asset=%C2%B2",
        "/api/v1/events?page=999999999999999999",
        "/api/v1/events?since=9999-12-31T23:59:59-01:00",
        "/api/v1/events.csv?since=9999-12-31T23:59:59-01:00",
        "/api/v1/assets?page=99999999999999999999",
        "/api/v1/assets?per_page=1e3",
        "/api/v1/assets?q=%00",
    ],
)
def test_odd_query_strings_are_4xx_json(api, path):
    response = api.get(path, role="admin")
    assert 400 <= response.status_code < 500, (path, response.status_code)
    assert response.get_json()["error"]["message"]


def test_invalid_utf8_in_a_query_is_read_with_replacement_characters(api):
    assert api.get("/api/v1/assets?q=%FF%FEpricing").status_code == 200


def test_download_version_with_unicode_digit_is_400(api, asset):
    response = api.get(asset["download_url"] + "?version=%C2%B2")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b"null", b'"text"', b"{bad json", b'{"title": "a\\u0000b"}'],
)
def test_bad_json_bodies_are_400(api, asset, body):
    for path in (f"/api/v1/assets/{asset['id']}", "/api/v1/taxonomy/products"):
        method = api.patch if "assets" in path else api.post
        response = method(path, role="admin", data=body, content_type="application/json")
        assert response.status_code == 400, (path, body[:20], response.status_code)
        assert response.get_json()["error"]["message"]


@pytest.mark.parametrize("value", [None, "", 0, "deleted"])
def test_status_must_be_one_of_three_words(api, asset, value):
    response = api.patch(f"/api/v1/assets/{asset['id']}", json={"status": value})
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith("status")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2026-01-01garbage", False),
        ("2026-02-30", False),
        ("2026-01-01T10:00:00", True),
        ("", True),
        (12, False),
    ],
)
def test_expires_at_is_a_whole_date(api, asset, value, ok):
    response = api.patch(f"/api/v1/assets/{asset['id']}", json={"expires_at": value})
    assert response.status_code == (200 if ok else 400)


@pytest.mark.parametrize("tags", [[1, 2], "x" * 61, [["nested"]]])
def test_bad_tags_are_400(api, asset, tags):
    response = api.patch(f"/api/v1/assets/{asset['id']}", json={"tags": tags})
    assert response.status_code == 400


def test_taxonomy_names_are_unique_ignoring_case_and_spaces(api):
    assert (
        api.post("/api/v1/taxonomy/industries", role="admin", json={"name": "Énergie"}).status_code
        == 201
    )
    for name in ("énergie", "  ÉNERGIE ", "Énergie"):
        response = api.post("/api/v1/taxonomy/industries", role="admin", json={"name": name})
        assert response.status_code == 409, name
    assert (
        api.post("/api/v1/taxonomy/industries", role="admin", json={"name": ""}).status_code == 400
    )


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example",
        "/ /evil.example",
        "javascript:alert(1)",
    ],
)
def test_sign_in_never_redirects_off_site(client, target):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={
            "email": "rep@example.com",
            "password": "correct horse battery",
            "next": target,
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_html_in_file_text_is_escaped_around_the_highlight(api, client, browser):
    api.upload(
        b"<img src=x onerror=alert(1)> pricing <script>alert(2)</script>",
        "x.html",
        title="Hostile page",
    )
    api.upload(b"<img src=x onerror=alert(1)> pricing", "x.txt", title="Hostile text")
    results = api.search(q="pricing")["results"]
    for result in results:
        for highlight in result["highlights"]:
            text = highlight["text"]
            assert "<img" not in text and "<script" not in text
            assert text.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_rep_never_sees_an_archived_asset_while_the_index_is_behind(app, api):
    from collateral.services.resources import search_index

    asset = api.upload(b"Secret roadmap", "r.txt", title="Roadmap").get_json()
    app.config["INDEX_LOCK_TIMEOUT_SECONDS"] = 0.2
    with app.app_context():
        index = search_index()
    with index.holding_writer_lock(timeout=1.0):  # another worker writing
        assert api.post(f"/api/v1/assets/{asset['id']}/archive").status_code == 200
        body = api.search(q="roadmap", role="rep")
        assert body["results"] == [] and body["total"] == 0


def test_the_last_admin_cannot_be_demoted_or_disabled(app, browser):
    from collateral.services.accounts import find_user

    with app.app_context():
        admin_id = find_user("admin@example.com").id
    browser.login("admin")
    page = browser.post(
        f"/admin/users/{admin_id}", {"role": "rep", "active": "1"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "last active admin" in page
    with app.app_context():
        assert find_user("admin@example.com").role == "admin"


def test_admin_changes_are_audited(api, browser):
    browser.login("admin")
    browser.post(
        "/admin/users", {"email": "ola@example.com", "role": "rep", "password": "a long password"}
    )
    api.post("/api/v1/taxonomy/products", role="admin", json={"name": "Delta"})
    types = [e["type"] for e in api.get("/api/v1/events", role="admin").get_json()["events"]]
    assert "user_created" in types and "term_added" in types


def test_download_counting(api, asset):
    url = asset["download_url"]
    api.get(url)  # counted
    api.get(url, headers={"Range": "bytes=-5"})  # a later part: not a new download
    api.get(url, headers={"Range": "bytes=0-3"})  # the start again: counted
    etag = api.get(url).headers["ETag"]  # counted
    api.get(url, headers={"If-None-Match": etag})  # 304: nothing sent
    api.client.head(url, headers=api.headers("rep")).close()  # HEAD: nothing sent
    downloads = api.get(
        "/api/v1/events", role="manager", query_string={"type": "download"}
    ).get_json()["total"]
    assert downloads == 3


def test_nul_in_multipart_fields_is_400(api):
    response = api.upload(b"text", "a.txt", title="Bad\x00title")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith("title")


def test_large_non_upload_bodies_are_413(api, asset):
    response = api.patch(
        f"/api/v1/assets/{asset['id']}",
        data=b" " * (1024 * 1024 + 1),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert "1 MB" in response.get_json()["error"]["message"]
