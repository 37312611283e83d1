"""Every route, as every role: the contract's role rules, pages and API alike."""

import pytest

from collateral.api.openapi import PATHS
from tests.conftest import ROLES, run_jobs
from tests.factories import file_field, make_pdf, multipart

ALL = set(ROLES)
EDITORS = {"marketer", "admin"}
AUDITORS = {"manager", "admin"}
ADMIN = {"admin"}


@pytest.fixture
def asset_id(app, api):
    response = api.upload(make_pdf(["Pricing tiers for Atlas"]), "atlas.pdf", title="Atlas pricing")
    assert response.status_code == 201
    run_jobs(app)  # its page images, for the routes that send them
    return response.get_json()["id"]


def api_request(api, role, method, path, asset_id):
    path = path.format(id=asset_id)
    if method == "GET":
        return api.get(path, role=role)
    if method == "PATCH":
        return api.patch(path, role=role, json={"description": "changed"})
    if path == "/api/v1/assets":
        return api.upload(b"new file", "new.txt", role=role, title="New")
    if path.endswith("/versions"):
        data = {"file": file_field(b"second version", "v2.txt")}
        return api.post(path, role=role, **multipart(data))
    if path.startswith("/api/v1/taxonomy/"):
        return api.post(path, role=role, json={"name": f"Term by {role}"})
    return api.post(path, role=role)


API_RULES = [
    ("GET", "/api/v1/taxonomy", ALL),
    ("POST", "/api/v1/taxonomy/products", ADMIN),
    ("GET", "/api/v1/assets", ALL),
    ("POST", "/api/v1/assets", EDITORS),
    ("GET", "/api/v1/assets/{id}", ALL),
    ("PATCH", "/api/v1/assets/{id}", EDITORS),
    ("POST", "/api/v1/assets/{id}/versions", EDITORS),
    ("POST", "/api/v1/assets/{id}/archive", EDITORS),
    ("GET", "/api/v1/assets/{id}/thumbnail", ALL),
    ("GET", "/api/v1/assets/{id}/download", ALL),
    ("GET", "/api/v1/assets/{id}/pages", ALL),
    ("GET", "/api/v1/assets/{id}/pages/1", ALL),
    ("GET", "/api/v1/events", AUDITORS),
    ("GET", "/api/v1/events.csv", AUDITORS),
    *[
        ("GET", f"/api/v1/reports/{name}{suffix}", allowed)
        for name, allowed in (
            ("overview", AUDITORS | EDITORS),
            ("top-assets", AUDITORS),
            ("stale", AUDITORS | EDITORS),
            ("searches", AUDITORS | EDITORS),
            ("users", AUDITORS),
        )
        for suffix in ("", ".csv")
    ],
]


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize(("method", "path", "allowed"), API_RULES)
def test_api_role_matrix(api, asset_id, role, method, path, allowed):
    response = api_request(api, role, method, path, asset_id)
    if role is None:
        expected = {401}
    elif role in allowed:
        expected = {200, 201}
    else:
        expected = {403}
    assert response.status_code in expected, (role, method, path, response.get_data()[:300])
    if response.status_code >= 400:
        assert response.get_json()["error"]["message"]


def test_openapi_is_public(client):
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_every_api_route_is_in_the_matrix_and_the_spec(app):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = rule.rule.replace("<int:asset_id>", "{id}").replace("<kind>", "products")
            path = path.replace("<int:number>", "1")
            routes |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(m, p) for m, p, _ in API_RULES} | {("GET", "/api/v1/openapi.json")}
    assert routes == covered
    spec = {
        (
            m.upper(),
            p.replace("{asset_id}", "{id}").replace("{kind}", "products").replace("{number}", "1"),
        )
        for p, ops in PATHS.items()
        for m in ops
    }
    assert spec == covered


