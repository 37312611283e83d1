"""The overview's small multiples: one chart per measure with its own y axis, readable labels,
and the same figures in a table for screen readers."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

from defusedxml.ElementTree import fromstring

from collateral.views.report_charts import Measure, small_chart, summary
from tests.conftest import Browser
from tests.test_reports import history  # noqa: F401  # a known history of events

SVG = "{http://www.w3.org/2000/svg}"
DAYS = [date(2025, 6, 1) + timedelta(days=i) for i in range(30)]


def ticks(svg) -> list[str]:
    """The y axis values: tick labels right-aligned left of the plot."""
    return [t.text for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "end"]


def test_each_measure_gets_its_own_scale():
    searches = fromstring(
        small_chart(Measure("Searches", [i * 40 for i in range(30)]), DAYS, "day", 0)
    )
    reps = fromstring(
        small_chart(Measure("Active reps", [i % 3 for i in range(30)]), DAYS, "day", 1)
    )
    assert ticks(searches) == ["0", "500", "1,000", "1,500"] and ticks(reps) == ["0", "1", "2"]
    bars = [r for r in reps.iter(f"{SVG}rect") if r.get("class") == "chart-bar"]
    assert len(bars) == 30
    assert bars[2].find(f"{SVG}title").text == "3 Jun: 2 active reps"
    assert (
        float(bars[2].get("height"))
        > float(bars[1].get("height"))
        > 0
        == float(bars[0].get("height"))
    )


def test_labels_fit_and_the_chart_scales_with_its_viewbox():
    svg = fromstring(small_chart(Measure("Views", [1] * 30), DAYS, "day", 0))
    assert svg.get("role") == "img" and svg.get("viewBox") == "0 0 400 220"
    assert svg.get("width") is None  # the page's CSS sizes it to its cell
    x_labels = [t for t in svg.iter(f"{SVG}text") if t.get("text-anchor") != "end"]
    positions = [float(t.get("x")) for t in x_labels]
    assert 3 <= len(x_labels) <= 6 and x_labels[0].text == "1 Jun"
    assert all(b - a >= 70 for a, b in zip(positions, positions[1:], strict=False))
    assert int(svg.get("font-size")) >= 12


def test_the_accessible_name_summarises_the_measure():
    assert summary(Measure("Downloads", [0, 5, 2]), DAYS[:3], "day") == (
        "Downloads per day, 1 Jun to 3 Jun: 7 in all, most on 2 Jun (5)."
    )
    assert summary(Measure("Views", [0, 0]), DAYS[:2], "week").endswith(": 0 in all.")
    assert small_chart(Measure("Views", []), [], "day", 0) == ""
    hostile = fromstring(small_chart(Measure('<b>"x"</b>', [1]), DAYS[:1], "day", 0))
    assert hostile.get("aria-label").startswith('<b>"x"</b> per day')


def test_the_overview_page_has_four_charts_and_a_table_of_the_same_figures(app, history):  # noqa: F811
    browser = Browser(app.test_client())
    browser.login("manager")
    html = browser.client.get(
        "/reports/?since=2025-06-01&until=2025-06-10&count=everyone"
    ).get_data(as_text=True)
    charts = [fromstring(s) for s in re.findall(r"<svg.*?</svg>", html, re.S)]
    assert [c.get("aria-label").split(" per ")[0] for c in charts] == [
        "Downloads",
        "Views",
        "Searches",
        "Active reps",
    ]
    table = html.split('<details class="chart-table"', 1)[1].split("</details>", 1)[0]
    assert "<summary>Show as table</summary>" in table
    assert re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', table) == [
        "Day",
        "Downloads",
        "Views",
        "Searches",
        "Active reps",
    ]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]:
        head = unescape(
            re.sub(r"<[^>]+>", "", re.search(r'<th scope="row">(.*?)</th>', row).group(1))
        )
        rows[head] = [int(v) for v in re.findall(r'<td class="num">(\d+)</td>', row)]
    assert len(rows) == 10
    # The history's 3 June: two views (rep and rep2), the rep's search the day before.
    assert rows["3 Jun 2025"] == [0, 2, 0, 2]
    assert rows["1 Jun 2025"] == [1, 0, 0, 1]
    # The table and the charts agree, bar by bar.
    for n, chart in enumerate(charts):
        tips = [r.find(f"{SVG}title").text for r in chart.iter(f"{SVG}rect")]
        assert [int(t.split(": ")[1].split()[0]) for t in tips] == [v[n] for v in rows.values()]
