"""A video plays in the asset page: an inline route with its content's type, Range requests
for seeking, nosniff, and the same access rule as the download."""

import pytest

from collateral.extensions import db
from collateral.models import Asset

# An ISO base media file as a camera writes it (ftyp, then media data): MP4 by its content.
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x10\x08mdat" + bytes(4096)
QUICKTIME = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00\x00\x10\x08mdat" + bytes(4096)


@pytest.fixture
def clip(api):
    response = api.upload(MP4, "launch.mp4", title="Launch clip")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_the_video_route_answers_ranges_inline_with_its_type(api, clip):
    url = f"/assets/{clip['id']}/video"
    whole = api.get(url)
    assert whole.status_code == 200 and whole.data == MP4
    assert whole.headers["Content-Type"] == "video/mp4"
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in whole.headers.get("Content-Disposition", "")
    assert whole.headers["Content-Security-Policy"].startswith("sandbox")
    part = api.get(url, headers={"Range": "bytes=4-11"})
    assert part.status_code == 206
    assert part.data == b"ftypmp42"
    assert part.headers["Content-Range"] == f"bytes 4-11/{len(MP4)}"
    assert part.headers["Content-Type"] == "video/mp4"
    assert api.get(url, headers={"Range": f"bytes={len(MP4) + 5}-"}).status_code == 416


def test_playing_is_not_counted_as_a_download(app, api, clip):
    api.get(f"/assets/{clip['id']}/video")
    with app.app_context():
        assert db.session.get(Asset, clip["id"]).download_count == 0


def test_the_asset_page_plays_a_video_and_only_a_video(api, client, browser, clip):
    browser.login("rep")
    html = client.get(f"/assets/{clip['id']}").get_data(as_text=True)
    assert '<video class="asset-video" controls preload="metadata"' in html
    assert f'src="/assets/{clip["id"]}/video?v=' in html
    deck = api.upload(b"Walrus facts", "walrus.txt", title="Walrus").get_json()
    assert "<video" not in client.get(f"/assets/{deck['id']}").get_data(as_text=True)
    assert status_of(client, f"/assets/{deck['id']}/video") == 404


def test_quicktime_is_left_to_download(api):
    movie = api.upload(QUICKTIME, "launch.mov", title="Launch movie").get_json()
    assert movie["current_version"]["mime_type"] == "video/quicktime"
    refused = api.get(f"/assets/{movie['id']}/video")
    assert refused.status_code == 404
    assert "not a video that plays in the page" in refused.get_data(as_text=True)


def status_of(client, url: str) -> int:
    response = client.get(url)
    response.get_data()  # read the streamed file whole, then let go of it
    response.close()
    return response.status_code


def test_the_video_needs_what_the_download_needs(api, client, browser, clip):
    assert status_of(client, f"/assets/{clip['id']}/video") == 302  # to sign in
    draft = api.upload(MP4 + b"draft", "draft.mp4", title="Draft clip", status="draft")
    draft_id = draft.get_json()["id"]
    assert api.get(f"/assets/{draft_id}/video", role="rep").status_code == 404
    assert api.get(f"/assets/{draft_id}/video", role="marketer").status_code == 200
    browser.login("rep")
    assert status_of(client, f"/assets/{clip['id']}/video") == 200
    assert status_of(client, f"/assets/{draft_id}/video") == 404
