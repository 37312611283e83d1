"""Whose usage the reports count: reps and managers by default on the report pages, everyone
on request (and by default in the API, as API.md has always had it).

Those who make collateral (marketers, admins: the roles that may upload) preview it while they
work on it. Their views, downloads and searches are left out of the pages' figures whether the
asset is their own or a colleague's: what counts is who acted, not who owns the asset.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update
from werkzeug.datastructures import MultiDict

from collateral.errors import InvalidInput
from collateral.extensions import db
from collateral.models import Asset, utcnow
from collateral.services import reports
from collateral.services.reports import COUNT_EVERYONE, COUNT_SALES, parse_report_params
from collateral.services.reports_sql import sales_roles
from tests.conftest import Browser
from tests.factories import make_pdf


@pytest.fixture
def usage(app, api):
    """A marketer's asset A and an admin's asset B. A rep and a manager use A; the marketer
    previews A (their own) and B (a colleague's) many times; the admin downloads B."""
    a = api.upload(make_pdf(["Atlas pricing"]), "a.pdf", title="Atlas pricing").get_json()["id"]
    b = api.upload(make_pdf(["Beacon deck"]), "b.pdf", title="Beacon deck", role="admin")
    b = b.get_json()["id"]

    def use(role: str, asset: int, views: int, downloads: int) -> None:
        for _ in range(views):
            assert api.get(f"/api/v1/assets/{asset}", role=role).status_code == 200
        for _ in range(downloads):
            assert api.get(f"/api/v1/assets/{asset}/download", role=role).status_code == 200

    use("rep", a, 1, 1)
    use("manager", a, 1, 0)
    use("marketer", a, 3, 2)  # their own asset
    use("marketer", b, 4, 0)  # a colleague's asset
    use("admin", b, 0, 1)
    api.search(role="rep", q="atlas")
    api.search(role="marketer", q="pricing")
    with app.app_context():  # old enough to be listed as unused
        db.session.execute(update(Asset).values(created_at=datetime(2024, 1, 1)))
        db.session.commit()
    return {"A": a, "B": b}


def period(count: str, **kwargs) -> reports.ReportParams:
    until = utcnow() + timedelta(minutes=1)
    return reports.ReportParams(
        since=until - timedelta(days=30), until=until, count=count, **kwargs
    )


def top(count: str) -> list[tuple]:
    return [
        (r.asset.title, r.downloads, r.views, r.unique_users)
        for r in reports.top_assets(period(count))
    ]


def test_sales_are_the_roles_that_do_not_make_collateral(app):
    assert sales_roles() == ("rep", "manager")


def test_top_content_leaves_out_previews_unless_everyone_counts(app, usage):
    with app.app_context():
        assert top(COUNT_SALES) == [("Atlas pricing", 1, 2, 2)]
        assert top(COUNT_EVERYONE) == [("Atlas pricing", 3, 5, 3), ("Beacon deck", 1, 4, 2)]


def test_overview_searches_and_people_follow_the_choice(app, usage):
    with app.app_context():
        totals = reports.overview(period(COUNT_SALES)).totals
        assert (totals.downloads, totals.views, totals.searches, totals.active_reps) == (1, 2, 1, 1)
        totals = reports.overview(period(COUNT_EVERYONE)).totals
        assert (totals.downloads, totals.views, totals.searches, totals.active_reps) == (4, 9, 2, 1)
        points = reports.overview(period(COUNT_SALES)).points
        assert sum(p.views for p in points) == 2  # the per-day figures too
        assert [r.query for r in reports.searches(period(COUNT_SALES))] == ["atlas"]
        assert {r.query for r in reports.searches(period(COUNT_EVERYONE))} == {"atlas", "pricing"}
        people = [r.user.role for r in reports.users_report(period(COUNT_SALES))]
        assert sorted(people) == ["manager", "rep"]
        people = [r.user.role for r in reports.users_report(period(COUNT_EVERYONE))]
        assert sorted(people) == ["admin", "manager", "marketer", "rep"]


def test_unused_content_and_asset_usage_follow_the_choice(app, usage):
    with app.app_context():
        stale = [r.asset.title for r in reports.stale_assets(period(COUNT_SALES, days=30))]
        assert stale == ["Beacon deck"]  # only the admin downloaded it
        assert reports.stale_assets(period(COUNT_EVERYONE, days=30)) == []
        own = reports.asset_usage(usage["A"], period(COUNT_SALES))
        assert sum(p.downloads for p in own.points) == 1
        assert [(v.user.role, v.downloads) for v in own.by_user] == [("rep", 1)]
        everyone = reports.asset_usage(usage["A"], period(COUNT_EVERYONE))
        assert sum(p.downloads for p in everyone.points) == 3


def test_one_persons_page_counts_their_own_events_whatever_the_choice(app, usage):
    with app.app_context():
        marketer = next(
            r.user
            for r in reports.users_report(period(COUNT_EVERYONE))
            if r.user.role == "marketer"
        )
        activity = reports.user_activity(marketer.id, period(COUNT_SALES))
        assert (activity.row.views, activity.row.downloads, activity.row.searches) == (7, 2, 1)


def test_the_choice_is_parsed_with_a_default_per_caller(app):
    with app.test_request_context():
        assert parse_report_params(MultiDict()).count == COUNT_EVERYONE
        assert parse_report_params(MultiDict(), default_count=COUNT_SALES).count == COUNT_SALES
        assert parse_report_params(MultiDict({"count": "Everyone"}), COUNT_SALES).count == (
            COUNT_EVERYONE
        )
        with pytest.raises(InvalidInput, match="count: 'all' is not a choice"):
            parse_report_params(MultiDict({"count": "all"}))


def test_the_api_counts_everyone_unless_asked(api, usage):
    everyone = api.get("/api/v1/reports/top-assets", role="manager").get_json()
    assert [(r["asset"]["title"], r["downloads"]) for r in everyone] == [
        ("Atlas pricing", 3),
        ("Beacon deck", 1),
    ]
    sales = api.get("/api/v1/reports/top-assets?count=sales", role="manager").get_json()
    assert [(r["asset"]["title"], r["downloads"]) for r in sales] == [("Atlas pricing", 1)]
    bad = api.get("/api/v1/reports/top-assets?count=all", role="manager")
    assert bad.status_code == 400 and "count" in bad.get_data(as_text=True)


def test_the_pages_count_sales_and_offer_everyone(app, usage):
    browser = Browser(app.test_client())
    browser.login("manager")
    html = browser.client.get("/reports/top").get_data(as_text=True)
    assert "Beacon deck" not in html
    assert 'name="count" value="sales" checked>' in html
    html = browser.client.get("/reports/top?count=everyone").get_data(as_text=True)
    assert "Beacon deck" in html
    assert 'name="count" value="everyone" checked>' in html
    assert "top-assets.csv?count=everyone" in html  # the CSV counts what the page counts
    asset = browser.client.get(f"/assets/{usage['A']}").get_data(as_text=True)
    usage_rows = asset.split('id="usage"', 1)[1]
    assert ">Rep<" in usage_rows and ">Marketer<" not in usage_rows
