"""The audit log page shows each event's detail as text; the API and the CSV keep the object.

The events are made through the app, so the formatter is tried on the shapes services write."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape

import pytest

from collateral.services.reports_audit_text import describe_detail
from tests.conftest import Browser
from tests.factories import make_pdf


@pytest.fixture
def audited(app, api):
    """An upload, an edit of its title and products, an archive, a filtered search, a failed
    sign-in and a share link changed: events as the services record them."""
    body = api.upload(make_pdf(["Pricing"]), "old.pdf", title="Old", products=["Atlas CRM"])
    asset = body.get_json()["id"]
    change = {"title": "New", "products": ["Atlas CRM", "Beacon Analytics"], "tags": ["q3"]}
    assert api.patch(f"/api/v1/assets/{asset}", json=change).status_code == 200
    assert api.post(f"/api/v1/assets/{asset}/archive").status_code == 200
    api.search(q="pricing", product="Atlas CRM")
    Browser(app.test_client()).login("rep", password="wrong password")
    return asset


def detail_cells(html: str) -> dict[str, str]:
    """Event type -> the first detail cell shown for it (newest first)."""
    cells: dict[str, str] = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        tds = [
            unescape(re.sub(r"<[^>]+>", "", td)).strip()
            for td in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        if tds:
            cells.setdefault(tds[1], tds[4])
    return cells


def test_the_audit_log_page_reads_as_text(app, audited):
    browser = Browser(app.test_client())
    browser.login("manager")
    html = browser.client.get("/reports/events").get_data(as_text=True)
    cells = detail_cells(html)
    assert cells["update"] == (
        "title: 'Old' → 'New'; products: added Beacon Analytics; tags: added q3"
    )
    assert cells["archive"] == "status: 'published' → 'archived'"
    assert cells["search"].startswith("query: 'pricing'; filters: product Atlas CRM; results: 0")
    assert cells["login_failed"] == "email: 'rep@example.com'"
    upload = cells["upload"]
    assert upload.startswith("filename: 'old.pdf'; size: ") and " bytes; sha256: " in upload
    assert re.search(r"sha256: [0-9a-f]{12}…;", upload)
    assert "{" not in "".join(cells.values())  # no JSON left on the page


def test_the_api_and_csv_keep_the_detail_object(api, audited):
    events = api.get("/api/v1/events?type=update", role="manager").get_json()
    rows = events["events"]
    assert rows[0]["detail"]["changes"]["title"] == ["Old", "New"]
    text = api.get("/api/v1/events.csv?type=update", role="manager").get_data(as_text=True)
    row = next(csv.DictReader(io.StringIO(text)))
    assert json.loads(row["detail"])["changes"]["products"][1] == ["Atlas CRM", "Beacon Analytics"]


@pytest.mark.parametrize(
    ("detail", "text"),
    [
        ({}, ""),
        (None, ""),
        (
            {"changes": {"role": ["rep", "manager"], "active": [True, False]}, "email": "a@b.c"},
            "role: 'rep' → 'manager'; active: yes → no; email: 'a@b.c'",
        ),
        ({"changes": {"expires_at": [None, "2027-01-31"]}}, "expires at: none → '2027-01-31'"),
        (
            {"changes": {"industries": [["Retail", "Healthcare"], []]}},
            "industries: removed Retail, Healthcare",
        ),
        (
            {"share": 4, "changes": {"passcode": "set", "allow_download": False}},
            "passcode: 'set'; allow download: no; share: 4",
        ),
        (
            {"kind": "product", "name": "Atlas", "place": [3, 1]},
            "kind: 'product'; name: 'Atlas'; place: 3 → 1",
        ),
        ({"filters": {}, "query": "x" * 100}, "filters: none; query: '" + "x" * 79 + "…'"),
    ],
)
def test_describe_detail_shapes(detail, text):
    assert describe_detail(detail) == text