def test_invalid_bearer_token_is_401(client):
    response = client.get("/api/v1/assets", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert "token" in response.get_json()["error"]["message"]


def sign_in_session(client, app, role):
    from collateral.services.accounts import find_user

    with app.app_context():
        user_id = find_user(f"{role}@example.com").id
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True


PAGE_RULES = [
    ("GET", "/", ALL),
    ("GET", "/assets/{id}", ALL),
    ("GET", "/assets/{id}/download", ALL),
    ("GET", "/assets/{id}/thumbnail.jpg", ALL),
    ("GET", "/assets/{id}/pages/{page}.webp", ALL),
    ("GET", "/upload", EDITORS),
    ("POST", "/upload", EDITORS),
    ("GET", "/assets/{id}/edit", EDITORS),
    ("POST", "/assets/{id}/edit", EDITORS),
    ("POST", "/assets/{id}/archive", EDITORS),
    ("POST", "/assets/{id}/restore", EDITORS),
    ("GET", "/assets/{id}/versions/new", EDITORS),
    ("POST", "/assets/{id}/versions/new", EDITORS),
    ("GET", "/mine", EDITORS),
    ("GET", "/incomplete", EDITORS),
    ("GET", "/admin/users", ADMIN),
    ("POST", "/admin/users", ADMIN),
    ("POST", "/admin/users/{user}", ADMIN),
    ("GET", "/admin/taxonomy", ADMIN),
    ("POST", "/admin/taxonomy", ADMIN),
    ("POST", "/admin/taxonomy/{term}/rename", ADMIN),
    ("POST", "/admin/taxonomy/{term}/move", ADMIN),
    ("POST", "/admin/taxonomy/{term}/retire", ADMIN),
    ("POST", "/admin/taxonomy/{term}/restore", ADMIN),
    ("POST", "/admin/taxonomy/{term}/merge", ADMIN),
    ("GET", "/account", ALL),
    ("POST", "/account/tokens", ALL),
    ("GET", "/reports/events", AUDITORS),
    ("GET", "/reports/", EDITORS | AUDITORS),
    ("GET", "/reports/top", AUDITORS),
    ("GET", "/reports/unused", EDITORS | AUDITORS),
    ("GET", "/reports/searches", EDITORS | AUDITORS),
    ("GET", "/reports/people", AUDITORS),
    ("GET", "/reports/people/{user}", AUDITORS),
]


def product_ids(app) -> dict[str, int]:
    from collateral.services.taxonomy import list_terms

    with app.app_context():
        return {term.name: term.id for term in list_terms("product")}


def page_form(path, role, terms=None):
    if path == "/upload":
        return {"file": file_field(b"page upload", "p.txt"), "title": "From the page"}
    if path.endswith("/versions/new"):
        return {"file": file_field(b"page version", "v2.txt"), "note": "from the page"}
    if path.endswith("/edit"):
        return {"title": "Edited title", "status": "published"}
    if path == "/admin/users":
        return {"email": f"new-{role}@example.com", "role": "rep", "password": "long enough pw"}
    if path.startswith("/admin/users/"):
        return {"role": "rep", "active": "1"}
    if path == "/admin/taxonomy":
        return {"kind": "product", "name": f"Page term {role}"}
    if path.endswith("/rename"):
        return {"name": f"Renamed by {role}"}
    if path.endswith("/move"):
        return {"direction": "up"}
    if path.endswith("/merge"):
        return {"into": terms["Cobalt Payments"], "confirm": "yes"}
    return {}


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize(("method", "path", "allowed"), PAGE_RULES)
def test_page_role_matrix(app, client, asset_id, role, method, path, allowed):
    terms = product_ids(app)
    path = path.format(term=terms["Beacon Analytics"], id=asset_id, user=1, page=1)
    if role:
        sign_in_session(client, app, role)
    if method == "GET":
        response = client.get(path)
    else:
        from tests.conftest import csrf_token_from

        token = (
            csrf_token_from(client.get("/login").get_data(as_text=True))
            if not role
            else csrf_token_from(client.get("/account").get_data(as_text=True))
        )
        response = client.post(path, data={**page_form(path, role, terms), "csrf_token": token})
    response.close()
    if role is None:
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif role in allowed:
        assert response.status_code in (200, 302, 303), (role, path, response.status_code)
    else:
        assert response.status_code == 403, (role, path, response.status_code)


def test_every_page_route_is_in_the_matrix(app):
    pages = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/static/")) or rule.endpoint.startswith(
            ("auth.", "health.")
        ):
            continue
        path = rule.rule.replace("<int:asset_id>", "{id}").replace("<int:user_id>", "{user}")
        path = path.replace("<int:token_id>", "{token}").replace("<int:page_number>", "{page}")
        path = path.replace("<int:term_id>", "{term}")
        pages |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(m, p) for m, p, _ in PAGE_RULES} | {("POST", "/account/tokens/{token}/revoke")}
    assert pages == covered
