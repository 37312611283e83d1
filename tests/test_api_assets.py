"""Upload, read, change, archive and download through /api/v1/assets."""

import gc
import hashlib
import warnings
from datetime import date, timedelta

import pytest

from tests.factories import make_docx, make_pdf, make_pptx, make_xlsx

DECK = make_pptx(
    [
        ("Atlas overview", "Pipeline management for field sales", ""),
        ("Pricing tiers", "Starter, Growth and Enterprise plans", "Lead with the Growth plan"),
        ("Integrations", "Salesforce and HubSpot connectors", ""),
    ]
)


def upload_deck(api, **fields):
    fields.setdefault("title", "Atlas sales deck")
    response = api.upload(DECK, "atlas-deck.pptx", **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_upload_returns_the_asset_with_location(api):
    response = api.upload(
        DECK,
        "atlas-deck.pptx",
        title="Atlas sales deck",
        description="The standard first-call deck",
        products=["Atlas CRM", "Beacon Analytics"],
        industries=["Retail"],
        stages=["Discovery", "Demo"],
        content_type="Presentation",
        tags=["q3", "flagship"],
    )
    assert response.status_code == 201
    asset = response.get_json()
    assert response.headers["Location"] == f"/api/v1/assets/{asset['id']}"
    assert asset["title"] == "Atlas sales deck"
    assert asset["products"] == ["Atlas CRM", "Beacon Analytics"]
    assert asset["industries"] == ["Retail"]
    assert asset["stages"] == ["Discovery", "Demo"]
    assert asset["content_type"] == "Presentation"
    assert asset["tags"] == ["q3", "flagship"]
    assert asset["status"] == "published"
    assert asset["owner"] == "marketer@example.com"
    version = asset["current_version"]
    assert version["number"] == 1
    assert version["filename"] == "atlas-deck.pptx"
    assert version["size"] == len(DECK)
    assert version["sha256"] == hashlib.sha256(DECK).hexdigest()
    assert version["pages"] == 3
    assert version["searchable_text"] is True
    assert asset["versions"][0]["number"] == 1
    assert asset["download_url"] == f"/api/v1/assets/{asset['id']}/download"


def test_uploaded_file_is_found_by_its_text_at_once(api):
    asset = upload_deck(api)
    results = api.search(q="salesforce connectors")["results"]
    assert [r["id"] for r in results] == [asset["id"]]
    assert results[0]["highlights"][0]["where"] == "slide 3"
    assert "<mark>" in results[0]["highlights"][0]["text"]


def test_speaker_notes_are_searchable(api):
    asset = upload_deck(api)
    results = api.search(q="lead with growth")["results"]
    assert results[0]["id"] == asset["id"]
    assert results[0]["highlights"][0]["where"] == "slide 2"


@pytest.mark.parametrize(
    ("content", "filename", "where"),
    [
        (make_pdf(["Intro page", "Our zebrafish guarantee is unique"]), "a.pdf", "page 2"),
        (make_docx(["Intro", "Our zebrafish guarantee is unique"]), "a.docx", "document"),
        (
            make_xlsx({"Prices": [["Plan", "Price"]], "Fish": [["zebrafish", 3]]}),
            "a.xlsx",
            "sheet Fish",
        ),
        (b"Our zebrafish guarantee is unique", "a.txt", "document"),
        (b"# Heading\n\nOur *zebrafish* guarantee", "a.md", "document"),
        (b"name,animal\nx,zebrafish\n", "a.csv", "document"),
        (
            b"<html><body><p>zebrafish</p><script>var hidden='x'</script></body></html>",
            "a.html",
            "document",
        ),
    ],
)
def test_each_text_format_is_extracted_where_it_occurs(api, content, filename, where):
    asset = api.upload(content, filename, title="Doc").get_json()
    results = api.search(q="zebrafish")["results"]
    assert results and results[0]["id"] == asset["id"]
    assert results[0]["highlights"][0]["where"] == where


def test_missing_title_is_400_naming_the_field_and_stores_nothing(api, app):
    response = api.upload(DECK, "deck.pptx", title="")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith("title:")
    assert not list(
        (app.config["UPLOAD_ROOT"] and __import__("pathlib").Path(app.config["UPLOAD_ROOT"])).glob(
            "??/??/*"
        )
    )


def test_unknown_taxonomy_name_is_400_listing_accepted(api):
    response = api.upload(DECK, "deck.pptx", title="Deck", products=["Zeppelin"])
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert "Zeppelin" in message and "Atlas CRM" in message and "Cobalt Payments" in message


def test_missing_file_is_400(api):
    response = api.post("/api/v1/assets", data={"title": "x"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "file" in response.get_json()["error"]["message"]


def test_bad_expiry_date_is_400(api):
    response = api.upload(DECK, "deck.pptx", title="Deck", expires_at="next tuesday")
    assert response.status_code == 400
    assert "expires_at" in response.get_json()["error"]["message"]


def test_over_the_size_limit_is_413_with_the_limit(app, api):
    app.config["MAX_UPLOAD_MB"] = 1
    app.config["MAX_CONTENT_LENGTH"] = None  # let the body through to the exact check
    # A raw body: the test client would spill a large dict body to a file it never closes.
    body = (
        b"--b\r\nContent-Disposition: form-data; name=title\r\n\r\nBig\r\n"
        b"--b\r\nContent-Disposition: form-data; name=file; filename=big.txt\r\n\r\n"
        + b"a" * (1024 * 1024 + 10)
        + b"\r\n--b--\r\n"
    )
    response = api.post("/api/v1/assets", data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413
    assert "1 MB" in response.get_json()["error"]["message"]
    root = __import__("pathlib").Path(app.config["UPLOAD_ROOT"])
    assert not list(root.glob("??/??/*")) and not list(root.glob("tmp/*"))


def test_content_length_over_the_limit_is_413_before_reading(app, api):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    body = b"--b\r\nContent-Disposition: form-data; name=file; filename=a.txt\r\n\r\n"
    response = api.post(
        "/api/v1/assets", data=body + b"a" * 5000, content_type="multipart/form-data; boundary=b"
    )
    assert response.status_code == 413
    assert "MB" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"<html><body>not a pdf</body></html>", "brochure.pdf"),
        (b"just some text", "clip.mp4"),
        (b"{\\rtf1 hello}", "letter.rtf"),
        (b"MZ\x90\x00binary", "setup.exe"),
    ],
)
def test_wrong_or_unaccepted_types_are_415_and_store_nothing(app, api, content, filename):
    response = api.upload(content, filename, title="Bad")
    assert response.status_code == 415
    assert "Accepted" in response.get_json()["error"]["message"]
    root = __import__("pathlib").Path(app.config["UPLOAD_ROOT"])
    assert not list(root.glob("??/??/*")) and not list(root.glob("tmp/*"))


def test_unreadable_pdf_is_stored_without_searchable_text(api):
    damaged = b"%PDF-1.4\n" + b"\x00garbage" * 100
    response = api.upload(damaged, "broken.pdf", title="Quarterly zeppelin review")
    assert response.status_code == 201
    version = response.get_json()["current_version"]
    assert version["searchable_text"] is False
    assert version["text_error"]
    assert [r["title"] for r in api.search(q="zeppelin")["results"]] == [
        "Quarterly zeppelin review"
    ]


def test_image_is_stored_with_metadata_only(api):
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "PNG")
    response = api.upload(out.getvalue(), "logo.png", title="Logo")
    assert response.status_code == 201
    assert response.get_json()["current_version"]["mime_type"] == "image/png"


