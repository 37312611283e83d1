"""Thumbnails and PDF page images as users fetch them: stored at upload, cached, access-checked."""

import io

import pytest
from PIL import Image
from sqlalchemy import update

from tests.conftest import run_jobs
from tests.factories import make_pdf, make_pptx


def png(colour, size=(900, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def image_of(response) -> Image.Image:
    assert response.status_code == 200, response.get_data()[:300]
    assert response.mimetype == "image/jpeg"
    return Image.open(io.BytesIO(response.data))


def fetch(client, url):
    """GET a streamed file whole, then let go of it."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def upload(api, content, filename, **fields):
    response = api.upload(content, filename, title=fields.pop("title", filename), **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (make_pdf(["Falcon pricing overview", "Second page"]), "falcon.pdf"),
        (make_pptx([("Falcon deck", "First slide", "")]), "falcon.pptx"),
        (png((200, 30, 30)), "falcon.png"),
        (b"Plain words about falcons", "falcon.txt"),
    ],
)
def test_every_upload_gets_a_thumbnail_served_with_cache_headers(api, content, filename):
    asset = upload(api, content, filename)
    url = asset["thumbnail_url"]
    assert url.startswith(f"/api/v1/assets/{asset['id']}/thumbnail?v=")
    response = api.get(url)
    picture = image_of(response)
    assert picture.width <= 320 and picture.height <= 420
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["Cache-Control"].startswith("private")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    etag = response.headers["ETag"]
    again = api.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    unversioned = api.get(f"/api/v1/assets/{asset['id']}/thumbnail")
    assert unversioned.headers["Cache-Control"] == "private, no-cache"


def test_an_image_thumbnail_is_the_image_scaled_down(api):
    asset = upload(api, png((200, 30, 30)), "red.png")
    picture = image_of(api.get(asset["thumbnail_url"])).convert("RGB")
    assert picture.size == (320, 213)
    red, green, blue = picture.getpixel((160, 100))
    assert red > 170 and green < 70 and blue < 70


def test_a_pdf_thumbnail_is_its_first_page(api):
    asset = upload(api, make_pdf(["Falcon"]), "falcon.pdf")
    picture = image_of(api.get(asset["thumbnail_url"])).convert("L")
    # A white page with dark text: mostly light, with some dark pixels.
    histogram = picture.histogram()
    assert sum(histogram[200:]) > 0.8 * sum(histogram)
    assert sum(histogram[:100]) > 0


def test_a_new_version_brings_a_new_thumbnail(api):
    from tests.factories import file_field, multipart

    asset = upload(api, png((200, 30, 30)), "swatch.png")
    data = {"file": file_field(png((30, 30, 200)), "swatch.png")}
    response = api.post(f"/api/v1/assets/{asset['id']}/versions", **multipart(data))
    newer = response.get_json()
    assert newer["thumbnail_url"] != asset["thumbnail_url"]
    blue = image_of(api.get(newer["thumbnail_url"])).convert("RGB").getpixel((10, 10))
    assert blue[2] > 150 and blue[0] < 80
    old = api.get(
        f"/api/v1/assets/{asset['id']}/thumbnail", role="manager", query_string={"version": 1}
    )
    assert image_of(old).convert("RGB").getpixel((10, 10))[0] > 150
    assert (
        api.get(
            f"/api/v1/assets/{asset['id']}/thumbnail", role="rep", query_string={"version": 1}
        ).status_code
        == 403
    )


def test_thumbnails_of_hidden_assets_are_404_for_reps(api):
    asset = upload(api, png((10, 10, 10)), "draft.png", status="draft")
    assert api.get(asset["thumbnail_url"], role="rep").status_code == 404
    assert api.get(asset["thumbnail_url"], role="marketer").status_code == 200


def test_search_results_and_the_asset_page_show_the_thumbnail(api, browser):
    asset = upload(api, make_pdf(["Osprey battlecard"]), "osprey.pdf", title="Osprey card")
    browser.login("rep")
    results = browser.client.get("/?q=osprey").get_data(as_text=True)
    fingerprint = asset["thumbnail_url"].split("v=")[1]
    page_url = f"/assets/{asset['id']}/thumbnail.jpg?v={fingerprint}"
    assert f'src="{page_url}"' in results
    assert f'src="{page_url}"' in browser.client.get(f"/assets/{asset['id']}").get_data(
        as_text=True
    )
    response = fetch(browser.client, page_url)
    assert image_of(response) and "immutable" in response.headers["Cache-Control"]


def test_pdf_pages_are_drawn_in_the_background_and_served_from_the_store(app, api, browser):
    pdf = make_pdf(["Heron page one", "Heron page two"])
    asset = upload(api, pdf, "heron.pdf")
    assert asset["preview"] == {"status": "pending", "pages": 0, "message": None}
    browser.login("rep")
    waiting = browser.client.get(f"/assets/{asset['id']}/pages/2.webp")
    assert waiting.status_code == 404 and b"still being drawn" in waiting.data
    assert run_jobs(app) == 1
    html = browser.client.get(f"/assets/{asset['id']}").get_data(as_text=True)
    assert html.count('class="page-image"') == 2
    assert f'src="/assets/{asset["id"]}/pages/2.webp?v=' in html
    response = fetch(browser.client, f"/assets/{asset['id']}/pages/2.webp")
    assert response.status_code == 200 and response.mimetype == "image/webp"
    assert Image.open(io.BytesIO(response.data)).width == 1280
    with app.app_context():
        from collateral.services.resources import blob_store

        kept = blob_store().derived_path(
            asset["current_version"]["sha256"], "page-2-w1280", ".webp"
        )
        assert kept.read_bytes() == response.data
    missing = browser.client.get(f"/assets/{asset['id']}/pages/3.webp")
    assert missing.status_code == 404 and b"no image of page 3" in missing.data


def test_a_file_without_pages_has_no_page_images(api, browser):
    asset = upload(api, b"Plain words", "words.txt")
    assert asset["preview"] == {"status": "none", "pages": 0, "message": None}
    browser.login("rep")
    response = browser.client.get(f"/assets/{asset['id']}/pages/1.webp")
    assert response.status_code == 404 and b"no page images" in response.data


def test_reindex_makes_missing_thumbnails(app, api, runner):
    asset = upload(api, png((20, 160, 20)), "green.png")
    with app.app_context():
        from collateral.extensions import db
        from collateral.models import Version

        db.session.execute(update(Version).values(thumbnail_sha256=None))
        db.session.commit()
    assert api.get(f"/api/v1/assets/{asset['id']}").get_json()["thumbnail_url"] is None
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "Made 1 missing thumbnails." in result.output
    url = api.get(f"/api/v1/assets/{asset['id']}").get_json()["thumbnail_url"]
    assert image_of(api.get(url)).convert("RGB").getpixel((5, 5))[1] > 120
    assert "Made 0 missing thumbnails." in runner.invoke(args=["reindex"]).output


def test_a_title_card_follows_a_new_title(api):
    asset = upload(api, b"Words without pictures", "plain.txt", title="Old title")
    path = f"/api/v1/assets/{asset['id']}"
    renamed = api.patch(path, json={"title": "A much longer new title"}).get_json()
    assert renamed["thumbnail_url"] != asset["thumbnail_url"]
    assert image_of(api.get(renamed["thumbnail_url"])).size == (320, 420)
    described = api.patch(path, json={"description": "No new card for this"}).get_json()
    assert described["thumbnail_url"] == renamed["thumbnail_url"]


def test_page_images_of_hidden_assets_are_refused_to_reps(app, api, browser):
    draft = upload(api, make_pdf(["Secret plan"]), "secret.pdf", status="draft")
    live = upload(api, make_pdf(["Public plan one"]), "public.pdf")
    run_jobs(app)
    browser.login("rep")
    assert fetch(browser.client, f"/assets/{draft['id']}/pages/1.webp").status_code == 404
    assert fetch(browser.client, f"/assets/{live['id']}/pages/1.webp").status_code == 200
