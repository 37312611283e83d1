"""Every response carries the security headers; no page runs inline script; a cookie session
changes nothing without its CSRF token, and no GET changes anything."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from collateral.config import PROJECT_ROOT
from collateral.extensions import db
from collateral.services.taxonomy import list_terms
from tests.conftest import PASSWORD, csrf_token_from
from tests.factories import file_field, make_pdf, multipart

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:", re.I)
# Counters and audit rows a GET is meant to write: the rest of the database must not move.
# A buyer opening a link is a visit, and its sender is told: that is what a link is for.
GET_MAY_WRITE = {"event", "event_term", "share_visit", "notification"}
GET_MAY_CHANGE = {("asset", "download_count"), ("api_token", "last_used_at")}


def assert_security_headers(response, what) -> None:
    headers = response.headers
    directives = {
        part.split()[0]: part.split()[1:]
        for part in headers.get("Content-Security-Policy", "").split(";")
        if part.strip()
    }
    assert directives.get("frame-ancestors") == ["'none'"], (what, headers)
    # Pages allow only their own origin; files are served stricter still ('none').
    assert directives.get("default-src") in (["'self'"], ["'none'"]), (what, directives)
    assert directives.get("script-src", ["'self'"]) == ["'self'"], (what, directives)
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin"), what
    assert headers.get("X-Frame-Options") == "DENY", what


@pytest.fixture
def library(app, api):
    """An asset with a PDF, plus the ids a URL may need."""
    response = api.upload(make_pdf(["Atlas pricing", "Page two"]), "atlas.pdf", title="Atlas")
    assert response.status_code == 201
    asset_id = response.get_json()["id"]
    share = api.post("/api/v1/shares", role="rep", json={"assets": [asset_id]}).get_json()
    kit = {"title": "Launch kit", "assets": [asset_id], "featured": True}
    collection = api.post("/api/v1/collections", role="marketer", json=kit)
    assert collection.status_code == 201
    with app.app_context():
        term = list_terms("product")[0].id
    return {
        "asset_id": asset_id,
        "term_id": term,
        "user_id": 1,
        "share_id": share["id"],
        "link": share["url"].rsplit("/s/", 1)[1],
        "collection_id": collection.get_json()["id"],
    }


def url_for_rule(rule, ids: dict) -> str:
    values = {
        "asset_id": ids["asset_id"],
        "collection_id": ids["collection_id"],
        "term_id": ids["term_id"],
        "user_id": ids["user_id"],
        "token_id": 1,
        "share_id": ids["share_id"],
        "token": ids["link"],
        "page_number": 1,
        "number": 1,
        "kind": "products",
        "filename": "style.css",
    }
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[^:>]+:)?{name}>", str(values[name]), path)
    return path


def routes(app, method: str) -> list:
    return sorted(
        (r for r in app.url_map.iter_rules() if method in r.methods), key=lambda r: r.rule
    )


def sign_in(client, role: str = "admin") -> None:
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"email": f"{role}@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302


def snapshot(app, skip_tables=(), skip_columns=()) -> dict[str, list[str]]:
    """Every row of every table, as text, to compare before and after."""
    with app.app_context():
        tables = {}
        for table in db.metadata.sorted_tables:
            if table.name in skip_tables:
                continue
            columns = [c for c in table.c if (table.name, c.name) not in skip_columns]
            rows = db.session.execute(select(*columns)).all()
            tables[table.name] = sorted(repr(tuple(row)) for row in rows)
        return tables


@pytest.mark.parametrize("role", [None, "rep", "admin"])
def test_every_page_and_api_get_has_the_headers_and_no_inline_script(
    app, client, api, library, role
):
    if role:
        sign_in(client, role)
    for rule in routes(app, "GET"):
        path = url_for_rule(rule, library)
        response = client.get(path)
        response.get_data()
        response.close()
        assert response.status_code < 500, path
        assert_security_headers(response, (role, path))
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            assert not INLINE_SCRIPT.search(html), (path, INLINE_SCRIPT.search(html))
    for rule in routes(app, "GET"):
        if rule.rule.startswith("/api/"):
            response = api.get(url_for_rule(rule, library), role=role or "rep")
            assert_security_headers(response, ("bearer", rule.rule))


def test_error_pages_and_errors_have_the_headers(app, client, api):
    def boom():
        raise RuntimeError("a bug")

    app.add_url_rule("/boom-for-test", view_func=boom)
    app.add_url_rule("/api/v1/boom-for-test", view_func=boom, endpoint="api_boom")
    sign_in(client, "marketer")
    token = csrf_token_from(client.get("/upload").get_data(as_text=True))
    small = 64 * 1024
    app.config["MAX_CONTENT_LENGTH"] = small
    big_upload = {"file": file_field(b"x" * (2 * small), "big.txt"), "title": "Big"}
    responses = {
        "page 404": client.get("/no-such-page"),
        "page 405": client.get("/logout"),
        "page 403": client.get("/admin/users"),
        "page 400 csrf": client.post("/upload", data={"title": "x"}),
        "page 413": client.post("/upload", **multipart({**big_upload, "csrf_token": token})),
        "page 500": client.get("/boom-for-test"),
        "api 401": app.test_client().get("/api/v1/assets"),
        "api 404": api.get("/api/v1/assets/999999"),
        "api 405": api.client.delete("/api/v1/assets", headers=api.headers("rep")),
        "api 413": api.patch(
            "/api/v1/assets/1", data=b" " * (1024 * 1024 + 1), content_type="application/json"
        ),
        "api 500": api.get("/api/v1/boom-for-test"),
    }
    for what, response in responses.items():
        expected = int(what.split()[1])
        assert response.status_code == expected, (what, response.status_code)
        assert_security_headers(response, what)
        if what.startswith("api"):
            assert response.get_json()["error"]["message"], what


def test_templates_hold_no_inline_script():
    for template in (PROJECT_ROOT / "templates").rglob("*.html"):
        found = INLINE_SCRIPT.search(template.read_text())
        assert found is None, (template.name, found)


def fill_for(path: str) -> dict:
    """A plausible body, so a missing token is the only thing wrong with the request."""
    if path in ("/upload", "/api/v1/assets") or path.endswith(("/versions", "/versions/new")):
        return multipart({"file": file_field(b"new words", "new.txt"), "title": "New"})
    return {"data": {"name": "Changed", "title": "Changed", "email": "x@example.com"}}


def test_a_cookie_session_changes_nothing_without_the_csrf_token(app, client, library):
    sign_in(client, "admin")
    before = snapshot(app)
    checked = []
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for rule in routes(app, method):
            path = url_for_rule(rule, library)
            response = client.open(path, method=method, **fill_for(path))
            assert response.status_code == 400, (method, path, response.status_code)
            if rule.endpoint.startswith("buyer."):
                # Buyers hold no session: their forms carry a token tied to their own cookie,
                # and beacons the visit's key; both refuse this request before changing anything.
                pass
            elif path.startswith("/api/"):
                assert response.get_json()["error"]["code"] == "csrf", path
            else:
                assert "security token" in response.get_data(as_text=True), path
            checked.append((method, rule.rule))
    assert snapshot(app) == before
    assert ("POST", "/logout") in checked and ("PATCH", "/api/v1/assets/<int:asset_id>") in checked
    assert client.get("/account").status_code == 200  # the refused sign-out left us signed in
    # With the token, the same cookie session may change things: the refusals above were CSRF.
    token = csrf_token_from(client.get("/account").get_data(as_text=True))
    response = client.patch(
        f"/api/v1/assets/{library['asset_id']}",
        json={"title": "Changed"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200 and snapshot(app) != before


@pytest.mark.parametrize("role", ["rep", "admin"])
def test_no_get_changes_state(app, client, library, role):
    sign_in(client, role)
    before = snapshot(app, GET_MAY_WRITE, GET_MAY_CHANGE)
    for rule in routes(app, "GET"):
        response = client.get(url_for_rule(rule, library), query_string={"q": "pricing"})
        response.get_data()
        response.close()
    assert client.get("/logout").status_code == 405
    assert snapshot(app, GET_MAY_WRITE, GET_MAY_CHANGE) == before
    assert client.get("/account").status_code == 200


def assert_not_kept_by_caches(response, what) -> None:
    """`no-store`, except files and page images (private, revalidated or named by content)
    and the vendored CSS and JS."""
    cache = {part.strip() for part in response.headers.get("Cache-Control", "").split(",")}
    if what[-1].startswith("/static/"):
        assert "no-store" not in cache, what
    elif (
        response.mimetype in ("image/jpeg", "image/webp", "application/pdf")
        and response.status_code < 300
    ):
        assert "private" in cache and "public" not in cache, (what, cache)
    else:
        assert "no-store" in cache, (what, response.status_code, cache)


@pytest.mark.parametrize("role", [None, "rep", "admin"])
def test_no_page_or_api_answer_may_be_kept_by_a_cache(app, client, api, library, role):
    if role:
        sign_in(client, role)
    for rule in routes(app, "GET"):
        path = url_for_rule(rule, library)
        response = client.get(path)
        response.get_data()
        response.close()
        assert_not_kept_by_caches(response, (role, path))
        if rule.rule.startswith("/api/"):
            response = api.get(path, role=role or "rep")
            assert_not_kept_by_caches(response, ("bearer", role, path))


def test_secrets_and_personal_data_are_no_store(app, client, api, library):
    sign_in(client, "admin")
    page = client.get("/account").get_data(as_text=True)
    token_page = client.post(
        "/account/tokens", data={"label": "CRM", "csrf_token": csrf_token_from(page)}
    )
    assert 'class="token"' in token_page.get_data(as_text=True)
    answers = {
        "new token": token_page,
        "users": client.get("/admin/users"),
        "events.csv": api.get("/api/v1/events.csv", role="manager"),
        "reports/users.csv": api.get("/api/v1/reports/users.csv", role="manager"),
        "error": client.get("/assets/999999"),
    }
    for what, response in answers.items():
        assert response.status_code == (404 if what == "error" else 200), what
        assert response.headers.get("Cache-Control") == "no-store", what
    download = api.get(f"/api/v1/assets/{library['asset_id']}/download")
    assert download.headers["Cache-Control"] == "private, no-cache" and download.headers["ETag"]
