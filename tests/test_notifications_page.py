"""The bell in the header, the notifications page, and the daily digest email (received by a
real SMTP server on localhost, aiosmtpd)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from collateral.extensions import db
from collateral.models import Notification, NotificationDigest, utcnow
from collateral.services.accounts import find_user
from collateral.services.digest import JOB, queue_due_digests, send_digest
from tests.conftest import run_jobs
from tests.factories import file_field, make_pdf, multipart
from tests.test_shares_mail import inbox  # noqa: F401 (a fixture)


@pytest.fixture
def digest_app(app, inbox):  # noqa: F811 (the fixture imported above)
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{inbox.port}"
    app.config["MAIL_FROM"] = "library@example.com"
    app.config["DIGEST_HOUR"] = 0  # any hour of the test's day
    app.config["PUBLIC_URL"] = "https://collateral.example.com/"
    return app


def upload(api, title) -> int:
    response = api.upload(make_pdf([f"{title} body"]), f"{title}.pdf", title=title)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def superseded(api, asset_id, note, *users):
    """The users download the asset; then the marketer uploads a new version of it."""
    for role in users:
        assert api.get(f"/api/v1/assets/{asset_id}/download", role=role).status_code == 200
    data = {"file": file_field(make_pdf([f"changed: {note}"]), "v2.pdf"), "note": note}
    response = api.post(f"/api/v1/assets/{asset_id}/versions", **multipart(data))
    assert response.status_code in (200, 201), response.get_json()


def test_the_bell_counts_unread_and_the_page_lists_and_marks_them_read(api, browser):
    deck = upload(api, "Atlas pricing")
    other = upload(api, "Beacon case")
    superseded(api, deck, "New prices", "rep")
    superseded(api, other, "New logo", "rep")
    browser.login("rep")
    home = browser.client.get("/").get_data(as_text=True)
    assert 'aria-label="Notifications, 2 unread"' in home
    page = browser.client.get("/notifications").get_data(as_text=True)
    assert page.index("New logo") < page.index("New prices")  # newest first
    assert f'href="/assets/{deck}#versions"' in page and "What changed" in page
    assert "2 unread notifications." in page
    ids = [n.id for n in _rows(browser.client.application, "rep")]
    response = browser.post("/notifications/read", {"id": str(ids[0])})
    assert response.status_code == 303 and response.headers["Location"] == "/notifications"
    assert 'aria-label="Notifications, 1 unread"' in browser.client.get("/").get_data(as_text=True)
    # Someone else's notification cannot be marked by its id; no CSRF token is a 400.
    assert browser.client.post("/notifications/read", data={"all": "1"}).status_code == 400
    assert browser.post("/notifications/read", {"id": "x"}).status_code == 400
    assert browser.post("/notifications/read", {"all": "1"}).status_code == 303
    page = browser.client.get("/notifications").get_data(as_text=True)
    assert "No unread notifications." in page and "Mark all read" not in page
    assert 'aria-label="Notifications, 0 unread"' in page


def test_an_expired_assets_alert_names_it_without_a_link_a_rep_cannot_open(app, api, browser):
    deck = upload(api, "Atlas pricing")
    superseded(api, deck, "New prices", "rep")
    assert api.post(f"/api/v1/assets/{deck}/archive").status_code == 200
    browser.login("rep")
    page = browser.client.get("/notifications").get_data(as_text=True)
    assert "was archived" in page and f'href="/assets/{deck}' not in page


def age_notifications(app, days=1):
    """Make every notification so far `days` older: a digest sends what came before its hour."""
    with app.app_context():
        for row in db.session.scalars(select(Notification)):
            row.at -= timedelta(days=days)
        db.session.commit()


def read_in_the_app(app, role):
    with app.app_context():
        user = find_user(f"{role}@example.com")
        db.session.execute(
            db.update(Notification).where(Notification.user_id == user.id).values(read=True)
        )
        db.session.commit()


def _rows(app, role):
    with app.app_context():
        user = find_user(f"{role}@example.com")
        return list(
            db.session.scalars(
                select(Notification)
                .where(Notification.user_id == user.id)
                .order_by(Notification.id.desc())
            )
        )


def test_the_daily_digest_is_sent_once_to_who_wants_it(digest_app, api, browser, inbox):  # noqa: F811
    deck = upload(api, "Atlas pricing")
    browser.login("manager")  # the manager opts out on the profile page
    page = browser.client.get("/account").get_data(as_text=True)
    assert 'name="daily_digest" value="1" checked' in page
    assert browser.post("/account/digest", {}).status_code == 303
    assert 'name="daily_digest" value="1" >' in browser.client.get("/account").get_data(
        as_text=True
    )
    superseded(api, deck, "New 2027 prices", "rep", "manager", "admin")
    read_in_the_app(digest_app, "admin")  # nothing left to send the admin
    age_notifications(digest_app)
    assert run_jobs(digest_app) >= 1  # page images, and the one digest the sweep queued
    (recipients, message), *more = inbox.wait_for(1)
    time.sleep(0.3)
    assert not more and recipients == ["rep@example.com"]
    assert message["Subject"] == "Collateral: 1 unread notification"
    text = message.get_payload(decode=True).decode()
    assert "The “Atlas pricing” you downloaded on " in text and "New 2027 prices" in text
    assert f"https://collateral.example.com/assets/{deck}" in text
    assert "https://collateral.example.com/account" in text
    # Sweeps again, a restart, the job run twice: nothing more today.
    assert run_jobs(digest_app) == 0
    with digest_app.app_context():
        rep = find_user("rep@example.com")
        today = utcnow().date().isoformat()
        assert send_digest(rep.id, today) == "nothing"
    superseded(api, deck, "Typo fixed")
    read_in_the_app(digest_app, "admin")
    with digest_app.app_context():
        # Today's digest is sent: what comes after today's hour waits for tomorrow's.
        assert queue_due_digests() == 0
    age_notifications(digest_app)
    with digest_app.app_context():
        # A second worker with today's job in hand: the day is claimed, nothing is sent.
        assert send_digest(rep.id, today) == "already sent"
        assert queue_due_digests() == 0
        # Tomorrow the new one (only) goes out.
        tomorrow = datetime.combine(utcnow().date() + timedelta(days=1), datetime.min.time())
        assert queue_due_digests(tomorrow.replace(hour=8)) == 1
        assert queue_due_digests(tomorrow.replace(hour=8)) == 0  # already queued
        jobs = digest_app.extensions["collateral.jobs"]
        assert jobs.queued_arguments(JOB) == {(rep.id, tomorrow.date().isoformat())}
    run_jobs(digest_app, sweep=False)
    messages = inbox.wait_for(2)
    assert len(messages) == 2
    second = messages[1][1].get_payload(decode=True).decode()
    assert "Typo fixed" in second and "New 2027 prices" not in second
    with digest_app.app_context():
        sent = db.session.scalar(
            select(func.count())
            .select_from(NotificationDigest)
            .where(NotificationDigest.sent_at.is_not(None))
        )
        assert sent == 2


def test_before_the_hour_or_without_mail_no_digest_is_queued(app, api):
    deck = upload(api, "Atlas pricing")
    superseded(api, deck, "New prices", "rep")
    with app.app_context():
        assert queue_due_digests() == 0  # no mail settings
        app.config.update(SMTP_URL="smtp://127.0.0.1:9", MAIL_FROM="library@example.com")
        app.config["DIGEST_HOUR"] = 7
        tomorrow = datetime.combine(utcnow().date() + timedelta(days=1), datetime.min.time())
        assert queue_due_digests(tomorrow.replace(hour=6)) == 0
        assert queue_due_digests(tomorrow.replace(hour=7)) == 1


def test_a_refused_digest_gives_its_day_back(app, api):
    app.config.update(SMTP_URL="smtp://127.0.0.1:9", MAIL_FROM="library@example.com")
    deck = upload(api, "Atlas pricing")
    superseded(api, deck, "New prices", "rep")
    with app.app_context():
        rep = find_user("rep@example.com")
        tomorrow = utcnow().date() + timedelta(days=1)
        outcome = send_digest(rep.id, tomorrow.isoformat())
        assert outcome.startswith("failed: ")
        assert db.session.scalar(select(func.count()).select_from(NotificationDigest)) == 0
