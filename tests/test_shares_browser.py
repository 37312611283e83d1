"""End to end in Chromium: a rep makes a link, a buyer reads a deck for a few seconds and
leaves, and the rep's share page shows that visit with time on the pages read."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD, Browser, run_jobs
from tests.factories import make_pdf
from tests.test_browser import CHROMIUM, live_server, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_a_buyer_reads_a_deck_and_the_rep_sees_time_per_page(app, api, client, live_server, page):  # noqa: F811
    pages = [f"Osprey proposal page {n}\n" + "Detail line. " * 40 for n in range(1, 5)]
    asset = api.upload(make_pdf(pages), "osprey.pdf", title="Osprey proposal").get_json()["id"]
    run_jobs(app)  # its page images

    # The rep makes the link from the asset's page.
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "rep@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/assets/{asset}")
    page.click("a[href^='/shares/new']")
    page.wait_for_url("**/shares/new*")
    page.fill("input[name=recipient]", "cfo@osprey.example")
    page.click(".share-form button[type=submit]")
    page.wait_for_url("**/shares/*?new=1")
    link = page.input_value("#share-url")
    assert re.fullmatch(rf"{live_server}/s/[A-Za-z0-9_-]{{32}}", link)
    assert page.locator("button[data-copy=share-url]").count() == 1

    # The buyer, in a browser of their own, scrolls through the deck and leaves.
    buyer = page.context.browser.new_context(viewport={"width": 1000, "height": 700})
    reader = buyer.new_page()
    errors: list[str] = []
    reader.on("console", lambda m: m.type == "error" and errors.append(m.text))
    reader.goto(link)
    assert reader.title().startswith("Osprey proposal")
    first = reader.locator("figure.page").nth(0)
    first.locator("img").wait_for()
    reader.wait_for_function("() => document.querySelector('figure.page img').naturalWidth > 0")
    reader.wait_for_timeout(3000)
    second = reader.locator("figure.page").nth(1)
    second.scroll_into_view_if_needed()
    reader.evaluate("() => document.querySelectorAll('figure.page')[1].scrollIntoView()")
    reader.wait_for_timeout(3000)
    reader.evaluate("() => document.querySelectorAll('figure.page')[2].scrollIntoView()")
    reader.wait_for_timeout(1500)
    reader.goto("about:blank")  # leaving sends the last seconds with sendBeacon
    reader.wait_for_timeout(1000)
    buyer.close()
    assert errors == []

    # The rep's share page shows the visit with time on at least two pages.
    Browser(client).login("rep")
    share_id = api.get("/api/v1/shares", role="rep").get_json()["results"][0]["id"]
    html = client.get(f"/shares/{share_id}").get_data(as_text=True)
    rows = re.findall(
        r'<tr class="visit-page"><td>Osprey proposal</td><td class="num">(\d+)</td>'
        r'<td class="num">([\d.]+)</td></tr>',
        html,
    )
    seconds = {int(p): float(s) for p, s in rows}
    assert len([s for s in seconds.values() if s >= 1.0]) >= 2, seconds
    assert seconds[1] >= 2.0 and seconds[2] >= 2.0, seconds
    body = api.get(f"/api/v1/shares/{share_id}", role="rep").get_json()
    assert body["totals"]["visits"] == 1
    assert sum(seconds.values()) <= 12.0  # never more than the buyer spent on the page
