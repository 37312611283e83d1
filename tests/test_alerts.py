"""Supersede alerts: a new version, an expiry or an archive tells exactly the people who used
the asset (downloaded or sent it in the last 90 days, hold it in a collection, starred it)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from collateral.extensions import db
from collateral.models import Asset, Event, Notification, utcnow
from collateral.services import accounts
from collateral.services.alerts import notify_expired_assets
from tests.conftest import PASSWORD, run_jobs
from tests.factories import file_field, make_pdf, multipart

PEOPLE = ("downloader", "sharer", "collector", "starrer", "old", "viewer", "bystander")


@pytest.fixture
def people(app, api):
    """A rep per part they play, each with an API token (added to the `api` fixture's)."""
    api.tokens = dict(api.tokens)
    ids = {}
    with app.app_context():
        for name in PEOPLE:
            user = accounts.create_user(f"{name}@example.com", "rep", PASSWORD, name.title())
            api.tokens[name] = accounts.create_api_token(user, "tests")
            ids[name] = user.id
        ids["marketer"] = accounts.find_user("marketer@example.com").id
    return ids


@pytest.fixture
def deck(api) -> int:
    response = api.upload(make_pdf(["Atlas pricing: tiers"]), "atlas.pdf", title="Atlas pricing")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def notifications(api, role):
    response = api.get("/api/v1/notifications", role=role)
    assert response.status_code == 200
    return response.get_json()


def new_version(api, asset_id, note, role="marketer"):
    data = {"file": file_field(make_pdf([f"Atlas pricing: {note}"]), "atlas-v2.pdf"), "note": note}
    response = api.post(f"/api/v1/assets/{asset_id}/versions", role=role, **multipart(data))
    assert response.status_code in (200, 201), response.get_json()


def use_it(app, api, people, deck):
    """Each person does their part with the deck; `old` downloaded it 100 days ago."""
    assert api.get(f"/api/v1/assets/{deck}/download", role="downloader").status_code == 200
    share = api.post(
        "/api/v1/shares",
        role="sharer",
        json={"assets": [deck], "title": "Acme: pricing", "recipient": "cfo@acme.example"},
    )
    assert share.status_code == 201
    kit = api.post("/api/v1/collections", role="collector", json={"title": "Q1", "assets": [deck]})
    assert kit.status_code == 201
    starred = api.client.put(f"/api/v1/assets/{deck}/favourite", headers=api.headers("starrer"))
    assert starred.status_code == 204
    assert api.get(f"/api/v1/assets/{deck}", role="viewer").status_code == 200
    # The uploader of the next version used it too: they are never told of their own change.
    assert api.get(f"/api/v1/assets/{deck}/download", role="marketer").status_code == 200
    with app.app_context():
        long_ago = utcnow() - timedelta(days=100)
        db.session.add(Event(type="download", user_id=people["old"], asset_id=deck, at=long_ago))
        db.session.commit()
    return share.get_json()["id"]


def told(app, kind):
    with app.app_context():
        rows = db.session.scalars(db.select(Notification).where(Notification.type == kind))
        return {row.user_id: row for row in rows}


def test_a_new_version_tells_exactly_who_used_the_old_one(app, api, people, deck):
    share_id = use_it(app, api, people, deck)
    new_version(api, deck, "New 2027 prices; the enterprise tier is gone")
    alerts = told(app, "new_version")
    expected = {people[name] for name in ("downloader", "sharer", "collector", "starrer")}
    assert set(alerts) == expected  # not the old download, the viewer, the uploader, others
    for name in ("downloader", "sharer", "collector", "starrer"):
        body = notifications(api, name)
        assert body["unread"] == 1
        (item,) = body["results"]
        assert item["type"] == "new_version" and item["asset"] == deck and not item["read"]
        assert "Atlas pricing" in item["message"]
        assert "New 2027 prices; the enterprise tier is gone" in item["message"]
    sharer = notifications(api, "sharer")["results"][0]
    assert sharer["share"] == share_id
    assert "you sent to cfo@acme.example (link “Acme: pricing”) on " in sharer["message"]
    assert "you downloaded on " in notifications(api, "downloader")["results"][0]["message"]
    assert "your collection “Q1”" in notifications(api, "collector")["results"][0]["message"]
    assert "you starred" in notifications(api, "starrer")["results"][0]["message"]
    for name in ("old", "viewer", "bystander", "marketer"):
        assert notifications(api, name)["unread"] == 0


def test_a_use_older_than_90_days_does_not_count_but_a_recent_one_does(app, api, people, deck):
    use_it(app, api, people, deck)
    assert api.get(f"/api/v1/assets/{deck}/download", role="old").status_code == 200
    new_version(api, deck, "Typo fixed")
    assert people["old"] in told(app, "new_version")


def test_a_version_refused_tells_nobody(app, api, people, deck):
    use_it(app, api, people, deck)
    data = {"file": file_field(b"", "empty.pdf"), "note": "nothing"}
    response = api.post(f"/api/v1/assets/{deck}/versions", **multipart(data))
    assert response.status_code == 415  # an empty file is no document
    assert told(app, "new_version") == {}


def test_expiry_tells_the_same_people_once(app, api, people, deck):
    use_it(app, api, people, deck)
    with app.app_context():
        db.session.get(Asset, deck).expires_at = utcnow().date() - timedelta(days=1)
        db.session.commit()
        assert notify_expired_assets() == 1
        assert notify_expired_assets() == 0  # a second sweep, or another worker: nothing
    run_jobs(app)  # the sweep the job runners make: still nothing new
    alerts = told(app, "expired")
    expected = {people[n] for n in ("downloader", "sharer", "collector", "starrer")}
    assert set(alerts) == expected | {people["marketer"]}  # the expiry is nobody's own change
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 5
    sharer = notifications(api, "sharer")["results"][0]
    assert sharer["type"] == "expired"
    assert "buyers of your link no longer see it" in sharer["message"]
    # Given a new date that passes in turn, it is told again, once.
    with app.app_context():
        db.session.get(Asset, deck).expires_at = utcnow().date() - timedelta(days=2)
        db.session.commit()
    run_jobs(app)
    run_jobs(app)
    assert notifications(api, "sharer")["unread"] == 2


def test_an_asset_not_yet_expired_or_expired_before_the_upgrade_is_quiet(app, api, people, deck):
    use_it(app, api, people, deck)
    with app.app_context():
        asset = db.session.get(Asset, deck)
        asset.expires_at = utcnow().date()  # works through today
        db.session.commit()
        assert notify_expired_assets() == 0
        asset.expires_at = utcnow().date() - timedelta(days=30)
        asset.expiry_notified_for = asset.expires_at  # as the migration marks old expiries
        db.session.commit()
        assert notify_expired_assets() == 0
    assert told(app, "expired") == {}


def test_archiving_tells_its_users_but_not_the_archivist(app, api, people, deck):
    use_it(app, api, people, deck)
    assert api.post(f"/api/v1/assets/{deck}/archive").status_code == 200
    assert api.post(f"/api/v1/assets/{deck}/archive").status_code == 200  # twice: told once
    alerts = told(app, "archived")
    assert set(alerts) == {people[n] for n in ("downloader", "sharer", "collector", "starrer")}


def test_a_sweep_tells_a_bounded_batch_and_the_next_the_rest(app, api, people, monkeypatch):
    from collateral.services import alerts

    ids = []
    for n in range(3):
        response = api.upload(make_pdf([f"Deck {n}"]), f"d{n}.pdf", title=f"Deck {n}")
        ids.append(response.get_json()["id"])
        assert api.get(f"/api/v1/assets/{ids[-1]}/download", role="downloader").status_code == 200
    monkeypatch.setattr(alerts, "SWEEP_BATCH", 2)
    with app.app_context():
        for asset_id in ids:
            db.session.get(Asset, asset_id).expires_at = utcnow().date() - timedelta(days=1)
        db.session.commit()
        assert [notify_expired_assets() for _ in range(3)] == [2, 1, 0]
    assert notifications(api, "downloader")["unread"] == 3
