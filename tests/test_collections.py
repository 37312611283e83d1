"""Collections (call kits): order, featured ones, hidden assets left out, the streamed zip."""

import io
import zipfile
from datetime import datetime

import pytest
from sqlalchemy import func, select

from collateral.extensions import db
from collateral.models import Collection
from collateral.zip_stream import CHUNK, ZipEntry, stream_zip, unique_names
from tests.factories import file_field, make_docx, make_pdf, make_pptx, multipart


def upload(api, content, filename, title, **fields) -> int:
    response = api.upload(content, filename, title=title, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.fixture
def three(api):
    """Three published assets; two of them with the same file name."""
    return [
        upload(api, make_pdf(["Atlas pricing tiers"]), "deck.pdf", "Atlas pricing"),
        upload(api, make_docx(["Beacon case study for a hospital"]), "deck.docx", "Beacon case"),
        upload(api, make_pdf(["Cobalt battlecard against rivals"]), "deck.pdf", "Cobalt card"),
    ]


def create(api, role="rep", **body):
    return api.post("/api/v1/collections", role=role, json=body)


def collection_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Collection))


def test_a_collection_keeps_its_order_and_a_patch_replaces_it(api, three):
    response = create(api, title="Acme first call", description="For Monday", assets=three)
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/collections/{made['id']}")
    assert [a["id"] for a in made["assets"]] == three
    assert made["owner"] == "rep@example.com" and made["featured"] is False
    assert made["left_out"] == 0 and made["editable"] is True
    reordered = [three[2], three[0], three[1]]
    patched = api.patch(f"/api/v1/collections/{made['id']}", role="rep", json={"assets": reordered})
    assert patched.status_code == 200, patched.get_json()
    again = api.get(f"/api/v1/collections/{made['id']}").get_json()
    assert [a["id"] for a in again["assets"]] == reordered
    assert again["title"] == "Acme first call" and again["description"] == "For Monday"
    listed = api.get("/api/v1/collections").get_json()["results"]
    assert [c["id"] for c in listed] == [made["id"]]
    assert (
        api.client.delete(
            f"/api/v1/collections/{made['id']}", headers=api.headers("rep")
        ).status_code
        == 204
    )
    assert api.get(f"/api/v1/collections/{made['id']}").status_code == 404


def test_the_zip_holds_the_current_files_with_unique_names(api, three):
    made = create(api, title="Kit: Acme / Q1", assets=three).get_json()
    new_deck = make_pptx([("Atlas pricing, new tiers", "Tier three", "notes")])
    data = {"file": file_field(new_deck, "deck.pptx"), "note": "new tiers"}
    assert api.post(f"/api/v1/assets/{three[0]}/versions", **multipart(data)).status_code == 201
    response = api.client.get(made["download_url"], headers=api.headers("rep"))
    assert response.status_code == 200
    assert response.is_streamed and response.mimetype == "application/zip"
    assert "Kit_ Acme _ Q1.zip" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert archive.testzip() is None
    assert archive.namelist() == ["deck.pptx", "deck.docx", "deck.pdf"]
    # Each entry is the current file, byte for byte.
    for name, asset_id in zip(archive.namelist(), three, strict=True):
        current = api.get(f"/api/v1/assets/{asset_id}/download").data
        assert archive.read(name) == current
    assert archive.read("deck.pptx") == new_deck


def test_names_are_made_unique_without_regard_to_case_or_folders():
    names = ["Deck.pdf", "deck.pdf", "../../etc/passwd", ".hidden", "a\\b.txt", "deck.PDF", ""]
    assert unique_names(names) == [
        "Deck.pdf",
        "deck (2).pdf",
        "passwd",
        "hidden",
        "b.txt",
        "deck (3).PDF",
        "file",
    ]


