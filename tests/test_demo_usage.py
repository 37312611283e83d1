"""The demo's sixty days of usage: a fixed plan, written once, and every report page shows
something on first run."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from collateral.demo_usage import DAYS, GAP_QUERIES, plan_usage
from collateral.extensions import db
from collateral.models import Event, Share, SharePageTime, ShareVisit, User, utcnow
from collateral.services.demo import load_demo
from tests.conftest import Browser

TODAY = date(2026, 3, 20)
NOW = datetime(2026, 3, 20, 12, 0)
TEAM = ["a@example.com", "b@example.com", "c@example.com"]
TITLES = ["Deck", "Pricing", "Case study", "Battlecard"]
FOUND = {"pricing": ["Pricing"], "case study": ["Case study", "Deck"], "roi": ["Deck"]}


def plan():
    return plan_usage(TODAY, NOW, TEAM, TITLES, FOUND, {"Deck": 6})


def test_the_plan_is_the_same_every_time_and_spans_sixty_days():
    first, second = plan(), plan()
    assert first == second
    days = {s.at.date() for s in first.searches}
    assert min(days) == TODAY - timedelta(days=DAYS - 1) and max(days) == TODAY
    assert all(s.at <= NOW for s in first.searches)
    assert {s.user for s in first.searches} == set(TEAM)
    assert any(s.query in GAP_QUERIES for s in first.searches)
    # Only what a query finds is opened from it.
    assert all(u.title in FOUND[s.query] for s in first.searches for u in s.opened)
    assert first.shares and any(share.visits for share in first.shares)
    assert {u.type for _, u in first.uses} == {"view", "download"}


@pytest.fixture
def demo(app, tmp_path):
    with app.app_context():
        started = time.perf_counter()
        report = load_demo(tmp_path / "files")
        seconds = time.perf_counter() - started
        again = load_demo(tmp_path / "again")
    return report, again, seconds


def test_the_demo_writes_sixty_days_of_usage_once(app, demo):
    report, again, _ = demo
    assert report.usage.searches > 100 and report.usage.views > 50 and report.usage.downloads > 10
    assert report.usage.shares > 0 and report.usage.visits > 0
    assert again.usage.searches == 0  # a second run adds none
    with app.app_context():
        first, last = db.session.execute(
            select(func.min(Event.at), func.max(Event.at)).where(Event.type == "search")
        ).one()
        today = utcnow().date()
        # Sixty days: the first falls on the first day or soon after (a weekend is quiet).
        assert today - timedelta(days=DAYS - 1) <= first.date() <= today - timedelta(days=DAYS - 4)
        assert last.date() >= today - timedelta(days=1)  # today's may not have come yet
        assert last <= utcnow()
        roles = db.session.scalars(
            select(User.role).join(Event, Event.user_id == User.id).where(Event.type == "view")
        )
        assert set(roles) == {"rep", "manager"}
        zero = select(func.count()).where(Event.type == "search", Event.result_count == 0)
        assert db.session.scalar(zero) > 0
        opened = select(func.count()).where(Event.search_event_id.is_not(None))
        assert db.session.scalar(opened) > 0
        assert db.session.scalar(select(func.count(Share.id))) == report.usage.shares
        assert db.session.scalar(select(func.count(ShareVisit.id))) == report.usage.visits
        assert db.session.scalar(select(func.count()).select_from(SharePageTime)) > 0


PAGES = [
    ("manager", "/reports/", r"<svg"),
    ("manager", "/reports/top", r'<td class="num">[1-9]'),
    ("manager", "/reports/unused?days=1&until=2100-01-01", r"live assets? not downloaded"),
    ("marketer", "/reports/searches", r"id=\"gaps\".*?<td class=\"num\">[1-9]"),
    ("manager", "/reports/people", r"East Region Rep"),
    ("manager", "/reports/engagement", r"<td[^>]*>[1-9]"),
    ("manager", "/reports/events?type=share_visit", r"share: [0-9]+; visit: [0-9]+"),
]


def test_every_report_page_shows_something_for_the_demo(app, demo):
    """One demo load for every page: loading it is the slow part of this test."""
    browsers = {}
    for role, path, shows in PAGES:
        if role not in browsers:
            browsers[role] = Browser(app.test_client())
            browsers[role].login(role)
        response = browsers[role].client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, html[:500]
        assert re.search(shows, html, re.S), path
        body = html.split("</form>", 1)[-1].split('id="unopened"')[0]
        assert 'class="empty"' not in body, path
