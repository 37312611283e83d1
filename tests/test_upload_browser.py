"""In Chromium: a marketer drops several files on the upload page and picks one more; each is
sent on its own with its progress shown from the bytes sent, titled from its name, and its
outcome (created, already in the library, refused) shown in place."""

import base64

import pytest

from tests.factories import make_docx, make_pdf, make_pptx
from tests.test_browser import live_server, page, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

DROP = """(files) => {
  const transfer = new DataTransfer();
  for (const file of files) {
    const bytes = Uint8Array.from(atob(file.content), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], file.name, { type: file.type }));
  }
  return transfer;
}"""


def drop_files(page, files: list[tuple[str, bytes, str]]) -> None:  # noqa: F811
    """Drop real files on the form, as a person dragging them from their desktop would."""
    transfer = page.evaluate_handle(
        DROP,
        [
            {"name": name, "content": base64.b64encode(content).decode(), "type": kind}
            for name, content, kind in files
        ],
    )
    page.dispatch_event("[data-drop-zone]", "drop", {"dataTransfer": transfer})


def row(page, name: str):  # noqa: F811
    return page.locator(f"li.batch-item[data-name='{name}']")


def test_marketer_drops_several_files_and_sees_each_progress_and_outcome(
    api,
    live_server,  # noqa: F811
    page,  # noqa: F811
    tmp_path,
):
    brochure = make_pdf(["Kestrel brochure for hospitals"])
    existing = api.upload(brochure, "kestrel.pdf", title="Kestrel brochure").get_json()
    deck = make_pptx([("Atlas", "Atlas pricing for retail", "")] * 40)
    study = make_docx(["Beacon case study: a hospital saves a week a month"] * 200)
    picked = tmp_path / "beacon_case-study.docx"
    picked.write_bytes(study)

    sign_in(page, live_server, "marketer")
    page.goto(f"{live_server}/upload")
    assert page.locator("input[type=file][name=file]").get_attribute("multiple") is not None
    drop_files(
        page,
        [
            ("atlas-pricing_deck.pptx", deck, "application/octet-stream"),
            ("kestrel copy.pdf", brochure, "application/pdf"),
            ("launch-clip.mp4", b"just some text, not a video", "video/mp4"),
        ],
    )
    page.set_input_files("input[type=file][name=file]", str(picked))
    assert page.locator("li.batch-item").count() == 4
    assert row(page, "atlas-pricing_deck.pptx").locator("[data-title]").input_value() == (
        "Atlas pricing deck"
    )
    assert row(page, "beacon_case-study.docx").locator("[data-title]").input_value() == (
        "Beacon case study"
    )
    assert page.inner_text("[data-submit]") == "Upload 4 files"
    assert not page.locator("[data-field=title]").is_visible()  # each file has its own

    # Metadata shared by the batch; the case study gets its own title and industry.
    page.check("[data-shared-fields] input[name=products][value='Atlas CRM']")
    page.check("[data-shared-fields] input[name=stages][value='Demo']")
    page.check("[data-shared-fields] input[name=industries][value='Retail']")
    study_row = row(page, "beacon_case-study.docx")
    study_row.locator("[data-title]").fill("Beacon hospital case study")
    study_row.locator("summary").click()
    study_row.locator("[data-own]").check()
    study_row.locator(".own-fields input[name=industries][value='Retail']").uncheck()
    study_row.locator(".own-fields input[name=industries][value='Healthcare']").check()

    page.click("[data-submit]")
    page.wait_for_function(
        """() => [...document.querySelectorAll('li.batch-item')].every(
             (item) => ['created', 'duplicate', 'refused'].includes(item.dataset.state))"""
    )

    states = {
        name: row(page, name).get_attribute("data-state")
        for name in (
            "atlas-pricing_deck.pptx",
            "kestrel copy.pdf",
            "launch-clip.mp4",
            "beacon_case-study.docx",
        )
    }
    assert states == {
        "atlas-pricing_deck.pptx": "created",
        "kestrel copy.pdf": "duplicate",
        "launch-clip.mp4": "refused",
        "beacon_case-study.docx": "created",
    }
    # Every file reported the bytes it sent, on a progress bar, not a spinner.
    for name in states:
        item = row(page, name)
        assert int(item.get_attribute("data-progress-events")) > 0, name
        assert int(item.get_attribute("data-loaded")) > 0, name
        assert " of " in item.locator(".batch-bytes").inner_text()
    deck_row = row(page, "atlas-pricing_deck.pptx")
    assert deck_row.locator("progress").evaluate("p => p.value === p.max && p.max > 0")
    assert deck_row.locator("progress").evaluate("p => p.max") >= len(deck)  # the whole body

    # The outcomes, in place: a link to the new asset, to the existing one, the reason.
    duplicate_link = row(page, "kestrel copy.pdf").locator(".batch-outcome a")
    assert duplicate_link.get_attribute("href") == f"/assets/{existing['id']}"
    assert "Kestrel brochure" in duplicate_link.inner_text()
    refusal = row(page, "launch-clip.mp4").locator(".batch-outcome").inner_text()
    assert "does not contain MP4 video" in refusal
    assert "1 refused" in page.inner_text("[data-batch-summary]")
    # A file refused for what it is would be refused again: a second click sends nothing.
    events = row(page, "launch-clip.mp4").get_attribute("data-progress-events")
    assert page.inner_text("[data-submit]") == "Upload"
    page.click("[data-submit]")
    page.wait_for_function("() => !document.querySelector('[data-submit]').disabled")
    assert row(page, "launch-clip.mp4").get_attribute("data-progress-events") == events
    assert row(page, "launch-clip.mp4").get_attribute("data-state") == "refused"

    created = {}
    for name in ("atlas-pricing_deck.pptx", "beacon_case-study.docx"):
        href = row(page, name).locator(".batch-outcome a").get_attribute("href")
        created[name] = api.get(f"/api/v1{href}", role="marketer").get_json()
    deck_asset = created["atlas-pricing_deck.pptx"]
    assert deck_asset["title"] == "Atlas pricing deck"
    assert deck_asset["products"] == ["Atlas CRM"]
    assert deck_asset["stages"] == ["Demo"]
    assert deck_asset["industries"] == ["Retail"]
    assert deck_asset["current_version"]["filename"] == "atlas-pricing_deck.pptx"
    study_asset = created["beacon_case-study.docx"]
    assert study_asset["title"] == "Beacon hospital case study"
    assert study_asset["products"] == ["Atlas CRM"]
    assert study_asset["industries"] == ["Healthcare"]
    titles = {item["title"] for item in api.search(role="marketer")["results"]}
    assert titles == {"Kestrel brochure", "Atlas pricing deck", "Beacon hospital case study"}

    # Asked to, the duplicate is kept as a second copy.
    row(page, "kestrel copy.pdf").get_by_role("button", name="keep a second copy").click()
    page.click("[data-submit]")
    page.wait_for_function(
        """() => document.querySelector("li[data-name='kestrel copy.pdf']").dataset.state
             === 'created'"""
    )
    copy_href = row(page, "kestrel copy.pdf").locator(".batch-outcome a").get_attribute("href")
    assert copy_href != f"/assets/{existing['id']}"
    assert api.get(f"/api/v1{copy_href}", role="marketer").get_json()["title"] == "Kestrel copy"

    # The link opens the new asset's page.
    deck_row.locator(".batch-outcome a").click()
    page.wait_for_url(f"{live_server}/assets/{deck_asset['id']}")
    assert "Atlas pricing deck" in page.inner_text("h1")