def test_the_zip_is_written_while_it_is_sent(tmp_path):
    """A 3 MB file leaves in pieces of about CHUNK bytes: never the whole archive at once."""
    big = tmp_path / "video.mp4"
    payload = bytes(range(256)) * (3 * 1024 * 1024 // 256)
    big.write_bytes(payload)
    pieces = list(stream_zip([ZipEntry("video.mp4", big, datetime(2026, 1, 1), "video/mp4")]))
    assert len([p for p in pieces if p]) > 40
    assert max(len(p) for p in pieces) <= CHUNK + 1024
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert archive.read("video.mp4") == payload


@pytest.mark.parametrize("state", ["draft", "archived", "expired"])
def test_a_rep_never_sees_a_hidden_asset_of_a_featured_collection(app, api, browser, three, state):
    fields = {"status": "draft"} if state == "draft" else {}
    if state == "expired":
        fields["expires_at"] = "2020-01-31"
    hidden = upload(
        api, make_pdf(["Unreleased Borealis pricing"]), "secret.pdf", "Borealis", **fields
    )
    if state == "archived":
        assert api.post(f"/api/v1/assets/{hidden}/archive").status_code == 200
    made = create(
        api, role="marketer", title="Q1 healthcare launch kit", featured=True,
        assets=[three[0], hidden, three[1]],
    )  # fmt: skip
    assert made.status_code == 201, made.get_json()
    collection_id = made.get_json()["id"]
    seen = api.get(f"/api/v1/collections/{collection_id}", role="rep").get_json()
    assert [a["id"] for a in seen["assets"]] == [three[0], three[1]]
    assert seen["left_out"] == 1 and seen["editable"] is False
    assert "Borealis" not in str(seen)
    assert collection_id in [c["id"] for c in api.get("/api/v1/collections").get_json()["results"]]
    archive = zipfile.ZipFile(
        io.BytesIO(api.get(f"/api/v1/collections/{collection_id}/download", role="rep").data)
    )
    assert archive.namelist() == ["deck.pdf", "deck.docx"]
    assert b"Borealis" not in b"".join(archive.read(n) for n in archive.namelist())
    # The marketer sees all three.
    full = api.get(f"/api/v1/collections/{collection_id}", role="marketer").get_json()
    assert full["left_out"] == 0 and len(full["assets"]) == 3
    # The page says one was left out, and not which.
    browser.login("rep")
    page = browser.client.get(f"/collections/{collection_id}").get_data(as_text=True)
    assert "1 item is not available to you" in page and "Borealis" not in page
    home = browser.client.get("/").get_data(as_text=True)
    assert "Q1 healthcare launch kit" in home


def test_featuring_and_changing_a_featured_collection_need_the_capability(api, three):
    assert create(api, title="Mine", featured=True).status_code == 403
    featured = create(api, role="marketer", title="Launch kit", featured=True, assets=three)
    collection_id = featured.get_json()["id"]
    path = f"/api/v1/collections/{collection_id}"
    assert api.patch(path, role="rep", json={"title": "Taken"}).status_code == 403
    assert api.client.delete(path, headers=api.headers("rep")).status_code == 403
    # Another marketer or an admin may tend it; taking it off the home page is a change too.
    assert api.patch(path, role="admin", json={"featured": False}).status_code == 200
    # Now it is the marketer's own again: others no longer see it at all.
    assert api.get(path, role="rep").status_code == 404
    assert api.get(path, role="admin").status_code == 404


def test_someone_elses_collection_is_unknown(api, three):
    made = create(api, role="manager", title="Manager's kit", assets=three).get_json()
    assert api.get(f"/api/v1/collections/{made['id']}", role="rep").status_code == 404
    assert api.get(f"/api/v1/collections/{made['id']}/download", role="rep").status_code == 404
    assert (
        api.patch(f"/api/v1/collections/{made['id']}", role="rep", json={"title": "x"}).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "title"),
        ({"title": "  "}, "title"),
        ({"title": "x" * 301}, "at most 300"),
        ({"title": "Kit", "assets": "1,2"}, "list of asset ids"),
        ({"title": "Kit", "assets": [1, 1]}, "once"),
        ({"title": "Kit", "assets": [999999]}, "no asset with id 999999"),
        ({"title": "Kit", "assets": [True]}, "list of asset ids"),
        ({"title": "Kit", "featured": "yes"}, "true or false"),
        ({"title": "Kit", "colour": "red"}, "colour: not a field"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_written(app, api, body, words):
    response = create(api, **body)
    assert response.status_code == 400, response.get_json()
    assert words in response.get_json()["error"]["message"]
    assert collection_count(app) == 0


def test_a_rep_cannot_learn_of_a_draft_by_adding_it(app, api, three):
    draft = upload(api, b"Draft plans", "draft.txt", "Secret draft", status="draft")
    refused = create(api, title="Kit", assets=[three[0], draft]).get_json()["error"]["message"]
    unknown = create(api, title="Kit", assets=[three[0], 999999]).get_json()["error"]["message"]
    assert refused.replace(str(draft), "N") == unknown.replace("999999", "N")
    assert collection_count(app) == 0


def test_a_reorder_by_a_rep_keeps_the_items_hidden_from_them(api, three):
    made = create(api, title="Kit", assets=three).get_json()
    assert api.post(f"/api/v1/assets/{three[1]}/archive").status_code == 200
    path = f"/api/v1/collections/{made['id']}"
    response = api.patch(path, role="rep", json={"assets": [three[2], three[0]]})
    assert [a["id"] for a in response.get_json()["assets"]] == [three[2], three[0]]
    assert response.get_json()["left_out"] == 1
    restored = api.patch(f"/api/v1/assets/{three[1]}", json={"status": "published"})
    assert restored.status_code == 200
    again = api.get(path).get_json()
    assert [a["id"] for a in again["assets"]] == [three[2], three[0], three[1]]


def test_pages_add_from_results_reorder_with_buttons_and_download(api, browser, three):
    browser.login("rep")
    results = browser.client.get("/?q=deck").get_data(as_text=True)
    assert "Add to collection" in results
    response = browser.post(
        "/collections/add",
        {"asset_id": three[0], "collection": "new", "title": "Acme kit", "next": "/?q=pricing"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/?q=pricing"
    kit = api.get("/api/v1/collections").get_json()["results"][0]
    for asset_id in three[1:]:
        assert (
            browser.post(
                "/collections/add", {"asset_id": asset_id, "collection": kit["id"]}
            ).status_code
            == 303
        )
    moved = browser.post(f"/collections/{kit['id']}/items/{three[2]}/move", {"direction": "up"})
    assert moved.status_code == 303
    order = [a["id"] for a in api.get(f"/api/v1/collections/{kit['id']}").get_json()["assets"]]
    assert order == [three[0], three[2], three[1]]
    page = browser.client.get(f"/collections/{kit['id']}").get_data(as_text=True)
    assert page.index("Cobalt card") < page.index("Beacon case")
    assert "Download all (zip)" in page
    zipped = browser.client.get(f"/collections/{kit['id']}/download")
    assert zipfile.ZipFile(io.BytesIO(zipped.get_data())).namelist() == [
        "deck.pdf", "deck (2).pdf", "deck.docx",
    ]  # fmt: skip
    bad = browser.post(f"/collections/{kit['id']}/items/{three[2]}/move", {"direction": "sideways"})
    assert bad.status_code == 400 and "direction" in bad.get_data(as_text=True)


def test_each_file_of_a_kit_download_counts_once_and_a_head_counts_none(app, api, three):
    made = create(api, title="Kit", assets=three[:2]).get_json()
    head = api.client.head(made["download_url"], headers=api.headers("rep"))
    assert head.status_code == 200 and head.mimetype == "application/zip"
    assert api.get(made["download_url"]).status_code == 200
    events = api.get("/api/v1/events?type=download", role="manager").get_json()["events"]
    assert sorted(e["asset"] for e in events) == sorted(three[:2])
    assert {e["detail"]["collection"] for e in events} == {made["id"]}
    with app.app_context():
        from collateral.models import Asset

        assert [db.session.get(Asset, i).download_count for i in three] == [1, 1, 0]
