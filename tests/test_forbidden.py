"""Hidden assets stay unknown (404, never the file), and every refused attempt is audited."""

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from collateral.extensions import db
from collateral.models import Asset, Event
from tests.factories import make_pdf

SECRET_WORDS = "Unreleased Borealis pricing"

# Every route that takes an asset id and that a rep may use on a visible asset.
API_BY_ID = (
    "/api/v1/assets/{id}",
    "/api/v1/assets/{id}/download",
    "/api/v1/assets/{id}/thumbnail",
    "/api/v1/assets/{id}/pages",
    "/api/v1/assets/{id}/pages/1",
)
PAGES_BY_ID = (
    "/assets/{id}",
    "/assets/{id}/download",
    "/assets/{id}/thumbnail.jpg",
    "/assets/{id}/pages/1.webp",
    "/assets/{id}/video",
)


def upload_hidden(api, state: str) -> int:
    """An asset a rep must not see: a draft, an archived or an expired one."""
    fields = {"status": "draft"} if state == "draft" else {}
    if state == "expired":
        fields["expires_at"] = "2020-01-31"
    response = api.upload(
        make_pdf([SECRET_WORDS]), f"{state}.pdf", title=f"Hidden {state}", **fields
    )
    assert response.status_code == 201, response.get_json()
    asset_id = response.get_json()["id"]
    if state == "archived":
        assert api.post(f"/api/v1/assets/{asset_id}/archive").status_code == 200
    return asset_id


def forbidden_events(app) -> list[SimpleNamespace]:
    """The `forbidden` events as a new session sees them: committed ones only."""
    with app.app_context():
        rows = db.session.scalars(select(Event).where(Event.type == "forbidden").order_by(Event.id))
        return [
            SimpleNamespace(
                asset_id=e.asset_id, email=e.user.email if e.user else None, detail=e.detail
            )
            for e in rows
        ]


def sign_in(client, role: str) -> None:
    from tests.conftest import PASSWORD, csrf_token_from

    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"email": f"{role}@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302


@pytest.mark.parametrize("role", ["rep", "manager"])
@pytest.mark.parametrize("state", ["draft", "archived", "expired"])
def test_hidden_asset_by_id_is_404_without_the_file_and_is_audited(app, api, client, role, state):
    asset_id = upload_hidden(api, state)
    pdf_start = b"%PDF"
    for path in API_BY_ID:
        response = api.get(path.format(id=asset_id), role=role)
        assert response.status_code == 404, (path, response.status_code)
        assert response.get_json()["error"]["code"] == "not_found"
        assert pdf_start not in response.data and SECRET_WORDS.encode() not in response.data
        older = api.get(path.format(id=asset_id) + "?version=1", role=role)
        assert older.status_code == 404 and pdf_start not in older.data
    sign_in(client, role)
    for path in PAGES_BY_ID:
        response = client.get(path.format(id=asset_id))
        assert response.status_code == 404, (path, response.status_code)
        assert pdf_start not in response.data and SECRET_WORDS.encode() not in response.data
    events = forbidden_events(app)
    assert len(events) == 2 * len(API_BY_ID) + len(PAGES_BY_ID)
    assert {e.asset_id for e in events} == {asset_id}
    assert {e.email for e in events} == {f"{role}@example.com"}
    assert all(e.detail["status"] == 404 and state in e.detail["reason"] for e in events)
    paths = {e.detail["path"] for e in events}
    assert paths == {p.format(id=asset_id) for p in (*API_BY_ID, *PAGES_BY_ID)}
    assert {e.detail["method"] for e in events} == {"GET"}


def test_editors_still_see_hidden_assets_and_nothing_is_recorded(app, api):
    asset_id = upload_hidden(api, "draft")
    for role in ("marketer", "admin"):
        assert api.get(f"/api/v1/assets/{asset_id}/download", role=role).status_code == 200
    assert forbidden_events(app) == []


def test_an_unknown_id_is_the_same_404_but_not_a_forbidden_attempt(app, api):
    hidden = api.get(f"/api/v1/assets/{upload_hidden(api, 'draft')}", role="rep")
    unknown = api.get("/api/v1/assets/999999", role="rep")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.get_json()["error"]["code"] == unknown.get_json()["error"]["code"]
    assert [e.detail["path"] for e in forbidden_events(app)] == [
        hidden.request.path  # only the hidden asset's
    ]


def test_role_refusals_are_audited_with_the_reason(app, api, client):
    assert api.get("/api/v1/events", role="rep").status_code == 403
    sign_in(client, "marketer")
    assert client.get("/admin/users").status_code == 403
    api_event, page_event = forbidden_events(app)
    assert api_event.email == "rep@example.com"
    assert api_event.detail == {
        "method": "GET",
        "path": "/api/v1/events",
        "status": 403,
        "reason": api_event.detail["reason"],
    }
    assert "rep" in api_event.detail["reason"] and "manager" in api_event.detail["reason"]
    assert page_event.email == "marketer@example.com"
    assert page_event.detail["path"] == "/admin/users" and page_event.detail["status"] == 403


def test_a_refused_change_writes_nothing_but_its_event(app, api, client):
    """A 403 that a page answers itself, not through the error handler, is audited too."""
    created = api.upload(make_pdf(["Atlas pricing"]), "atlas.pdf", title="Atlas pricing")
    asset_id = created.get_json()["id"]
    sign_in(client, "marketer")
    from tests.conftest import csrf_token_from

    form = client.get(f"/assets/{asset_id}/edit").get_data(as_text=True)
    response = client.post(
        f"/assets/{asset_id}/edit",
        data={
            "csrf_token": csrf_token_from(form),
            "title": "Renamed while refused",
            "status": "published",
            "owner": "admin@example.com",
        },
    )
    assert response.status_code == 403
    with app.app_context():
        asset = db.session.get(Asset, asset_id)
        assert asset.title == "Atlas pricing" and asset.owner.email == "marketer@example.com"
    (event,) = forbidden_events(app)
    assert event.asset_id == asset_id and event.detail["method"] == "POST"


def test_the_audit_log_shows_forbidden_attempts_to_managers(api):
    api.get("/api/v1/events", role="marketer")
    listed = api.get("/api/v1/events?type=forbidden", role="manager").get_json()
    assert listed["total"] == 1
    (row,) = listed["events"]
    assert row["user"] == "marketer@example.com" and row["detail"]["status"] == 403


@pytest.mark.parametrize("state", ["draft", "archived", "expired"])
def test_starring_a_hidden_asset_is_the_same_404_and_is_audited(app, api, client, state):
    """The routes that change something about an asset by its id: the star, by API and page."""
    asset_id = upload_hidden(api, state)
    for method in (api.client.put, api.client.delete):
        response = method(f"/api/v1/assets/{asset_id}/favourite", headers=api.headers("rep"))
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    sign_in(client, "rep")
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/account").get_data(as_text=True))
    response = client.post(
        f"/assets/{asset_id}/favourite", data={"csrf_token": token, "starred": "1"}
    )
    assert response.status_code == 404 and SECRET_WORDS.encode() not in response.data
    events = forbidden_events(app)
    assert [(e.detail["method"], e.detail["path"]) for e in events] == [
        ("PUT", f"/api/v1/assets/{asset_id}/favourite"),
        ("DELETE", f"/api/v1/assets/{asset_id}/favourite"),
        ("POST", f"/assets/{asset_id}/favourite"),
    ]
    assert {e.asset_id for e in events} == {asset_id}