def test_get_asset_and_view_is_audited(api):
    asset = upload_deck(api)
    response = api.get(f"/api/v1/assets/{asset['id']}", role="rep")
    assert response.status_code == 200
    assert response.get_json()["title"] == "Atlas sales deck"
    events = api.get("/api/v1/events", role="manager", query_string={"type": "view"}).get_json()
    assert events["events"][0]["asset"] == asset["id"]
    assert events["events"][0]["user"] == "rep@example.com"


def test_unknown_asset_is_404_json(api):
    response = api.get("/api/v1/assets/9999")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("status", "expires_at", "rep_sees"),
    [
        ("published", "", True),
        ("draft", "", False),
        ("archived", "", False),
        ("published", (date.today() - timedelta(days=2)).isoformat(), False),
        ("published", (date.today() + timedelta(days=2)).isoformat(), True),
    ],
)
def test_reps_see_only_live_published_assets(api, status, expires_at, rep_sees):
    asset = upload_deck(api, status=status, expires_at=expires_at)
    path = f"/api/v1/assets/{asset['id']}"
    assert api.get(path, role="rep").status_code == (200 if rep_sees else 404)
    assert api.get(path + "/download", role="rep").status_code == (200 if rep_sees else 404)
    assert (asset["id"] in [r["id"] for r in api.search(role="rep")["results"]]) is rep_sees
    assert api.get(path, role="marketer").status_code == 200


def test_patch_changes_metadata_reindexes_and_audits(api):
    asset = upload_deck(api)
    response = api.patch(
        f"/api/v1/assets/{asset['id']}",
        json={"title": "Atlas zeppelin deck", "products": ["Cobalt Payments"], "tags": ["new"]},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "Atlas zeppelin deck" and body["products"] == ["Cobalt Payments"]
    assert api.search(q="zeppelin")["results"][0]["id"] == asset["id"]
    assert api.search(product="Cobalt Payments")["total"] == 1
    event = api.get("/api/v1/events", role="admin", query_string={"type": "update"}).get_json()
    changes = event["events"][0]["detail"]["changes"]
    assert changes["title"] == ["Atlas sales deck", "Atlas zeppelin deck"]
    assert changes["products"] == [[], ["Cobalt Payments"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "deleted"}, "status"),
        ({"products": "Atlas CRM"}, None),
        ({"products": [1, 2]}, "products"),
        ({"title": ""}, "title"),
        ({"colour": "red"}, "colour"),
        ({}, None),
    ],
)
def test_patch_rejects_bad_fields(api, body, field):
    asset = upload_deck(api)
    response = api.patch(f"/api/v1/assets/{asset['id']}", json=body)
    if body == {"products": "Atlas CRM"}:  # a single name is accepted as a one-item list
        assert response.status_code == 200
        return
    assert response.status_code == 400
    if field:
        assert response.get_json()["error"]["message"].startswith(field)


