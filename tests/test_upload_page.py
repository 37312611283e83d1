"""The upload page as its script uses it (one file per request, asking for JSON) and as a plain
form: required fields marked, a refusal shown beside the field it concerns."""

from pathlib import Path

import pytest

from collateral.extensions import db
from collateral.models import Asset, Event
from tests.conftest import PASSWORD, csrf_token_from
from tests.factories import file_field, make_pdf, make_pptx

JSON = {"Accept": "application/json"}


@pytest.fixture
def marketer(client, browser):
    browser.login("marketer")
    return csrf_token_from(client.get("/upload").get_data(as_text=True))


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_ROOT"])
    return [*root.glob("??/??/*"), *root.glob("tmp/*")]


def asset_count(app) -> int:
    with app.app_context():
        return db.session.query(Asset).count()


def send(client, token: str | None, content: bytes, filename: str, **fields):
    headers = {**JSON, **({"X-CSRFToken": token} if token else {})}
    data = {"file": file_field(content, filename), "title": "Untitled", **fields}
    return client.post("/upload", data=data, headers=headers)


def test_a_file_sent_by_the_script_is_created_and_answered_in_json(app, client, marketer):
    response = send(
        client,
        marketer,
        make_pptx([("Atlas", "Atlas pricing", "")]),
        "atlas.pptx",
        title="Atlas pricing deck",
        products=["Atlas CRM"],
        stages=["Demo"],
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["title"] == "Atlas pricing deck"
    assert body["url"] == f"/assets/{body['id']}" == response.headers["Location"]
    assert body["level"] == "success" and "indexed" in body["message"]
    with app.app_context():
        asset = db.session.get(Asset, body["id"])
        assert [t.name for t in asset.terms_of("product")] == ["Atlas CRM"]
        assert [t.name for t in asset.terms_of("stage")] == ["Demo"]
    # Nothing was flashed for a later page to show.
    assert "Uploaded and indexed" not in client.get("/").get_data(as_text=True)


def test_a_duplicate_is_a_409_naming_the_asset_that_has_the_file(app, client, marketer):
    content = make_pdf(["Kestrel brochure"])
    first = send(client, marketer, content, "kestrel.pdf", title="Kestrel brochure")
    files_before = sorted(stored_files(app))
    again = send(client, marketer, content, "copy.pdf", title="Kestrel again")
    assert again.status_code == 409
    error = again.get_json()["error"]
    assert error["code"] == "duplicate" and error["field"] == "file"
    assert error["asset"] == {
        "id": first.get_json()["id"],
        "title": "Kestrel brochure",
        "url": first.get_json()["url"],
    }
    assert asset_count(app) == 1 and sorted(stored_files(app)) == files_before
    kept = send(client, marketer, content, "copy.pdf", title="Again", allow_duplicate="true")
    assert kept.status_code == 201 and asset_count(app) == 2


@pytest.mark.parametrize(
    ("content", "filename", "fields", "status", "field", "words"),
    [
        (b"just some text", "clip.mp4", {}, 415, "file", "does not contain MP4 video"),
        (b"MZ\x90\x00binary", "setup.exe", {}, 415, "file", "Accepted"),
        (b"Walrus facts", "w.txt", {"title": "  "}, 400, "title", "give the asset a title"),
        (b"Walrus facts", "w.txt", {"products": ["Zeppelin"]}, 400, "products", "Atlas CRM"),
        (b"Walrus facts", "w.txt", {"expires_at": "soon"}, 400, "expires_at", "expires_at"),
    ],
)
def test_a_refusal_is_json_with_the_reason_and_field_and_stores_nothing(
    app, client, marketer, content, filename, fields, status, field, words
):
    response = send(client, marketer, content, filename, **fields)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["field"] == field and words in error["message"]
    assert asset_count(app) == 0 and stored_files(app) == []


def test_the_script_needs_the_csrf_token_and_hears_so_in_json(app, client, marketer):
    response = send(client, None, b"Walrus facts", "w.txt", title="Walrus")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf"
    stolen = send(client, "not-the-token", b"Walrus facts", "w.txt", title="Walrus")
    assert stolen.status_code == 400 and stolen.get_json()["error"]["code"] == "csrf"
    assert asset_count(app) == 0 and stored_files(app) == []


def test_a_file_over_the_limit_is_a_413_in_json(app, client, marketer):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    response = send(client, marketer, b"a" * 5000, "big.txt", title="Big")
    assert response.status_code == 413
    assert "MB" in response.get_json()["error"]["message"]
    assert asset_count(app) == 0 and stored_files(app) == []


def test_a_rep_is_refused_in_json_and_nothing_is_written(app, client, browser):
    browser.login("rep")
    token = browser.csrf()
    response = send(client, token, b"Walrus facts", "w.txt", title="Walrus")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert asset_count(app) == 0 and stored_files(app) == []
    with app.app_context():
        assert db.session.query(Event).filter_by(type="upload").count() == 0


def test_asking_for_json_skips_no_csrf_check_when_signed_out(client):
    response = send(client, None, b"Walrus facts", "w.txt", title="Walrus")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf"
    sign_in = client.post(
        "/login",
        data={"email": "marketer@example.com", "password": PASSWORD},
        headers=JSON,
    )
    assert sign_in.status_code == 400 and sign_in.get_json()["error"]["code"] == "csrf"
    assert "Upload" not in client.get("/").get_data(as_text=True)


def test_the_form_marks_what_it_needs(client, marketer):
    html = client.get("/upload").get_data(as_text=True)
    assert 'name="file" required aria-required="true"' in html
    assert 'name="title" value="" required aria-required="true"' in html
    assert html.count('class="required-mark"') == 2
    # Fields an asset is incomplete without (COLLATERAL_REQUIRED_FIELDS) are marked too.
    assert html.count('class="wanted-mark"') == 2 and "Missing metadata" in html
    assert "upload.js" in html


def test_without_script_a_refusal_is_shown_beside_its_field(app, client, marketer):
    response = client.post(
        "/upload",
        data={
            "csrf_token": marketer,
            "file": file_field(b"Walrus facts", "w.txt"),
            "title": "Walrus",
            "products": ["Zeppelin"],
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<fieldset aria-invalid="true" aria-describedby="products-error">' in html
    assert 'id="products-error" data-error-for="products">products:' in html
    assert 'class="flash flash-error"' not in html  # beside the field, not at the top
    assert 'value="Walrus"' in html

    wrong_type = client.post(
        "/upload",
        data={"csrf_token": marketer, "file": file_field(b"x", "clip.mp4"), "title": "Clip"},
    )
    assert wrong_type.status_code == 415
    html = wrong_type.get_data(as_text=True)
    assert 'aria-invalid="true" aria-describedby="file-error"' in html
    assert 'id="file-error"' in html and "does not contain MP4 video" in html
    assert asset_count(app) == 0 and stored_files(app) == []


def test_the_edit_form_shows_a_refusal_beside_its_field(client, marketer):
    created = send(client, marketer, b"Walrus facts", "w.txt", title="Walrus").get_json()
    response = client.post(
        f"/assets/{created['id']}/edit",
        data={"csrf_token": marketer, "title": "", "status": "published"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true" aria-describedby="title-error"' in html
    assert "give the asset a title" in html
