"""Views and downloads remember the search that led to them, for the usage reports."""

from sqlalchemy import select

from collateral.extensions import db
from collateral.models import Event, event_term
from tests.factories import make_pdf


def upload(api, words="Pelican pricing for clinics", **fields):
    response = api.upload(make_pdf([words]), "pelican.pdf", title="Pelican sheet", **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def events_of(app, type):
    with app.app_context():
        return db.session.scalars(select(Event).where(Event.type == type).order_by(Event.id)).all()


def test_a_search_records_its_query_results_and_filter_terms(app, api):
    upload(api, products=["Atlas CRM"])
    found = api.search(q="  Pelican   PRICING ", product="Atlas CRM")
    assert found["total"] == 1 and found["search_id"] is not None
    (search,) = events_of(app, "search")
    assert search.id == found["search_id"]
    assert (search.search_query, search.result_count) == ("pelican pricing", 1)
    assert search.detail["query"] == "Pelican   PRICING"
    with app.app_context():
        terms = db.session.execute(
            select(event_term.c.term_id).where(event_term.c.event_id == search.id)
        ).scalars()
        from collateral.services.taxonomy import list_terms

        atlas = next(t.id for t in list_terms("product") if t.name == "Atlas CRM")
        assert list(terms) == [atlas]
    assert api.search(q="pelican", page=1, per_page=1)["search_id"] is not None
    assert api.search()["search_id"] is None  # browsing everything is not a search


def test_api_views_and_downloads_carry_the_search_id(app, api):
    asset = upload(api)
    search_id = api.search(q="pelican")["search_id"]
    api.get(f"/api/v1/assets/{asset['id']}", query_string={"search": search_id})
    api.get(asset["download_url"], query_string={"search": search_id})
    assert [e.search_event_id for e in events_of(app, "view")] == [search_id]
    assert [e.search_event_id for e in events_of(app, "download")] == [search_id]


def test_foreign_stale_or_malformed_search_ids_are_ignored(app, api):
    asset = upload(api)
    managers_search = api.search(role="manager", q="pelican")["search_id"]
    for value in (str(managers_search), "x", "²", "9" * 40, "-1", "999999"):
        response = api.get(f"/api/v1/assets/{asset['id']}", query_string={"search": value})
        assert response.status_code == 200, value
    assert {e.search_event_id for e in events_of(app, "view")} == {None}


def test_pages_link_results_to_their_search(app, api, browser):
    asset = upload(api)
    browser.login("rep")
    html = browser.client.get("/?q=pelican").get_data(as_text=True)
    (search,) = events_of(app, "search")
    assert f'href="/assets/{asset["id"]}?search={search.id}"' in html
    assert f'href="/assets/{asset["id"]}/download?search={search.id}"' in html
    page = browser.client.get(f"/assets/{asset['id']}?search={search.id}").get_data(as_text=True)
    assert f"/assets/{asset['id']}/download?search={search.id}" in page
    download = browser.client.get(f"/assets/{asset['id']}/download?search={search.id}")
    download.get_data()
    download.close()
    assert [e.search_event_id for e in events_of(app, "view")] == [search.id]
    assert [e.search_event_id for e in events_of(app, "download")] == [search.id]
