"""Every route, as every role: the contract's role rules, pages and API alike."""

import pytest

from collateral.api.openapi import PATHS
from collateral.permissions import (
    ADMINISTER,
    AUDIT,
    BROWSE,
    READ_PEOPLE,
    READ_USAGE,
    SHARE,
    UPLOAD,
    Capability,
    roles_with,
)
from tests.conftest import ROLES, run_jobs
from tests.factories import file_field, make_pdf, multipart

# Who may call each route is decided once, by the capability its table row names; the roles
# expected to pass come from permissions.GRANTS, so the map and the routes are tested together.


@pytest.fixture
def asset_id(app, api):
    response = api.upload(make_pdf(["Pricing tiers for Atlas"]), "atlas.pdf", title="Atlas pricing")
    assert response.status_code == 201
    run_jobs(app)  # its page images, for the routes that send them
    return response.get_json()["id"]


def collection_of(api, role, asset_id) -> int:
    """A collection of the role's own (the rep's for an anonymous caller), holding the asset."""
    body = {"title": f"Kit of {role}", "assets": [asset_id]}
    response = api.post("/api/v1/collections", role=role or "rep", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def share_for(api, role, asset_id) -> int:
    """A link made by `role` (each role sees its own), or any id for the signed-out."""
    if role is None:
        return 1
    response = api.post("/api/v1/shares", role=role, json={"assets": [asset_id]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def api_request(api, role, method, path, asset_id):
    if "{collection}" in path:
        path = path.replace("{collection}", str(collection_of(api, role, asset_id)))
    share = share_for(api, role, asset_id) if "{share}" in path else None
    path = path.format(id=asset_id, share=share)
    if method == "GET":
        return api.get(path, role=role)
    if method == "PATCH" and path.startswith("/api/v1/shares/"):
        return api.patch(path, role=role, json={"title": "Changed"})
    if method == "PATCH":
        return api.patch(path, role=role, json={"description": "changed"})
    if method == "PUT":
        return api.client.put(path, headers=api.headers(role))
    if method == "DELETE":
        return api.client.delete(path, headers=api.headers(role))
    if path == "/api/v1/collections":
        return api.post(path, role=role, json={"title": "New kit"})
    if path == "/api/v1/shares":
        return api.post(path, role=role, json={"assets": [asset_id]})
    if path == "/api/v1/notifications/read":
        return api.post(path, role=role, json={"all": True})
    if path == "/api/v1/assets":
        return api.upload(b"new file", "new.txt", role=role, title="New")
    if path.endswith("/versions"):
        data = {"file": file_field(b"second version", "v2.txt")}
        return api.post(path, role=role, **multipart(data))
    if path.startswith("/api/v1/taxonomy/"):
        return api.post(path, role=role, json={"name": f"Term by {role}"})
    return api.post(path, role=role)


API_RULES = [
    ("GET", "/api/v1/taxonomy", BROWSE),
    ("POST", "/api/v1/taxonomy/products", ADMINISTER),
    ("GET", "/api/v1/assets", BROWSE),
    ("POST", "/api/v1/assets", UPLOAD),
    ("GET", "/api/v1/assets/{id}", BROWSE),
    ("PATCH", "/api/v1/assets/{id}", UPLOAD),
    ("POST", "/api/v1/assets/{id}/versions", UPLOAD),
    ("POST", "/api/v1/assets/{id}/archive", UPLOAD),
    ("GET", "/api/v1/assets/{id}/thumbnail", BROWSE),
    ("GET", "/api/v1/assets/{id}/download", BROWSE),
    ("GET", "/api/v1/assets/{id}/pages", BROWSE),
    ("GET", "/api/v1/assets/{id}/pages/1", BROWSE),
    ("GET", "/api/v1/shares", SHARE),
    ("POST", "/api/v1/shares", SHARE),
    ("GET", "/api/v1/shares/{share}", SHARE),
    ("PATCH", "/api/v1/shares/{share}", SHARE),
    ("POST", "/api/v1/shares/{share}/revoke", SHARE),
    ("GET", "/api/v1/notifications", SHARE),
    ("POST", "/api/v1/notifications/read", SHARE),
    ("POST", "/api/v1/collections", SHARE),
    ("GET", "/api/v1/collections", SHARE),
    ("GET", "/api/v1/collections/{collection}", SHARE),
    ("PATCH", "/api/v1/collections/{collection}", SHARE),
    ("DELETE", "/api/v1/collections/{collection}", SHARE),
    ("GET", "/api/v1/collections/{collection}/download", SHARE),
    ("PUT", "/api/v1/assets/{id}/favourite", BROWSE),
    ("DELETE", "/api/v1/assets/{id}/favourite", BROWSE),
    ("GET", "/api/v1/favourites", BROWSE),
    ("GET", "/api/v1/recommendations", BROWSE),
    ("GET", "/api/v1/suggest", BROWSE),
    ("GET", "/api/v1/events", AUDIT),
    ("GET", "/api/v1/events.csv", AUDIT),
    *[
        ("GET", f"/api/v1/reports/{name}{suffix}", capability)
        for name, capability in (
            ("overview", READ_USAGE),
            ("top-assets", READ_PEOPLE),
            ("stale", READ_USAGE),
            ("searches", READ_USAGE),
            ("users", READ_PEOPLE),
            ("engagement", READ_USAGE),
        )
        for suffix in ("", ".csv")
    ],
]
# Routes anyone may call, signed in or not.
PUBLIC_API = {("GET", "/api/v1/openapi.json")}


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize(("method", "path", "capability"), API_RULES)
def test_api_role_matrix(api, asset_id, role, method, path, capability):
    allowed = roles_with(capability)
    response = api_request(api, role, method, path, asset_id)
    if role is None:
        expected = {401}
    elif role in allowed:
        expected = {200, 201, 204}
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
            path = path.replace("<int:collection_id>", "{collection}")
            path = path.replace("<int:number>", "1")
            path = path.replace("<int:share_id>", "{share}")
            routes |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(m, p) for m, p, _ in API_RULES} | PUBLIC_API
    assert routes == covered
    spec = {
        (
            m.upper(),
            p.replace("{asset_id}", "{id}")
            .replace("{kind}", "products")
            .replace("{collection_id}", "{collection}")
            .replace("{number}", "1")
            .replace("{share_id}", "{share}"),
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
        session_id = find_user(f"{role}@example.com").new_session_id()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True


PAGE_RULES = [
    ("GET", "/", BROWSE),
    ("GET", "/assets/{id}", BROWSE),
    ("GET", "/assets/{id}/download", BROWSE),
    ("GET", "/assets/{id}/thumbnail.jpg", BROWSE),
    ("GET", "/assets/{id}/pages/{page}.webp", BROWSE),
    ("GET", "/upload", UPLOAD),
    ("POST", "/upload", UPLOAD),
    ("GET", "/assets/{id}/edit", UPLOAD),
    ("POST", "/assets/{id}/edit", UPLOAD),
    ("POST", "/assets/{id}/archive", UPLOAD),
    ("POST", "/assets/{id}/restore", UPLOAD),
    ("GET", "/assets/{id}/versions/new", UPLOAD),
    ("POST", "/assets/{id}/versions/new", UPLOAD),
    ("GET", "/mine", UPLOAD),
    ("GET", "/incomplete", UPLOAD),
    ("GET", "/admin/users", ADMINISTER),
    ("POST", "/admin/users", ADMINISTER),
    ("POST", "/admin/users/{user}", ADMINISTER),
    ("GET", "/admin/taxonomy", ADMINISTER),
    ("POST", "/admin/taxonomy", ADMINISTER),
    ("POST", "/admin/taxonomy/{term}/rename", ADMINISTER),
    ("POST", "/admin/taxonomy/{term}/move", ADMINISTER),
    ("POST", "/admin/taxonomy/{term}/retire", ADMINISTER),
    ("POST", "/admin/taxonomy/{term}/restore", ADMINISTER),
    ("POST", "/admin/taxonomy/{term}/merge", ADMINISTER),
    ("POST", "/assets/{id}/favourite", BROWSE),
    ("POST", "/deal", BROWSE),
    ("GET", "/collections", SHARE),
    ("POST", "/collections", SHARE),
    ("POST", "/collections/add", SHARE),
    ("GET", "/collections/{collection}", SHARE),
    ("POST", "/collections/{collection}", SHARE),
    ("POST", "/collections/{collection}/delete", SHARE),
    ("POST", "/collections/{collection}/items/{id}/move", SHARE),
    ("POST", "/collections/{collection}/items/{id}/remove", SHARE),
    ("GET", "/collections/{collection}/download", SHARE),
    ("GET", "/account", BROWSE),
    ("POST", "/account/tokens", BROWSE),
    ("POST", "/account/digest", BROWSE),
    ("GET", "/notifications", SHARE),
    ("POST", "/notifications/read", SHARE),
    ("GET", "/reports/events", AUDIT),
    ("GET", "/reports/", READ_USAGE),
    ("GET", "/reports/top", READ_PEOPLE),
    ("GET", "/reports/unused", READ_USAGE),
    ("GET", "/reports/searches", READ_USAGE),
    ("GET", "/reports/people", READ_PEOPLE),
    ("GET", "/reports/people/{user}", READ_PEOPLE),
    ("GET", "/reports/engagement", READ_USAGE),
    ("GET", "/shares", SHARE),
    ("GET", "/shares/new", SHARE),
    ("POST", "/shares/new", SHARE),
    ("GET", "/shares/{share}", SHARE),
    ("POST", "/shares/{share}", SHARE),
    ("POST", "/shares/{share}/revoke", SHARE),
]
# The buyer's routes: anyone holding a link (the token is the key; tests/test_shares_buyer.py).
PUBLIC_PAGES = {
    ("GET", "/s/{link}"),
    ("POST", "/s/{link}"),
    ("GET", "/s/{link}/assets/{id}/pages/{page}"),
    ("GET", "/s/{link}/assets/{id}/download"),
    ("POST", "/s/{link}/beacon"),
}
# The one page route the matrix does not call (it needs a token made first), with its rule.
UNCALLED_PAGE_RULES = [
    ("POST", "/account/tokens/{token}/revoke", BROWSE),
    # The matrix's asset is a PDF, which has no player: tests/test_video_route.py calls it.
    ("GET", "/assets/{id}/video", BROWSE),
]


def product_ids(app) -> dict[str, int]:
    from collateral.services.taxonomy import list_terms

    with app.app_context():
        return {term.name: term.id for term in list_terms("product")}


def page_form(path, role, terms=None, asset_id=None):
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
    if path == "/shares/new":
        return {"asset": str(asset_id)}
    if path.startswith("/shares/") and not path.endswith("/revoke"):
        return {"title": f"Changed by {role}"}
    if path.endswith("/favourite"):
        return {"starred": "1"}
    if path == "/notifications/read":
        return {"all": "1"}
    if path == "/account/digest":
        return {"daily_digest": "1"}
    if path == "/deal":
        return {"product": "Atlas CRM"}
    if path == "/collections":
        return {"title": f"Kit by {role}"}
    if path == "/collections/add":
        return {"asset_id": str(asset_id), "collection": "new", "title": "Added"}
    if path.endswith("/move"):
        return {"direction": "down"}
    if path.startswith("/collections/") and path.count("/") == 2:
        return {"title": "Renamed kit", "description": ""}
    return {}


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize(("method", "path", "capability"), PAGE_RULES)
def test_page_role_matrix(app, client, api, asset_id, role, method, path, capability):
    allowed = roles_with(capability)
    terms = product_ids(app)
    if "{collection}" in path:
        path = path.replace("{collection}", str(collection_of(api, role, asset_id)))
    share = share_for(api, role, asset_id) if "{share}" in path else None
    path = path.format(term=terms["Beacon Analytics"], id=asset_id, user=1, page=1, share=share)
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
        form = page_form(path, role, terms, asset_id)
        response = client.post(path, data={**form, "csrf_token": token})
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
        path = path.replace("<int:term_id>", "{term}").replace("<int:share_id>", "{share}")
        path = path.replace("<token>", "{link}").replace("<int:collection_id>", "{collection}")
        pages |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(m, p) for m, p, _ in PAGE_RULES + UNCALLED_PAGE_RULES} | PUBLIC_PAGES
    assert pages == covered


def _route_path(rule) -> str:
    path = rule.rule.replace("<int:asset_id>", "{id}").replace("<kind>", "products")
    path = path.replace("<int:user_id>", "{user}").replace("<int:token_id>", "{token}")
    path = path.replace("<int:page_number>", "{page}").replace("<int:term_id>", "{term}")
    path = path.replace("<int:number>", "1").replace("<int:collection_id>", "{collection}")
    return path.replace("<int:share_id>", "{share}").replace("<token>", "{link}")


def test_every_route_declares_the_capability_its_table_row_names(app):
    """A route decides who may call it with `requires(CAPABILITY)`: a new route without one, or
    with another than the table says, fails here (sign-in pages and static files are public)."""
    table = {(m, p): c for m, p, c in API_RULES + PAGE_RULES + UNCALLED_PAGE_RULES}
    public = {(m, p) for m, p in PUBLIC_API} | PUBLIC_PAGES
    for rule in app.url_map.iter_rules():
        public_endpoint = rule.endpoint in ("static", "auth.login", "auth.logout")
        if public_endpoint or rule.endpoint.startswith("health."):  # open to anyone
            assert getattr(app.view_functions[rule.endpoint], "required_capability", None) is None
            continue
        view = app.view_functions[rule.endpoint]
        declared = getattr(view, "required_capability", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            key = (method, _route_path(rule))
            if key in public:
                assert declared is None, key
            elif key in table:
                assert declared == table[key], (key, declared, table[key])
            else:
                assert declared is not None, f"{key} ({rule.endpoint}) has no requires()"


def test_every_capability_is_granted_and_admins_hold_all():
    for capability in Capability:
        assert "admin" in roles_with(capability), capability