def test_patch_with_non_json_body_is_400(api):
    asset = upload_deck(api)
    response = api.patch(f"/api/v1/assets/{asset['id']}", data="title=x")
    assert response.status_code == 400


def test_archive_hides_from_reps_and_keeps_for_marketers(api):
    asset = upload_deck(api)
    response = api.post(f"/api/v1/assets/{asset['id']}/archive")
    assert response.status_code == 200 and response.get_json()["status"] == "archived"
    assert api.search(role="rep")["total"] == 0
    assert api.search(role="marketer", status="archived")["total"] == 1


def test_download_is_an_attachment_with_original_name_and_nosniff(api):
    asset = upload_deck(api)
    response = api.get(asset["download_url"])
    assert response.status_code == 200
    assert response.data == DECK
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "atlas-deck.pptx" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["ETag"].strip('"') == hashlib.sha256(DECK).hexdigest()


def test_download_answers_range_and_conditional_requests(api):
    asset = upload_deck(api)
    partial = api.get(asset["download_url"], headers={"Range": "bytes=10-19"})
    assert partial.status_code == 206
    assert partial.data == DECK[10:20]
    etag = partial.headers["ETag"]
    cached = api.get(asset["download_url"], headers={"If-None-Match": etag})
    assert cached.status_code == 304


def test_a_range_past_the_end_is_416_and_closes_the_file(api):
    asset = upload_deck(api)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        refused = api.get(asset["download_url"], headers={"Range": f"bytes={len(DECK) + 10}-"})
        gc.collect()  # an unclosed file warns when it is collected
    assert refused.status_code == 416
    assert refused.headers["Content-Range"] == f"bytes */{len(DECK)}"
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []


def test_non_ascii_filename_uses_rfc6266_filename_star(api):
    response = api.upload(b"hello", "Préséntation «Q3».txt", title="Accents")
    asset = response.get_json()
    disposition = api.get(asset["download_url"]).headers["Content-Disposition"]
    assert "filename*=UTF-8''Pr%C3%A9s%C3%A9ntation" in disposition


def test_hostile_filename_is_kept_for_display_only(api, app):
    response = api.upload(b"hello", "../../etc/passwd.txt", title="Hostile")
    assert response.status_code == 201
    assert response.get_json()["current_version"]["filename"] == "passwd.txt"
    root = __import__("pathlib").Path(app.config["UPLOAD_ROOT"])
    assert not (root.parent / "etc").exists()


def test_downloads_are_counted_and_audited(api):
    asset = upload_deck(api)
    api.get(asset["download_url"], role="rep")
    api.get(asset["download_url"], role="rep", headers={"Range": "bytes=100-"})
    events = api.get("/api/v1/events", role="manager", query_string={"type": "download"})
    rows = events.get_json()["events"]
    assert len(rows) == 1
    assert rows[0]["user"] == "rep@example.com" and rows[0]["version"] == 1


def test_old_version_download_rules(api):
    asset = upload_deck(api)
    url = asset["download_url"]
    assert api.get(url, role="rep", query_string={"version": 1}).status_code == 200
    assert api.get(url, role="rep", query_string={"version": 2}).status_code == 403
    assert api.get(url, role="manager", query_string={"version": 2}).status_code == 404
    assert api.get(url, role="rep", query_string={"version": "x"}).status_code == 400


def test_a_failed_database_write_leaves_no_blob_and_no_rows(app, api):
    """A real failure inside the transaction (a trigger aborting the insert), not a mock."""
    from sqlalchemy import func, select, text

    from collateral.extensions import db
    from collateral.models import Asset, Event

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            trigger = (
                "CREATE FUNCTION refuse_versions() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
                "CREATE TRIGGER refuse_versions BEFORE INSERT ON version "
                "FOR EACH ROW EXECUTE FUNCTION refuse_versions()",
            )
        else:
            trigger = (
                "CREATE TRIGGER refuse_versions BEFORE INSERT ON version "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END",
            )
        for statement in trigger:
            db.session.execute(text(statement))
        db.session.commit()
    response = api.upload(b"Doomed upload", "doomed.txt", title="Doomed")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal"
    root = __import__("pathlib").Path(app.config["UPLOAD_ROOT"])
    assert not list(root.glob("??/??/*")) and not list(root.glob("tmp/*"))
    with app.app_context():
        assert db.session.scalar(select(func.count(Asset.id))) == 0
        assert db.session.scalar(select(func.count(Event.id)).where(Event.type == "upload")) == 0
    assert api.search(q="doomed")["total"] == 0
