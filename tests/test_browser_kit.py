"""In Chromium: a rep builds a call kit from search results, reorders it with the keyboard and
downloads it; the search box suggests as the rep types (ARIA combobox)."""

import io
import zipfile
from pathlib import Path

import pytest

from tests.factories import file_field, make_docx, make_pdf, multipart
from tests.test_browser import live_server, page, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_rep_builds_a_kit_from_results_reorders_it_by_keyboard_and_downloads_it(
    api,
    live_server,  # noqa: F811
    page,  # noqa: F811
):
    files = {
        "Acme overview deck": (make_pdf(["Acme overview for the kickoff"]), "overview.pdf"),
        "Acme case study": (make_docx(["How Acme cut costs, a kickoff case"]), "case.docx"),
        "Acme pricing sheet": (make_pdf(["Acme pricing for the kickoff"]), "pricing.pdf"),
    }
    ids = {}
    for title, (content, name) in files.items():
        response = api.upload(content, name, title=title)
        assert response.status_code == 201
        ids[title] = response.get_json()["id"]
    sign_in(page, live_server)
    page.goto(f"{live_server}/?q=kickoff&sort=newest")
    results = page.locator(".result")
    assert results.count() == 3
    order = [results.nth(i).locator("h2 a").inner_text() for i in range(3)]

    # The first result starts a new collection; the others join it.
    first = results.nth(0)
    first.locator("select[name=collection]").select_option("new")
    first.locator("input[name=title]").fill("Acme kit")
    first.locator("button.add-button").click()
    page.wait_for_url("**/?q=kickoff*")
    for i in (1, 2):
        row = page.locator(".result").nth(i)
        assert row.locator("select[name=collection] option").first.inner_text() == "Acme kit"
        assert not row.locator("input[name=title]").is_visible()  # only for a new one
        row.locator("button.add-button").click()
        page.wait_for_url("**/?q=kickoff*")

    page.click("text=Collections")
    page.click("text=Acme kit")
    page.wait_for_selector("#kit")
    assert page.locator("#kit .kit-item h2 a").all_inner_texts() == order

    # Keyboard only: focus the last item's "Move up" and press Enter, then Space.
    last = page.locator(f"#item-{ids[order[2]]} button.move[data-direction=up]")
    last.focus()
    page.keyboard.press("Enter")
    status = page.locator("#reorder-status")
    status.filter(has_text="position 2 of 3").wait_for()
    assert f"Moved “{order[2]}” to position 2 of 3." == status.inner_text()
    assert page.evaluate("document.activeElement.dataset.direction") == "up"
    page.keyboard.press("Space")
    status.filter(has_text="position 1 of 3").wait_for()
    expected = [order[2], order[0], order[1]]
    assert page.locator("#kit .kit-item h2 a").all_inner_texts() == expected
    # Alt+ArrowDown on the focused item moves it back down, focus staying on it.
    item = page.locator(f"#item-{ids[order[2]]}")
    item.focus()
    page.keyboard.press("Alt+ArrowDown")
    status.filter(has_text="position 2 of 3").wait_for()
    assert page.evaluate("document.activeElement.id") == f"item-{ids[order[2]]}"
    page.keyboard.press("Alt+ArrowUp")
    status.filter(has_text="position 1 of 3").wait_for()
    # Saved on the server, not only on screen.
    kit = api.get("/api/v1/collections").get_json()["results"][0]
    assert [a["title"] for a in kit["assets"]] == expected
    page.reload()
    assert page.locator("#kit .kit-item h2 a").all_inner_texts() == expected

    with page.expect_download() as info:
        page.click("#download-kit")
    download = info.value
    assert download.suggested_filename == "Acme kit.zip"
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    assert archive.namelist() == [files[t][1] for t in expected]
    for title in expected:
        content, name = files[title]
        assert archive.read(name) == content

    # Shared as one link; when a document in it gets a new version, the bell says so.
    page.click("#share-kit")
    page.fill("input[name=recipient]", "cfo@acme.example")
    page.click("text=Make the link")
    page.wait_for_url("**/shares/*")
    data = {"file": file_field(make_pdf(["Acme pricing 2027"]), "pricing-2027.pdf"), "note": "2027"}
    response = api.post(f"/api/v1/assets/{ids['Acme pricing sheet']}/versions", **multipart(data))
    assert response.status_code == 201
    page.reload()
    bell = page.locator("#bell")
    assert bell.get_attribute("aria-label") == "Notifications, 1 unread"
    bell.click()
    page.wait_for_url("**/notifications")
    message = page.inner_text(".notification .message")
    assert message.startswith("The “Acme pricing sheet” you sent to cfo@acme.example")
    page.click("text=Mark all read")
    page.wait_for_url("**/notifications")
    assert page.locator("#bell").get_attribute("aria-label") == "Notifications, 0 unread"


def test_the_search_box_suggests_and_answers_the_keyboard(api, live_server, page):  # noqa: F811
    api.upload(make_pdf(["Kestrel rollout"]), "kestrel.pdf", title="Kestrel rollout plan")
    api.upload(b"draft", "draft.txt", title="Kestrel secret draft", status="draft")
    sign_in(page, live_server)
    box = page.locator("#search-q")
    box.type("kest", delay=30)
    listbox = page.locator("#search-suggestions")
    listbox.locator("[role=option]").first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    texts = listbox.locator("[role=option]").all_inner_texts()
    assert any("Kestrel rollout plan" in t for t in texts)
    assert not any("secret" in t.lower() for t in texts)
    page.keyboard.press("ArrowDown")
    first = listbox.locator("[role=option]").first
    assert first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    page.keyboard.press("Escape")
    assert listbox.is_hidden() and box.get_attribute("aria-expanded") == "false"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/assets/*")
    assert "Kestrel rollout plan" in page.inner_text("h1")


def test_the_star_toggles_in_place_and_the_home_lists_it(api, live_server, page):  # noqa: F811
    api.upload(make_pdf(["Kestrel rollout"]), "kestrel.pdf", title="Kestrel rollout plan")
    sign_in(page, live_server)
    page.goto(f"{live_server}/?q=kestrel")
    star = page.locator(".result button.star").first
    assert star.get_attribute("aria-pressed") == "false"
    star.click()
    page.locator(".result button.star[aria-pressed=true]").wait_for()  # no eval: CSP
    assert page.url.endswith("/?q=kestrel")  # no reload, no navigation
    assert [a["title"] for a in api.get("/api/v1/favourites").get_json()["results"]] == [
        "Kestrel rollout plan"
    ]
    page.goto(f"{live_server}/")
    assert "Kestrel rollout plan" in page.inner_text("ul.favourites")