def test_a_title_left_empty_is_asked_for_beside_it_and_not_sent(
    api,
    live_server,  # noqa: F811
    page,  # noqa: F811
):
    sign_in(page, live_server, "marketer")
    page.goto(f"{live_server}/upload")
    page.click("[data-submit]")
    file_input = page.locator("input[type=file][name=file]")
    assert file_input.get_attribute("aria-invalid") == "true"
    described = file_input.get_attribute("aria-describedby")
    assert "at least one file" in page.inner_text(f"#{described}")

    drop_files(page, [("_.pdf", make_pdf(["Untitled"]), "application/pdf")])
    title = row(page, "_.pdf").locator("[data-title]")
    title.fill("")
    page.click("[data-submit]")
    assert title.get_attribute("aria-invalid") == "true"
    assert "title" in page.inner_text(f"#{title.get_attribute('aria-describedby')}")
    assert row(page, "_.pdf").get_attribute("data-progress-events") == "0"
    assert api.search(role="marketer")["total"] == 0


RECORD_WEBM = """async () => {
  // A real video, made here: two seconds of a moving square, recorded as WebM (VP8).
  const canvas = document.createElement("canvas");
  canvas.width = 64;
  canvas.height = 48;
  const context = canvas.getContext("2d");
  const recorder = new MediaRecorder(canvas.captureStream(15), { mimeType: "video/webm" });
  const chunks = [];
  recorder.ondataavailable = (event) => chunks.push(event.data);
  const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
  recorder.start();
  for (let frame = 0; frame < 20; frame += 1) {
    context.fillStyle = "#fff";
    context.fillRect(0, 0, 64, 48);
    context.fillStyle = "#1f5fbf";
    context.fillRect(frame * 2, 10, 16, 16);
    await new Promise((resolve) => setTimeout(resolve, 70));
  }
  recorder.stop();
  await stopped;
  const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}"""


def test_an_uploaded_video_plays_in_the_asset_page(live_server, page):  # noqa: F811
    sign_in(page, live_server, "marketer")
    page.goto(f"{live_server}/upload")
    video = base64.b64decode(page.evaluate(RECORD_WEBM))
    assert video.startswith(b"\x1a\x45\xdf\xa3") and len(video) > 200

    drop_files(page, [("launch_teaser.webm", video, "video/webm")])
    page.click("[data-submit]")
    outcome = row(page, "launch_teaser.webm").locator(".batch-outcome a")
    outcome.wait_for()
    outcome.click()
    page.wait_for_url("**/assets/*")
    player = page.locator("video.asset-video")
    assert player.get_attribute("controls") is not None
    page.wait_for_function(
        "() => document.querySelector('video.asset-video').readyState >= 1", timeout=15000
    )
    assert player.evaluate("v => [v.videoWidth, v.videoHeight]") == [64, 48]
    assert player.evaluate("v => v.error") is None
