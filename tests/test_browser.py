"""End to end in a real Chromium (Debian's), driven by Playwright: sign in, search, filter, preview,
download."""

import contextlib
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, run_jobs
from tests.factories import make_pdf, make_pptx

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM):  # CI installs it; a laptop without it is told why
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is missing: .ci/run installs Debian's chromium package")
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )


class ClosingResponse:
    """A response body that closes itself once sent, or once dropped half-sent.

    Werkzeug's development server calls the body's `close()` only after draining the socket; when
    a browser drops a connection (it navigates on while an image loads), that draining can fail
    first, and the file behind a download or page image is left to the garbage collector, which
    warns. The generator's `finally` runs when the body is exhausted, or collected half-sent."""

    def __init__(self, body) -> None:
        self.body = body

    def __iter__(self):
        try:
            yield from self.body
        finally:
            self.close()

    def close(self) -> None:
        close = getattr(self.body, "close", None)
        if close is not None:
            close()


@contextlib.contextmanager
def serving(app):
    """The app on a free localhost port in a thread, for the browser; yields its base URL."""

    def closing_app(environ, start_response):
        return ClosingResponse(app(environ, start_response))

    server = make_server("127.0.0.1", 0, closing_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def sign_in(page, base: str, role: str = "rep") -> None:
    """Sign `role` in through the login form, as a person would; waits for the home page."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", f"{role}@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.fixture
def live_server(app):
    with serving(app) as url:
        yield url


def launch_chromium(playwright):
    """Debian's Chromium, headless, quiet (no sync, updates or background fetches): every
    browser test starts it this way."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(accept_downloads=True)
        yield context.new_page()
        context.close()
        browser.close()


def test_rep_signs_in_searches_filters_and_downloads(api, live_server, page, tmp_path):
    deck = make_pptx([("Atlas", "Overview", ""), ("Pricing", "Atlas pricing tiers", "")])
    api.upload(
        deck,
        "atlas-pricing.pptx",
        title="Atlas pricing deck",
        products=["Atlas CRM"],
        industries=["Retail"],
    )
    api.upload(
        make_pdf(["Beacon pricing for hospitals"]),
        "beacon.pdf",
        title="Beacon pricing sheet",
        products=["Beacon Analytics"],
        industries=["Healthcare"],
    )
    api.upload(make_pdf(["Nothing about cost"]), "other.pdf", title="Unrelated")

    page.goto(f"{live_server}/")
    assert "/login" in page.url
    page.fill("input[name=email]", "rep@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")

    page.fill("input[name=q]", "pricing")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/?q=pricing*")
    assert page.inner_text("#result-count") == "2"
    assert page.locator("mark").first.inner_text().lower() == "pricing"
    assert "slide 2" in page.inner_text(".result-list")

    # a facet applies on click (static/app.js submits the form)
    page.check("input[name=product][value='Atlas CRM']")
    page.wait_for_url("**product=Atlas+CRM*")
    assert page.inner_text("#result-count") == "1"
    assert "Atlas pricing deck" in page.inner_text(".result-list")

    with page.expect_download() as info:
        page.click(".result .download")
    download = info.value
    assert download.suggested_filename == "atlas-pricing.pptx"
    target = tmp_path / "got.pptx"
    download.save_as(target)
    assert target.read_bytes() == deck


def test_rep_sees_thumbnails_and_the_pages_of_a_pdf_before_downloading(app, api, live_server, page):
    api.upload(
        make_pdf(["Kestrel rollout plan", "Kestrel timeline and milestones"]),
        "kestrel.pdf",
        title="Kestrel rollout plan",
    )
    run_jobs(app)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "rep@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/?q=timeline")
    thumb = page.locator(".result img.thumb")
    thumb.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", thumb.element_handle())

    with page.expect_response("**/pages/2.webp*") as drawn:
        page.click(".result a.where")  # "page 2", where the word is
    page.wait_for_url("**/assets/*#page-2")
    assert drawn.value.status == 200
    page.wait_for_function(
        "() => { const i = document.querySelector('#page-2 img.page-image');"
        " return i.complete && i.naturalWidth === 1280; }"
    )
    assert page.locator("#page-2 mark").first.inner_text().lower() == "timeline"


def test_manager_reads_the_overview_chart_with_no_console_errors(api, live_server, page):
    api.upload(make_pdf(["Gannet pricing"]), "gannet.pdf", title="Gannet pricing")
    found = api.search(q="gannet")
    api.get(found["results"][0]["download_url"], query_string={"search": found["search_id"]})
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "manager@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/reports/")
    chart = page.locator("svg[role=img]").first
    chart.wait_for()
    box = chart.bounding_box()
    assert box["width"] > 200 and box["height"] > 100
    assert page.locator("svg[role=img] path, svg[role=img] polyline, svg[role=img] rect").count()
    page.goto(f"{live_server}/reports/searches")
    assert "gannet" in page.inner_text("main")
    assert errors == []
