"""The report pages in a real Chromium: the taxonomy checklists narrow as one types, submit the
same query string as before, and the overview's charts fit a phone and a laptop screen."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from collateral.services.demo import load_demo
from tests.test_browser import live_server, page, sign_in  # noqa: F401  # Chromium and a live app

pytestmark = pytest.mark.browser


def test_the_product_filter_narrows_as_one_types_and_submits_the_same_query(
    app,
    live_server,  # noqa: F811
    page,  # noqa: F811
):
    sign_in(page, live_server, "manager")
    page.goto(f"{live_server}/reports/?product=Atlas+CRM")
    products = page.locator("fieldset[data-term-filter]").first
    search = products.locator("input[data-term-search]")
    assert search.is_visible()
    shown = products.locator(".term-options li:visible")
    before = shown.count()
    assert before > 2
    search.fill("beac")
    # Beacon matches; Atlas CRM stays in sight because it is chosen.
    assert sorted(shown.all_inner_texts()) == ["Atlas CRM", "Beacon Analytics"]
    search.press("Enter")  # narrows; does not submit
    assert "product=Atlas+CRM" in page.url and "beac" not in page.url
    search.fill("zzz")
    assert shown.all_inner_texts() == ["Atlas CRM"]
    search.fill("nothing matches this")
    products.locator(".term-options input[value='Atlas CRM']").uncheck()
    search.fill("nothing matches this!")
    assert products.locator("[data-term-none]").is_visible()
    search.fill("")
    assert shown.count() == before
    products.locator("input[value='Beacon Analytics']").check()
    page.locator("form.period-form button[type=submit]").click()
    page.wait_for_url("**/reports/?*")
    query = parse_qs(urlparse(page.url).query)
    assert query["product"] == ["Beacon Analytics"] and query["count"] == ["sales"]


@pytest.mark.parametrize("width", [390, 1366])
def test_the_overview_charts_fit_the_screen_with_readable_labels(
    app,
    tmp_path,
    live_server,  # noqa: F811
    page,  # noqa: F811
    width,
):
    with app.app_context():
        load_demo(tmp_path / "demo")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "manager")
    page.goto(f"{live_server}/reports/")
    charts = page.locator("svg.small-chart")
    assert charts.count() == 4
    panel = page.locator("section.panel").bounding_box()
    for n in range(4):
        box = charts.nth(n).bounding_box()
        assert (
            box["x"] >= panel["x"] - 1
            and box["x"] + box["width"] <= panel["x"] + panel["width"] + 1
        )
        assert box["width"] >= min(300, panel["width"] * 0.25)
    smallest = page.evaluate(
        "Math.min(...[...document.querySelectorAll('svg.small-chart text')]"
        ".map(t => t.getBoundingClientRect().height))"
    )
    assert smallest >= 10, smallest  # px on screen
    page.screenshot(path=str(tmp_path / f"overview-{width}.png"), full_page=True)
    page.locator("details.chart-table summary").click()
    assert page.locator("details.chart-table table tbody tr").count() == 31
