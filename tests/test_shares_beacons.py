"""Time per page from the buyer's page: the server keeps only what can be true."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from collateral.extensions import db
from collateral.models import SharePageTime, ShareVisit
from collateral.services.share_visits import BEACONS_PER_MINUTE
from tests.factories import make_pdf
from tests.test_shares import make_share, token_of


@pytest.fixture
def deck(api) -> int:
    pages = [f"Page {n} of the Atlas deck" for n in range(1, 4)]
    response = api.upload(make_pdf(pages), "atlas.pdf", title="Atlas pricing")
    assert response.status_code == 201
    return response.get_json()["id"]


@pytest.fixture
def link(api, client, deck):
    """A link opened by a buyer: (token, visit id, visit key, share id)."""
    share = make_share(api, [deck])
    token = token_of(share)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    visit = int(re.search(r'data-visit="(\d+)"', html).group(1))
    key = re.search(r'data-key="([^"]+)"', html).group(1)
    return token, visit, key, share["id"]


def age_visit(app, visit_id: int, seconds: float) -> None:
    """Make the visit have begun `seconds` ago."""
    with app.app_context():
        visit = db.session.get(ShareVisit, visit_id)
        visit.started_at -= timedelta(seconds=seconds)
        visit.beacon_window_at = None
        db.session.commit()


def send(client, token, body, content_type="text/plain;charset=UTF-8", **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        f"/s/{token}/beacon", data=data, headers={"Content-Type": content_type, **headers}
    )


def stored(app, visit_id: int) -> dict[tuple[int, int], float]:
    with app.app_context():
        rows = db.session.query(SharePageTime).filter_by(visit_id=visit_id)
        return {(r.asset_id, r.page): r.seconds for r in rows}


def test_seconds_are_kept_per_page_and_shown_to_the_sender(app, api, client, deck, link):
    token, visit, key, share_id = link
    age_visit(app, visit, 60)
    pages = [{"asset": deck, "page": 1, "seconds": 12.5}, {"asset": deck, "page": 2, "seconds": 7}]
    response = send(client, token, {"visit": visit, "key": key, "pages": pages})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"accepted": 19.5, "refused": []}
    send(client, token, {"visit": visit, "key": key, "pages": [pages[0]]}, "application/json")
    assert stored(app, visit) == {(deck, 1): 25.0, (deck, 2): 7.0}
    body = api.get(f"/api/v1/shares/{share_id}", role="rep").get_json()
    assert body["totals"]["seconds"] == 32.0
    assert body["visits"][0]["seconds"] == 32.0
    assert body["visits"][0]["pages"] == [
        {"asset": deck, "page": 1, "seconds": 25.0},
        {"asset": deck, "page": 2, "seconds": 7.0},
    ]


def test_no_more_seconds_than_have_passed_per_page_and_in_sum(app, client, deck, link):
    token, visit, key, _ = link
    # Just opened: a claim of a minute on one page is cut to the few seconds that passed.
    response = send(
        client,
        token,
        {"visit": visit, "key": key, "pages": [{"asset": deck, "page": 1, "seconds": 60}]},
    )
    body = response.get_json()
    assert response.status_code == 200
    assert body["accepted"] <= 3.0 and body["refused"][0]["reason"] == "more than has passed"
    age_visit(app, visit, 30)
    # Thirty seconds later: 20 + 20 on two pages is more than has passed in sum.
    pages = [{"asset": deck, "page": 2, "seconds": 20}, {"asset": deck, "page": 3, "seconds": 20}]
    send(client, token, {"visit": visit, "key": key, "pages": pages})
    times = stored(app, visit)
    assert sum(times.values()) <= 30 + 3.0
    assert times[(deck, 2)] == 20.0 and times[(deck, 3)] < 20.0
    # Nothing more can be added until more time passes.
    again = send(client, token, {"visit": visit, "key": key, "pages": pages})
    assert again.get_json()["accepted"] <= 1.0


def test_only_pages_of_the_links_assets(app, api, client, deck, link):
    token, visit, key, _ = link
    age_visit(app, visit, 60)
    other = api.upload(make_pdf(["Other"]), "o.pdf", title="Other").get_json()["id"]
    pages = [
        {"asset": other, "page": 1, "seconds": 5},
        {"asset": deck, "page": 4, "seconds": 5},
        {"asset": deck, "page": 0, "seconds": 5},
        {"asset": deck, "page": 3, "seconds": 5},
    ]
    body = send(client, token, {"visit": visit, "key": key, "pages": pages}).get_json()
    assert body["accepted"] == 5.0
    assert [r["reason"] for r in body["refused"]] == ["not shown"] * 3
    assert stored(app, visit) == {(deck, 3): 5.0}


def test_a_beacon_needs_its_visit_key_and_link(app, api, client, deck, link):
    token, visit, key, _ = link
    item = [{"asset": deck, "page": 1, "seconds": 1}]
    assert send(client, token, {"visit": visit, "key": "x" * 32, "pages": item}).status_code == 404
    assert send(client, token, {"visit": visit + 1, "key": key, "pages": item}).status_code == 404
    second = make_share(api, [deck])
    wrong_link = send(client, token_of(second), {"visit": visit, "key": key, "pages": item})
    assert wrong_link.status_code == 404
    assert stored(app, visit) == {}


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        "{}",
        '{"visit": "1", "key": "k", "pages": []}',
        '{"visit": 1, "key": 5, "pages": []}',
        '{"visit": 1, "key": "k", "pages": {}}',
        '{"visit": 1, "key": "k", "pages": [5]}',
        '{"visit": 1, "key": "k", "pages": [{"asset": 1, "page": 1, "seconds": NaN}]}',
        '{"visit": 1, "key": "k", "pages": [{"asset": 1, "page": 1, "seconds": -5}]}',
        '{"visit": 1, "key": "k", "pages": [{"asset": 1, "page": 1, "seconds": "5"}]}',
        '{"visit": 1, "key": "k", "pages": [{"asset": 1e99, "page": 1, "seconds": 5}]}',
        '{"visit": 99999999999999999999, "key": "k", "pages": []}',
        "[" * 100000,
        b"\xff\xfe\x00",
    ],
)
def test_garbage_is_a_400_never_a_500(client, link, body):
    token = link[0]
    response = send(client, token, body)
    assert response.status_code == 400, (body, response.status_code)
    assert response.get_json()["error"]["message"]


def test_only_same_origin_text_or_json(client, deck, link):
    token, visit, key, _ = link
    body = {"visit": visit, "key": key, "pages": [{"asset": deck, "page": 1, "seconds": 1}]}
    assert send(client, token, body, "application/x-www-form-urlencoded").status_code == 400
    assert send(client, token, body, "multipart/form-data; boundary=x").status_code == 400
    assert send(client, token, body, Origin="https://evil.example").status_code == 400
    assert send(client, token, body, **{"Sec-Fetch-Site": "cross-site"}).status_code == 400
    assert send(client, token, body, Origin="http://localhost").status_code == 200


def test_a_bounded_rate_per_visit(app, client, deck, link):
    token, visit, key, _ = link
    age_visit(app, visit, 600)
    body = {"visit": visit, "key": key, "pages": [{"asset": deck, "page": 1, "seconds": 1}]}
    statuses = [send(client, token, body).status_code for _ in range(BEACONS_PER_MINUTE + 1)]
    assert statuses[:-1] == [200] * BEACONS_PER_MINUTE
    assert statuses[-1] == 429
    assert stored(app, visit) == {(deck, 1): float(BEACONS_PER_MINUTE)}


def test_a_revoked_link_takes_no_more_beacons(api, client, deck, link):
    token, visit, key, share_id = link
    api.post(f"/api/v1/shares/{share_id}/revoke", role="rep")
    body = {"visit": visit, "key": key, "pages": [{"asset": deck, "page": 1, "seconds": 1}]}
    assert send(client, token, body).status_code == 410


def test_beacons_of_one_visit_at_once_never_spend_the_same_seconds(app, client, deck, link):
    token, visit, key, _ = link
    age_visit(app, visit, 40)
    body = {"visit": visit, "key": key, "pages": [{"asset": deck, "page": 1, "seconds": 10}]}

    def one(_):
        response = app.test_client().post(
            f"/s/{token}/beacon", data=json.dumps(body), content_type="text/plain"
        )
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(one, range(8)))
    accepted = sum(answer["accepted"] for status, answer in answers if status == 200)
    assert {status for status, _ in answers} <= {200, 503}
    assert 40 <= accepted <= 40 + 3.0
    assert stored(app, visit) == {(deck, 1): pytest.approx(accepted, abs=0.01)}
