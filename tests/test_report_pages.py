"""The usage-report pages and the asset page's usage section, over events made through the app."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from defusedxml.ElementTree import fromstring

from collateral.template_filters import day_text
from collateral.views.charts import Series, render_chart
from collateral.views.reports import change_text
from tests.conftest import Browser
from tests.factories import make_pdf

SVG = "{http://www.w3.org/2000/svg}"


def utc_today():
    return datetime.now(UTC).date()


def monday():
    return utc_today() - timedelta(days=utc_today().weekday())


@pytest.fixture
def history(api):
    """Two assets; a rep found one, opened it from the results and downloaded it twice, and
    ran a search that found nothing and one whose results nobody opened."""
    atlas = api.upload(
        make_pdf(["Pricing tiers for Atlas"]),
        "atlas.pdf",
        title="Atlas <pricing>",
        products=["Atlas CRM"],
    ).get_json()
    beacon = api.upload(
        make_pdf(["Beacon forecast"]), "beacon.pdf", title="Beacon forecast"
    ).get_json()
    found = api.search(q="pricing")
    assert found["total"] == 1
    search = found["search_id"]
    assert api.get(f"/api/v1/assets/{atlas['id']}?search={search}").status_code == 200
    for _ in range(2):
        response = api.get(f"/api/v1/assets/{atlas['id']}/download?search={search}")
        assert response.status_code == 200
    assert api.search(q="unicorn")["total"] == 0
    assert api.search(q="forecast")["total"] == 1
    return {"atlas": atlas["id"], "beacon": beacon["id"]}


def page(app, role: str, path: str, status: int = 200) -> str:
    """The page as a person of this role sees it, signed in with the login form."""
    browser = Browser(app.test_client())
    browser.login(role)
    response = browser.client.get(path)
    assert response.status_code == status, (role, path, response.get_data(as_text=True)[:500])
    return response.get_data(as_text=True)


def table_rows(html: str) -> list[list[str]]:
    """The text of every body cell, row by row."""
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        if cells:
            rows.append([unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def total(html: str, label: str) -> str:
    match = re.search(
        rf'total-label">{label}</span> <strong class="total-value">([^<]+)</strong>'
        r' <span class="total-change">([^<]*)</span>',
        html,
    )
    assert match, label
    return f"{match.group(1)} ({unescape(match.group(2))})"


def chart(html: str):
    match = re.search(r"<svg.*?</svg>", html, re.S)
    assert match, "no chart on the page"
    svg = fromstring(match.group(0))
    assert svg.get("role") == "img" and svg.get("aria-label")
    return svg


def section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"', 1)[1].split("<h2", 1)[0]


@pytest.mark.parametrize("role", ["marketer", "manager", "admin"])
def test_overview_shows_totals_and_a_chart(app, history, role):
    html = page(app, role, "/reports/")
    assert total(html, "Downloads") == "2 (none in the previous 30 days)"
    assert total(html, "Views") == "1 (none in the previous 30 days)"
    assert total(html, "Searches") == "3 (none in the previous 30 days)"
    assert total(html, "Active reps") == "1 (none in the previous 30 days)"
    charts = [fromstring(svg) for svg in re.findall(r"<svg.*?</svg>", html, re.S)]
    names = [svg.get("aria-label").split(" per ")[0] for svg in charts]
    assert names == ["Downloads", "Views", "Searches", "Active reps"]  # one chart per measure
    today = f"{utc_today().day} {utc_today().strftime('%b')}"
    tips = [t.text for t in charts[0].iter(f"{SVG}title")]
    assert f"{today}: 2 downloads" in tips
    assert f"2 in all, most on {today} (2)." in charts[0].get("aria-label")
    assert 'style="' not in html.split("<svg", 1)[1].split("</svg>")[0]  # the CSP forbids it


def test_period_and_filters_are_kept_and_carried_to_the_csv(app, history):
    query = "since=2024-01-01&until=2030-12-31&product=Beacon+Analytics&product=Atlas+CRM"
    html = page(app, "manager", f"/reports/?{query}")
    assert 'name="since" value="2024-01-01"' in html
    assert 'name="until" value="2030-12-31"' in html
    assert 'name="product" value="Beacon Analytics" checked>' in html
    assert 'name="product" value="Atlas CRM" checked>' in html
    assert 'name="product" value="Cobalt Payments">' in html
    link = f"/api/v1/reports/overview.csv?{query}&count=sales".replace("&", "&amp;")
    assert f'href="{link}"' in html
    # Weekly points over so long a period; the Atlas asset's usage still counts.
    assert total(html, "Downloads").startswith("2 ")
    assert chart(html) is not None


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("/reports/?since=2024-01-01", f"{monday().isoformat()},2,1,3,1"),  # weekly points
        ("/reports/searches", "unicorn,1,"),
        ("/reports/top?product=Atlas+CRM", ",Atlas <pricing>,2,1,1"),
    ],
)
def test_the_csv_link_downloads_the_same_report(app, history, path, line):
    browser = Browser(app.test_client())
    browser.login("admin")
    html = browser.client.get(path).get_data(as_text=True)
    link = unescape(re.search(r'href="([^"]+)">Download CSV<', html).group(1))
    assert link.split("?")[1].startswith(path.split("?", 1)[1] if "?" in path else "zero")
    response = browser.client.get(link)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert line in response.get_data(as_text=True)


def test_a_filter_narrows_the_totals(app, history):
    html = page(app, "manager", "/reports/?product=Cobalt+Payments")
    assert total(html, "Downloads") == "0 (no change vs previous 30 days)"
    assert "No downloads, views or searches in this period." in html
    assert "<svg" not in html


def test_change_against_the_previous_period():
    assert change_text(12, 10, 30) == "+20% vs previous 30 days"
    assert change_text(5, 10, 7) == "-50% vs previous 7 days"
    assert change_text(0, 0, 1) == "no change vs previous 1 day"
    assert change_text(3, 0, 30) == "none in the previous 30 days"


def test_top_content(app, history):
    html = page(app, "manager", "/reports/top?limit=5")
    assert table_rows(html)[0] == ["Atlas <pricing>", "2", "1", "1"]
    assert f'href="/assets/{history["atlas"]}"' in html
    assert "Atlas &lt;pricing&gt;" in html  # escaped, never markup
    assert 'name="limit" min="1" max="1000" value="5"' in html
    assert 'href="/api/v1/reports/top-assets.csv?limit=5&amp;count=sales"' in html


def test_top_content_marks_assets_a_manager_cannot_open_and_does_not_link_them(app, api):
    """Drafts and archived assets used in the period keep their rank (the usage happened), with
    their state shown; only those who may open them get a link."""
    ids = {}
    for title, status in (("Live deck", "published"), ("Draft deck", "draft")):
        response = api.upload(make_pdf([title]), f"{status}.pdf", title=title, status=status)
        ids[title] = response.get_json()["id"]
    response = api.upload(make_pdf(["Old deck"]), "old.pdf", title="Old deck")
    ids["Old deck"] = response.get_json()["id"]
    for asset_id in ids.values():
        assert api.get(f"/api/v1/assets/{asset_id}/download", role="marketer").status_code == 200
    assert api.post(f"/api/v1/assets/{ids['Old deck']}/archive").status_code == 200
    html = page(app, "manager", "/reports/top?count=everyone")  # a marketer used them
    titles = {row[0].split()[0] + " " + row[0].split()[1]: row[0] for row in table_rows(html)}
    assert titles == {
        "Live deck": "Live deck",
        "Draft deck": "Draft deck draft",
        "Old deck": "Old deck archived",
    }
    assert f'href="/assets/{ids["Live deck"]}"' in html
    for hidden in ("Draft deck", "Old deck"):
        assert f'href="/assets/{ids[hidden]}"' not in html
        assert page(app, "manager", f"/assets/{ids[hidden]}", status=404)
    admin = page(app, "admin", "/reports/top?count=everyone")  # admins may open every asset
    assert all(f'href="/assets/{asset_id}"' in admin for asset_id in ids.values())


def test_unused_content_lists_what_nobody_downloaded(app, history):
    later = (utc_today() + timedelta(days=10)).isoformat()
    html = page(app, "marketer", f"/reports/unused?until={later}&days=2")
    rows = {row[0]: row for row in table_rows(html)}
    assert rows["Beacon forecast"][1:3] == ["Marketer", "never"]
    assert rows["Atlas <pricing>"][2].startswith(day_text(utc_today()))
    assert f'href="/assets/{history["beacon"]}/edit"' in html
    assert 'name="days" min="1" max="3650" value="2"' in html
    # Managers read it too, without the edit links.
    assert "/edit" not in page(app, "manager", f"/reports/unused?until={later}&days=2")


def test_unused_content_empty_state(app, history):
    html = page(app, "admin", "/reports/unused")
    assert "No live asset has gone 90 days without a download" in html


def test_searches_top_gaps_and_unopened(app, history):
    html = page(app, "marketer", "/reports/searches")
    top = {row[0]: row for row in table_rows(html.split('id="gaps"')[0])}
    assert set(top) == {"pricing", "unicorn", "forecast"}
    assert top["pricing"][1:5] == ["1", "1.0", "0", "1"]
    assert [row[0] for row in table_rows(section(html, "gaps"))] == ["unicorn"]
    assert [row[0] for row in table_rows(section(html, "unopened"))] == ["forecast"]
    assert "searches.csv?zero_results=1&amp;unopened=0" in html
    assert "searches.csv?zero_results=0&amp;unopened=1" in html


def test_people_and_one_person(app, history):
    html = page(app, "manager", "/reports/people?since=2020-01-01")
    rows = {row[0]: row for row in table_rows(html)}
    assert rows["Rep"][1:5] == ["rep", "3", "1", "2"]
    match = re.search(r'href="(/reports/people/\d+\?since=2020-01-01)">Rep<', html)
    assert match
    person = page(app, "manager", match.group(1))
    assert 'name="since" value="2020-01-01"' in person
    assets = table_rows(section(person, "used"))
    assert assets[0][:3] == ["Atlas <pricing>", "1", "2"]
    searches = [row[0] for row in table_rows(section(person, "searched"))]
    assert set(searches) == {"pricing", "unicorn", "forecast"}
    assert "/api/v1/events.csv?user=rep@example.com&amp;since=2020-01-01T00:00:00" in person


def test_asset_page_shows_usage_to_managers_not_to_reps(app, history):
    html = page(app, "manager", f"/assets/{history['atlas']}")
    assert "Usage (last 30 days)" in html
    usage = html.split('id="usage"', 1)[1]
    chart(usage)
    assert table_rows(usage)[0][:3] == ["Rep", "1", "2"]
    assert "pricing" in [row[0] for row in table_rows(usage)]
    assert "Usage (last 30 days)" not in page(app, "rep", f"/assets/{history['atlas']}")
    assert "Usage (last 30 days)" in page(app, "marketer", f"/assets/{history['atlas']}")


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("rep", "/reports/"),
        ("rep", "/reports/unused"),
        ("rep", "/reports/searches"),
        ("rep", "/reports/top"),
        ("rep", "/reports/people"),
        ("rep", "/reports/people/1"),
        ("marketer", "/reports/top"),
        ("marketer", "/reports/people"),
    ],
)
def test_reports_refuse_other_roles(app, role, path):
    assert "Not allowed" in page(app, role, path, 403)


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/reports/?since=last+week", 400, "since"),
        ("/reports/top?since=2026-02-01&until=2026-01-01", 400, "since: must be before until"),
        ("/reports/unused?days=0", 400, "days"),
        ("/reports/searches?zero_results=maybe", 400, "zero_results"),
        ("/reports/people?product=Zeppelin", 400, "Zeppelin"),
        ("/reports/people/999999", 404, "999999"),
    ],
)
def test_bad_parameters_are_pages_that_say_what_was_wrong(app, path, status, message):
    html = page(app, "admin", path, status)
    assert message in unescape(html)


def test_nav_links_to_reports_for_readers_only(app):
    assert 'href="/reports/">Reports</a>' in page(app, "marketer", "/")
    assert 'href="/reports/">Reports</a>' in page(app, "manager", "/")
    assert 'href="/reports/">Reports</a>' not in page(app, "rep", "/")


def test_chart_escapes_labels_and_thins_them():
    points = [(f"<d{i}>", i) for i in range(100)]
    svg_text = render_chart([Series('A "&" B', points), Series("C", points)], "T <x>")
    svg = fromstring(svg_text)
    assert svg.get("aria-label") == "T <x>"
    x_labels = [t.text for t in svg.iter(f"{SVG}text") if (t.text or "").startswith("<d")]
    assert 0 < len(x_labels) < 20 and x_labels[0] == "<d0>"
    assert len(list(svg.iter(f"{SVG}circle"))) == 200
    assert len(list(svg.iter(f"{SVG}polyline"))) == 2
    bars = fromstring(render_chart([Series("A", [("x", 3)])], "Bars", kind="bar"))
    assert [r.find(f"{SVG}title").text for r in bars.iter(f"{SVG}rect") if len(r)] == ["x · A: 3"]
    assert render_chart([], "Nothing") == ""
