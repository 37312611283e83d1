"""New versions of an asset, and the refusal of copies of files already in the library."""

import hashlib

import pytest
from sqlalchemy import func, select

from tests.factories import file_field, make_pdf, make_pptx, multipart

DECK_V1 = make_pptx([("Harbor pricing", "Starter plan at forty dollars", "")])
DECK_V2 = make_pptx(
    [("Harbor pricing", "Starter plan at fifty dollars", ""), ("Volume", "Zephyr discounts", "")]
)
DECK_V3 = make_pptx([("Harbor pricing", "Quasar bundle for enterprises", "")])


def upload(api, content=DECK_V1, filename="pricing.pptx", **fields):
    fields.setdefault("title", "Harbor pricing deck")
    response = api.upload(content, filename, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def add_version(api, asset_id, content, filename="pricing-v2.pptx", role="marketer", **fields):
    data = {"file": file_field(content, filename), **fields}
    return api.post(f"/api/v1/assets/{asset_id}/versions", role=role, **multipart(data))


def test_new_version_becomes_current_and_keeps_the_history(api):
    asset = upload(api)
    response = add_version(api, asset["id"], DECK_V2, note="Prices for Q3")
    assert response.status_code == 201, response.get_json()
    assert response.headers["Location"] == f"/api/v1/assets/{asset['id']}"
    body = response.get_json()
    current = body["current_version"]
    assert current["number"] == 2
    assert current["filename"] == "pricing-v2.pptx"
    assert current["sha256"] == hashlib.sha256(DECK_V2).hexdigest()
    assert current["pages"] == 2
    assert current["note"] == "Prices for Q3"
    assert current["uploaded_by"] == "marketer@example.com"
    history = body["versions"]
    assert [v["number"] for v in history] == [1, 2]
    assert [v["size"] for v in history] == [len(DECK_V1), len(DECK_V2)]
    assert history[0]["note"] == ""
    assert body["title"] == "Harbor pricing deck"  # metadata is the asset's, not the file's


def test_search_and_highlights_follow_the_current_version_at_once(api):
    asset = upload(api)
    assert [r["id"] for r in api.search(q="forty")["results"]] == [asset["id"]]
    add_version(api, asset["id"], DECK_V2)
    assert api.search(q="forty")["total"] == 0
    result = api.search(q="zephyr")["results"]
    assert [r["id"] for r in result] == [asset["id"]]
    assert result[0]["highlights"][0]["where"] == "slide 2"
    assert "<mark>Zephyr</mark>" in result[0]["highlights"][0]["text"]


def test_each_role_downloads_the_versions_it_may(api):
    asset = upload(api)
    add_version(api, asset["id"], DECK_V2)
    url = asset["download_url"]
    current = api.get(url, role="rep")
    assert current.status_code == 200 and current.data == DECK_V2
    assert api.get(url, role="rep", query_string={"version": 2}).data == DECK_V2
    refused = api.get(url, role="rep", query_string={"version": 1})
    assert refused.status_code == 403
    assert "older versions" in refused.get_json()["error"]["message"]
    for role in ("marketer", "manager", "admin"):
        old = api.get(url, role=role, query_string={"version": 1})
        assert old.status_code == 200 and old.data == DECK_V1, role
        assert "pricing.pptx" in old.headers["Content-Disposition"]
    assert api.get(url, role="admin", query_string={"version": 3}).status_code == 404


def test_new_version_is_audited_with_its_note(api):
    asset = upload(api)
    add_version(api, asset["id"], DECK_V2, note="Prices for Q3")
    events = api.get(
        "/api/v1/events", role="manager", query_string={"type": "new_version"}
    ).get_json()["events"]
    assert len(events) == 1
    event = events[0]
    assert (event["asset"], event["version"], event["user"]) == (
        asset["id"],
        2,
        "marketer@example.com",
    )
    assert event["detail"]["note"] == "Prices for Q3"
    assert event["detail"]["sha256"] == hashlib.sha256(DECK_V2).hexdigest()


@pytest.mark.parametrize(("role", "status"), [("rep", 403), ("manager", 403), ("admin", 201)])
def test_only_marketers_and_admins_add_versions(api, role, status):
    asset = upload(api)
    assert add_version(api, asset["id"], DECK_V2, role=role).status_code == status


def test_version_errors_are_clear_and_change_nothing(app, api):
    asset = upload(api)
    path = f"/api/v1/assets/{asset['id']}/versions"
    assert add_version(api, 99999, DECK_V2).status_code == 404
    no_file = api.post(path, data={"note": "x"})
    assert no_file.status_code == 400 and "file" in no_file.get_json()["error"]["message"]
    bad_type = add_version(api, asset["id"], b"MZ\x90\x00binary", "tool.exe")
    assert bad_type.status_code == 415
    long_note = add_version(api, asset["id"], DECK_V2, note="x" * 2001)
    assert long_note.status_code == 400 and "note" in long_note.get_json()["error"]["message"]
    unknown = add_version(api, asset["id"], DECK_V2, title="Renamed")
    assert unknown.status_code == 400 and "title" in unknown.get_json()["error"]["message"]
    same = add_version(api, asset["id"], DECK_V1)
    assert same.status_code == 409
    assert "identical to version 1" in same.get_json()["error"]["message"]
    after = api.get(f"/api/v1/assets/{asset['id']}", role="marketer").get_json()
    assert [v["number"] for v in after["versions"]] == [1]
    with app.app_context():
        from collateral.extensions import db
        from collateral.models import Version
        from collateral.services.resources import blob_store

        assert db.session.scalar(select(func.count()).select_from(Version)) == 1
        stored = {sha for sha in blob_store().iter_blobs()}
        assert hashlib.sha256(DECK_V2).hexdigest() not in stored
        assert list(blob_store().iter_temp_files()) == []


def test_an_older_file_may_come_back_as_a_new_version(api):
    asset = upload(api)
    add_version(api, asset["id"], DECK_V2)
    response = add_version(api, asset["id"], DECK_V1, filename="pricing.pptx", note="Undo Q3")
    assert response.status_code == 201
    assert response.get_json()["current_version"]["number"] == 3
    assert [r["id"] for r in api.search(q="forty")["results"]] == [asset["id"]]


def test_uploading_a_copy_of_another_assets_file_is_409_linking_it(api):
    first = upload(api)
    response = api.upload(DECK_V1, "copy-of-pricing.pptx", title="Pricing again")
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "duplicate"
    assert error["asset"] == {
        "id": first["id"],
        "title": "Harbor pricing deck",
        "url": f"/assets/{first['id']}",
    }
    assert "Harbor pricing deck" in error["message"] and "allow_duplicate" in error["message"]
    assert api.search(role="marketer")["total"] == 1


def test_allow_duplicate_keeps_a_second_copy(api):
    first = upload(api)
    response = api.upload(
        DECK_V1, "copy.pptx", title="Pricing for partners", allow_duplicate="true"
    )
    assert response.status_code == 201
    second = response.get_json()
    assert second["id"] != first["id"]
    assert second["current_version"]["sha256"] == first["current_version"]["sha256"]
    bad = api.upload(DECK_V1, "copy.pptx", title="Again", allow_duplicate="perhaps")
    assert bad.status_code == 400 and "allow_duplicate" in bad.get_json()["error"]["message"]


def test_a_new_version_that_copies_another_asset_is_409_unless_allowed(api):
    first = upload(api)
    other = upload(api, DECK_V3, "quasar.pptx", title="Quasar bundle")
    refused = add_version(api, other["id"], DECK_V1)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["asset"]["id"] == first["id"]
    allowed = add_version(api, other["id"], DECK_V1, allow_duplicate="true")
    assert allowed.status_code == 201


def test_only_current_versions_count_as_copies(api):
    asset = upload(api)
    add_version(api, asset["id"], DECK_V2)
    # Version 1 is history now; uploading it as a new asset is not a copy of a live file.
    assert api.upload(DECK_V1, "old-pricing.pptx", title="Old pricing").status_code == 201


def test_new_version_page_uploads_and_shows_a_duplicate_with_a_link(api, browser):
    asset = upload(api)
    other = upload(api, DECK_V3, "quasar.pptx", title="Quasar bundle")
    browser.login("marketer")
    page = f"/assets/{asset['id']}/versions/new"
    form = browser.client.get(page)
    assert form.status_code == 200 and b"New version of" in form.data
    done = browser.post(
        page,
        data={"file": file_field(DECK_V2, "v2.pptx"), "note": "Q3"},
        token_page=page,
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    shown = browser.client.get(f"/assets/{asset['id']}").get_data(as_text=True)
    assert "v2.pptx" in shown and "Q3" in shown and "2 (current)" in shown
    duplicate = browser.post(
        f"/assets/{other['id']}/versions/new",
        data={"file": file_field(DECK_V2, "again.pptx")},
        token_page=page,
        content_type="multipart/form-data",
    )
    assert duplicate.status_code == 409
    html = duplicate.get_data(as_text=True)
    assert f'href="/assets/{asset["id"]}"' in html and "Keep a second copy" not in html
    assert 'name="allow_duplicate"' in html


def test_upload_page_shows_the_existing_asset_for_a_duplicate(api, browser):
    asset = upload(api)
    browser.login("marketer")
    response = browser.post(
        "/upload",
        data={"file": file_field(DECK_V1, "same.pptx"), "title": "Same again"},
        token_page="/upload",
        content_type="multipart/form-data",
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert f'<a href="/assets/{asset["id"]}">“Harbor pricing deck”</a>' in html
    assert "Keep a second copy anyway" in html
    kept = browser.post(
        "/upload",
        data={
            "file": file_field(DECK_V1, "same.pptx"),
            "title": "Same again",
            "allow_duplicate": "true",
        },
        token_page="/upload",
        content_type="multipart/form-data",
    )
    assert kept.status_code == 302


def test_pdf_versions_change_page_counts(api):
    asset = upload(api, make_pdf(["Alpha page"]), "brief.pdf", title="Brief")
    response = add_version(api, asset["id"], make_pdf(["Alpha page", "Beta page"]), "brief.pdf")
    assert response.get_json()["current_version"]["pages"] == 2
