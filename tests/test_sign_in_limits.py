"""Failed sign-ins are limited per address and email, and per address; the wait is short."""

from __future__ import annotations

import time

import pytest

from collateral import create_app
from collateral.extensions import db, limiter
from tests.conftest import PASSWORD, csrf_token_from

HERE, THERE = "127.0.0.2", "127.0.0.3"  # two callers' addresses, as the server sees them


def attempt(client, email="rep@example.com", password="wrong password", address=HERE, **kw):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
        **kw,
    )


def fail_until_limited(client, limit: int = 5, **kw) -> None:
    for _ in range(limit):
        assert attempt(client, **kw).status_code == 401
    assert attempt(client, **kw).status_code == 429


def test_repeated_failures_get_a_429_page_saying_how_long_to_wait(client):
    fail_until_limited(client)
    response = attempt(client, password=PASSWORD)  # even the right password waits
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= 60
    html = response.get_data(as_text=True)
    assert f"Wait {wait} seconds" in html and 'name="password"' in html
    assert "Content-Security-Policy" in response.headers


def test_the_limit_holds_one_email_at_one_address_only(client):
    fail_until_limited(client)
    assert attempt(client, password=PASSWORD, address=THERE).status_code == 302  # at their desk
    other = client.application.test_client()
    assert attempt(other, email="marketer@example.com", password=PASSWORD).status_code == 302


def test_successful_sign_ins_do_not_count(client):
    for _ in range(8):
        fresh = client.application.test_client()
        assert attempt(fresh, password=PASSWORD).status_code == 302
    fail_until_limited(client)


def test_a_lockout_ends_when_the_window_does(app, client):
    app.config["LOGIN_LIMIT"] = "2 per 2 seconds"
    fail_until_limited(client, limit=2)
    time.sleep(2.1)
    assert attempt(client, password=PASSWORD).status_code == 302


def test_one_address_trying_many_emails_is_limited_too(client):
    for number in range(20):
        assert attempt(client, email=f"guess{number}@example.com").status_code == 401
    assert attempt(client, email="guess-more@example.com").status_code == 429
    assert attempt(client, email="guess-more@example.com", address=THERE).status_code == 401


def test_a_forged_forwarded_for_header_does_not_dodge_the_limit(client):
    for number in range(5):
        headers = {"X-Forwarded-For": f"127.0.1.{number}"}
        assert attempt(client, headers=headers).status_code == 401
    assert attempt(client, headers={"X-Forwarded-For": "127.0.1.99"}).status_code == 429


@pytest.fixture
def proxied_app(app, tmp_path):
    """The same library behind one trusted reverse proxy."""
    # The background threads stay off as in every test app: a follower left polling a database
    # dropped after the test logs tracebacks for the rest of the run.
    keys = ("TESTING", "DATABASE_URL", "UPLOAD_ROOT", "INDEX_ROOT", "SECRET_KEY")
    keys += ("JOBS_IN_WEB", "INDEX_FOLLOW")
    config = {key: app.config[key] for key in keys}
    other = create_app(
        {
            **config,
            "INSTANCE_PATH": str(tmp_path / "proxied"),
            "SESSION_COOKIE_SECURE": False,
            "PROXY_COUNT": 1,
        }
    )
    yield other
    with other.app_context():
        db.engine.dispose()


def test_behind_a_proxy_each_caller_is_counted_by_their_own_address(proxied_app):
    client = proxied_app.test_client()
    fail_until_limited(client, headers={"X-Forwarded-For": HERE})
    assert attempt(client, headers={"X-Forwarded-For": THERE}).status_code == 401
    from sqlalchemy import text

    with proxied_app.app_context():
        addresses = db.session.scalars(
            text("select ip from event where type = 'login_failed'")
        ).all()
    assert set(addresses) == {HERE, THERE}


def test_the_api_answers_429_as_json(app):
    @limiter.limit("1 per minute")
    def limited():
        return {"ok": True}

    app.add_url_rule("/api/v1/limited-for-test", view_func=limited)
    client = app.test_client()
    assert client.get("/api/v1/limited-for-test").status_code == 200
    response = client.get("/api/v1/limited-for-test")
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["code"] == "too_many_requests" and "seconds" in error["message"]
    assert int(response.headers["Retry-After"]) > 0
