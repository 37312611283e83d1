"""The page tour (tests/page_tour.py) covers every page route, and each of its pages answers
as the tour expects for every role and for a visitor with no account."""

import re

import pytest

from tests.conftest import ROLES, Browser
from tests.page_tour import (
    html_get_endpoints,
    seeded_app,
    signed_in_stops,
    signed_out_stops,
    untoured,
)


@pytest.fixture(scope="module")
def tour(tmp_path_factory, template_db):
    with seeded_app(tmp_path_factory.mktemp("tour"), *template_db) as (app, seeded):
        yield app, seeded


def test_every_page_route_is_toured_or_skipped_with_a_reason(tour):
    app, _ = tour
    assert not untoured(app), (
        f"page routes missing from tests/page_tour.py: {sorted(untoured(app))}; "
        "add each to ROUTES (or SIGNED_OUT) with its parameters, or to SKIPPED saying why"
    )
    assert {"library.search", "buyer.page", "auth.login"} <= html_get_endpoints(app)


@pytest.mark.parametrize("role", [None, *ROLES])
def test_each_page_of_the_tour_answers_html_with_its_status(tour, role):
    """Each page opens as the tour expects (a form sent wrong is sent in the browser test)."""
    app, seeded = tour
    client = app.test_client()
    if role is None:
        stops = signed_out_stops(app, seeded)
    else:
        assert Browser(client).login(role).status_code == 302
        stops = signed_in_stops(app, seeded, role)
    wrong = []
    for stop in stops:
        response = client.get(stop.path)
        html = response.get_data(as_text=True)
        status = 200 if stop.fill else stop.status
        if response.status_code != status or "<html" not in html:
            wrong.append((stop.name, stop.path, response.status_code, html[:200]))
    assert not wrong, wrong
    assert len(set(stops)) == len(stops)


@pytest.mark.parametrize(
    "role, path",
    [("rep", "/account"), ("admin", "/admin/users"), ("marketer", "/incomplete")],
)
def test_the_action_column_of_a_table_has_a_header_a_screen_reader_reads(tour, role, path):
    """A table's last column (Revoke, Save, Edit) is named, though its header shows nothing:
    a screen reader announces the header of each cell it reads."""
    app, _ = tour
    client = app.test_client()
    assert Browser(client).login(role).status_code == 302
    html = client.get(path).get_data(as_text=True)
    headers = re.findall(r"<th\b[^>]*>(.*?)</th>", html, re.S)
    assert headers and all(re.sub(r"<[^>]+>", "", h).strip() for h in headers), headers
