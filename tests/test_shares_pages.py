"""The rep's pages for links (make one, My shares, one link) and the engagement report."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from collateral.extensions import db
from collateral.models import ShareVisit
from tests.factories import make_pdf
from tests.test_openapi import validate
from tests.test_shares import make_share, token_of
from tests.test_shares_beacons import age_visit, send


@pytest.fixture
def deck(api) -> int:
    pages = [f"Heron deck page {n}" for n in range(1, 5)]
    response = api.upload(make_pdf(pages), "heron.pdf", title="Heron deck", products=["Atlas CRM"])
    return response.get_json()["id"]


@pytest.fixture
def sheet(api) -> int:
    response = api.upload(b"Heron price list", "prices.txt", title="Heron prices")
    return response.get_json()["id"]


def test_share_buttons_on_search_and_asset_pages(browser, client, deck):
    browser.login("rep")
    search = client.get("/?q=heron").get_data(as_text=True)
    assert f'href="/shares/new?asset={deck}"' in search
    assert 'form="share-selection"' in search and 'id="share-selection"' in search
    assert f'href="/shares/new?asset={deck}"' in client.get(f"/assets/{deck}").get_data(
        as_text=True
    )
    assert 'href="/shares"' in search  # the header's "Shares"


def test_a_room_of_several_assets_from_the_form(browser, client, deck, sheet):
    browser.login("rep")
    form = client.get(f"/shares/new?asset={deck}&asset={sheet}").get_data(as_text=True)
    assert "Heron deck" in form and "Heron prices" in form and "a room" in form
    response = browser.post(
        "/shares/new",
        {
            "asset": [str(deck), str(sheet)],
            "recipient": "buyer@heron.example",
            "allow_download": "on",
            "title": "",
            "expires_at": "",
            "passcode": "",
        },
    )
    assert response.status_code == 303
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "For buyer@heron.example" in detail and "Copy" in detail
    url = re.search(r'id="share-url" readonly value="([^"]+)"', detail).group(1)
    buyer = client.application.test_client()
    page = buyer.get("/s/" + url.rsplit("/s/", 1)[1]).get_data(as_text=True)
    assert "Heron deck" in page and "Heron prices" in page


def test_my_shares_lists_totals_and_the_share_page_changes_and_revokes(
    app, api, browser, client, deck
):
    share = make_share(api, [deck], title="For Heron")
    token = token_of(share)
    buyer = app.test_client()
    html = buyer.get(f"/s/{token}").get_data(as_text=True)
    visit = int(re.search(r'data-visit="(\d+)"', html).group(1))
    key = re.search(r'data-key="([^"]+)"', html).group(1)
    age_visit(app, visit, 60)
    pages = [{"asset": deck, "page": 1, "seconds": 20}, {"asset": deck, "page": 2, "seconds": 9}]
    assert send(buyer, token, {"visit": visit, "key": key, "pages": pages}).status_code == 200

    browser.login("rep")
    listing = client.get("/shares").get_data(as_text=True)
    assert "For Heron" in listing and "opened" in listing and "0 min 29 s" in listing
    detail = client.get(f"/shares/{share['id']}").get_data(as_text=True)
    assert detail.count('class="visit-page"') == 2 and "20.0" in detail and "9.0" in detail
    response = browser.post(
        f"/shares/{share['id']}",
        {"flags": "1", "title": "For Heron, v2", "expires_at": "2099-01-31"},
    )
    assert response.status_code == 303
    body = api.get(f"/api/v1/shares/{share['id']}", role="rep").get_json()
    assert body["title"] == "For Heron, v2" and body["allow_download"] is False
    assert body["expires_at"].startswith("2099-02-01")
    assert browser.post(f"/shares/{share['id']}/revoke").status_code == 303
    assert buyer.get(f"/s/{token}").status_code == 410
    # A rep cannot open someone else's link page; a manager sees every link.
    other = make_share(api, [deck], role="marketer", title="Marketer link")
    assert client.get(f"/shares/{other['id']}").status_code == 404
    manager = app.test_client()
    from tests.conftest import Browser

    Browser(manager).login("manager")
    assert "Marketer link" in manager.get("/shares").get_data(as_text=True)


def test_the_engagement_report_json_csv_and_page(app, api, client, browser, deck):
    share = make_share(api, [deck])
    token = token_of(share)
    for n, reached in enumerate((4, 2, 2)):  # three buyers: one reads all, two stop at page 2
        buyer = app.test_client()
        html = buyer.get(f"/s/{token}").get_data(as_text=True)
        visit = int(re.search(r'data-visit="(\d+)"', html).group(1))
        key = re.search(r'data-key="([^"]+)"', html).group(1)
        age_visit(app, visit, 300)
        items = [{"asset": deck, "page": p, "seconds": 10.0 + n} for p in range(1, reached + 1)]
        send(buyer, token, {"visit": visit, "key": key, "pages": items})
    buyer.get(f"/s/{token}/assets/{deck}/download").close()

    report = api.get("/api/v1/reports/engagement", role="marketer")
    assert report.status_code == 200
    body = report.get_json()
    validate(body, "ReportEngagement")
    (row,) = body["results"]
    assert row["asset"]["id"] == deck
    assert (row["shares"], row["visits"], row["readers"], row["downloads"]) == (1, 3, 3, 1)
    assert row["seconds"] == 40 + 22 + 24
    (deck_report,) = body["decks"]
    assert [p["reached"] for p in deck_report["pages"]] == [3, 3, 1, 1]
    assert deck_report["drop_page"] == 2
    assert api.get("/api/v1/reports/engagement", role="rep").status_code == 403
    filtered = api.get(
        "/api/v1/reports/engagement?product=Beacon Analytics", role="marketer"
    ).get_json()
    assert filtered["results"] == []

    csv_text = api.get("/api/v1/reports/engagement.csv", role="manager").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert rows[0]["title"] == "Heron deck" and rows[0]["visits"] == "3"

    browser.login("marketer")
    page = client.get("/reports/engagement").get_data(as_text=True)
    assert "Buyer engagement" in page and page.count("<svg") == 2
    assert "Most readers stopped after page 2" in page
    assert "/api/v1/reports/engagement.csv" in page
    with app.app_context():
        old = db.session.query(ShareVisit).first()
        old.started_at -= timedelta(days=400)
        db.session.commit()
    body = api.get("/api/v1/reports/engagement", role="marketer").get_json()
    assert body["results"][0]["visits"] == 2
