"""Status, expiry, ownership and required metadata: who sees what, and what owners are told."""

from datetime import UTC, datetime, timedelta

import pytest

from collateral import create_app
from tests.factories import make_docx

TODAY = datetime.now(UTC).date()
ROLES = ("rep", "manager", "marketer", "admin")


def upload(api, text="Kestrel onboarding guide for clinics", title="Kestrel guide", **fields):
    fields.setdefault("products", ["Atlas CRM"])
    fields.setdefault("stages", ["Discovery"])
    response = api.upload(make_docx([text]), f"{title}.docx", title=title, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def sees(api, role, asset) -> dict[str, bool]:
    """Whether `role` meets the asset in each place a person could."""
    path = f"/api/v1/assets/{asset['id']}"
    found = api.search(role=role, q="kestrel")["results"]
    return {
        "api": api.get(path, role=role).status_code == 200,
        "download": api.get(path + "/download", role=role).status_code == 200,
        "search": asset["id"] in [r["id"] for r in found],
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("status", "expires_in_days", "reps_see"),
    [
        ("published", None, True),
        ("draft", None, False),
        ("archived", None, False),
        ("published", 0, True),  # the last day it is valid
        ("published", -1, False),  # the day after
        ("published", 30, True),
    ],
)
def test_each_status_and_expiry_as_each_role_sees_it(api, role, status, expires_in_days, reps_see):
    expires = "" if expires_in_days is None else (TODAY + timedelta(expires_in_days)).isoformat()
    asset = upload(api, status=status, expires_at=expires)
    seen = sees(api, role, asset)
    editors_see_in_search = status != "archived"  # archived: found with status=archived
    if role in ("marketer", "admin"):
        assert seen == {"api": True, "download": True, "search": editors_see_in_search}
    else:
        assert seen == {"api": reps_see, "download": reps_see, "search": reps_see}


def test_archived_assets_are_found_by_editors_who_ask_for_them(api):
    asset = upload(api, status="archived")
    found = api.search(role="marketer", q="kestrel", status="archived")["results"]
    assert [r["id"] for r in found] == [asset["id"]]


def test_hidden_assets_pages_are_404_for_reps_and_flagged_for_marketers(api, browser):
    expired = upload(api, expires_at=(TODAY - timedelta(days=1)).isoformat(), title="Old guide")
    browser.login("rep")
    assert browser.client.get(f"/assets/{expired['id']}").status_code == 404
    browser.client.post("/logout", data={"csrf_token": browser.csrf()})
    browser.login("marketer")
    html = browser.client.get(f"/assets/{expired['id']}").get_data(as_text=True)
    assert "badge-expired" in html and "reps no longer see it" in html


def test_status_changes_are_audited_with_old_and_new(api):
    asset = upload(api, status="draft")
    api.patch(f"/api/v1/assets/{asset['id']}", json={"status": "published"})
    api.post(f"/api/v1/assets/{asset['id']}/archive")
    api.patch(f"/api/v1/assets/{asset['id']}", json={"status": "published"})
    events = api.get(
        "/api/v1/events", role="manager", query_string={"asset": asset["id"]}
    ).get_json()["events"]
    changes = [(e["type"], e["detail"].get("changes", {}).get("status")) for e in events]
    assert changes[:3] == [
        ("update", ["archived", "published"]),
        ("archive", ["published", "archived"]),
        ("update", ["draft", "published"]),
    ]


def test_restore_button_publishes_an_archived_asset(api, browser):
    asset = upload(api, status="archived")
    browser.login("marketer")
    page = f"/assets/{asset['id']}"
    assert "Restore" in browser.client.get(page).get_data(as_text=True)
    response = browser.post(f"/assets/{asset['id']}/restore", token_page=page)
    assert response.status_code == 302
    assert api.get(f"/api/v1/assets/{asset['id']}", role="rep").status_code == 200


def test_owner_is_the_uploader_and_admins_reassign_it(api, app):
    asset = upload(api)
    assert asset["owner"] == "marketer@example.com"
    path = f"/api/v1/assets/{asset['id']}"
    refused = api.patch(path, role="marketer", json={"owner": "admin@example.com"})
    assert refused.status_code == 403
    assert "admins" in refused.get_json()["error"]["message"]
    unchanged = api.patch(path, role="marketer", json={"owner": "marketer@example.com"})
    assert unchanged.status_code == 200
    for email in ("rep@example.com", "nobody@example.com", ""):
        bad = api.patch(path, role="admin", json={"owner": email})
        assert bad.status_code == 400 and "owner" in bad.get_json()["error"]["message"], email
    moved = api.patch(path, role="admin", json={"owner": "ADMIN@example.com"})
    assert moved.status_code == 200 and moved.get_json()["owner"] == "admin@example.com"
    events = api.get(
        "/api/v1/events", role="manager", query_string={"asset": asset["id"], "type": "update"}
    ).get_json()["events"]
    assert events[0]["detail"]["changes"] == {
        "owner": ["marketer@example.com", "admin@example.com"]
    }


def test_marketers_cannot_upload_on_behalf_of_others_but_admins_can(api):
    refused = api.upload(b"Notes", "notes.txt", title="Notes", owner="admin@example.com")
    assert refused.status_code == 403
    given = api.upload(
        b"Owned notes", "notes.txt", role="admin", title="Notes", owner="marketer@example.com"
    )
    assert given.status_code == 201 and given.get_json()["owner"] == "marketer@example.com"


def test_edit_page_offers_the_owner_to_admins_only(api, browser):
    asset = upload(api)
    browser.login("marketer")
    assert 'name="owner"' not in browser.client.get(f"/assets/{asset['id']}/edit").text
    browser.client.post("/logout", data={"csrf_token": browser.csrf()})
    browser.login("admin")
    page = f"/assets/{asset['id']}/edit"
    html = browser.client.get(page).get_data(as_text=True)
    assert 'name="owner"' in html and "rep@example.com" not in html
    response = browser.post(
        page,
        data={
            "title": "Kestrel guide",
            "products": "Atlas CRM",
            "stages": "Discovery",
            "status": "published",
            "owner": "admin@example.com",
        },
        token_page=page,
    )
    assert response.status_code == 302
    assert api.get(f"/api/v1/assets/{asset['id']}").get_json()["owner"] == "admin@example.com"


def test_missing_metadata_page_lists_assets_without_a_product_or_stage(api, browser):
    complete = upload(api, title="Complete guide")
    no_stage = upload(api, text="Second guide", title="No stage guide", stages=[])
    no_product = upload(api, text="Third guide", title="No product guide", products=[])
    archived = upload(api, text="Fourth guide", title="Archived bare", products=[], stages=[])
    api.post(f"/api/v1/assets/{archived['id']}/archive")
    browser.login("marketer")
    html = browser.client.get("/incomplete").get_data(as_text=True)
    assert "No stage guide" in html and "No product guide" in html
    assert "Complete guide" not in html and "Archived bare" not in html
    assert "2 live or draft assets" in html
    asset_page = browser.client.get(f"/assets/{no_stage['id']}").get_data(as_text=True)
    assert "Missing required metadata: stage" in asset_page
    assert "Missing required metadata" not in browser.client.get(
        f"/assets/{complete['id']}"
    ).get_data(as_text=True)
    api.patch(f"/api/v1/assets/{no_product['id']}", json={"products": ["Beacon Analytics"]})
    assert "No product guide" not in browser.client.get("/incomplete").get_data(as_text=True)


def test_required_metadata_is_a_setting(app, api, browser):
    app.config["REQUIRED_FIELDS"] = "content_type,tags"
    upload(api, title="Typed", content_type="Case study", tags=["q3"])
    upload(api, text="Untyped text", title="Untyped")
    browser.login("marketer")
    html = browser.client.get("/incomplete").get_data(as_text=True)
    assert "Untyped" in html and ">Typed</a>" not in html
    assert "content type, tags" in html


def test_an_unknown_required_field_stops_start_up(tmp_path):
    with pytest.raises(ValueError, match="COLLATERAL_REQUIRED_FIELDS: 'colour'"):
        create_app({"INSTANCE_PATH": str(tmp_path), "REQUIRED_FIELDS": "products,colour"})


def test_owner_home_lists_expiring_and_expired_assets_they_own(api, browser):
    soon = upload(api, title="Soon", expires_at=(TODAY + timedelta(days=10)).isoformat())
    upload(api, text="Later", title="Later", expires_at=(TODAY + timedelta(days=45)).isoformat())
    upload(api, text="Gone", title="Gone", expires_at=(TODAY - timedelta(days=3)).isoformat())
    upload(api, text="Draft text", title="Drafty", status="draft")
    others = api.upload(
        make_docx(["Admin owned"]),
        "admin.docx",
        role="admin",
        title="Admin expiring",
        expires_at=(TODAY + timedelta(days=5)).isoformat(),
    )
    assert others.status_code == 201
    browser.login("marketer")
    html = browser.client.get("/mine").get_data(as_text=True)
    expiring, rest = html.split('id="expired"')
    expired, rest = rest.split('id="drafts"')
    drafts = rest.split('id="incomplete"')[0]
    assert "Soon" in expiring and "Later" not in expiring and "Admin expiring" not in expiring
    assert "Expiring in the next 30 days (1)" in expiring
    assert (TODAY + timedelta(days=10)).isoformat() in expiring
    assert "Gone" in expired and "Soon" not in expired
    assert "Drafty" in drafts
    banner = browser.client.get("/").get_data(as_text=True)
    assert "1 expires within 30 days and 1 has expired" in banner
    assert f"/assets/{soon['id']}" in html


def test_reps_have_no_owner_pages(browser):
    browser.login("rep")
    assert browser.client.get("/mine").status_code == 403
    assert browser.client.get("/incomplete").status_code == 403


def test_an_inactive_owner_does_not_block_edits(app, api, browser):
    asset = upload(api)
    with app.app_context():
        from collateral.services import accounts

        accounts.update_user(accounts.find_user("marketer@example.com").id, active=False)
    path = f"/api/v1/assets/{asset['id']}"
    kept = api.patch(path, role="admin", json={"title": "Renamed", "owner": "marketer@example.com"})
    assert kept.status_code == 200 and kept.get_json()["owner"] == "marketer@example.com"
    browser.login("admin")
    page = f"/assets/{asset['id']}/edit"
    html = browser.client.get(page).get_data(as_text=True)
    assert "marketer@example.com (no longer active)" in html
    saved = browser.post(
        page,
        data={"title": "Renamed again", "status": "published", "owner": "marketer@example.com"},
        token_page=page,
    )
    assert saved.status_code == 302
    moved = api.patch(path, role="admin", json={"owner": "admin@example.com"})
    assert moved.get_json()["owner"] == "admin@example.com"
    refused = api.patch(path, role="admin", json={"owner": "marketer@example.com"})
    assert refused.status_code == 400  # no longer an owner anyone can be given to


def test_the_index_is_written_from_the_database_not_from_rows_kept_in_a_session(app, api):
    """A long-lived session (a bulk import) paying an update owed for someone else's edit."""
    asset = upload(api, title="Plain notes")
    with app.app_context():
        from sqlalchemy.orm import Session

        from collateral.extensions import db
        from collateral.models import Asset, ChangeLog
        from collateral.services.indexing import apply_pending_index_updates

        kept = db.session.get(Asset, asset["id"])  # loaded before the edit below
        assert kept.title == "Plain notes"
        with Session(db.engine) as other:  # another worker's request
            other.get(Asset, asset["id"]).title = "Armadillo notes"
            other.add(ChangeLog(asset_id=asset["id"]))
            other.commit()
        apply_pending_index_updates()
    found = api.search(q="armadillo")["results"]
    assert [r["id"] for r in found] == [asset["id"]]
