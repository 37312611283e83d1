"""Sessions: cookie flags, sign-out and disabling that end sessions on the server, a new
session at sign-in, passwords and API tokens."""

from __future__ import annotations

import time
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from flask_login.utils import decode_cookie, encode_cookie
from sqlalchemy import select, text

from collateral import create_app
from collateral.config import load_settings
from collateral.extensions import db
from collateral.models import ApiToken, User, utcnow
from collateral.template_filters import moment_text
from tests.conftest import PASSWORD, csrf_token_from

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def production_app(app, tmp_path, monkeypatch):
    """The same database and files with the shipped cookie settings (no test overrides)."""
    monkeypatch.delenv("COLLATERAL_SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.delenv("COLLATERAL_REMEMBER_DAYS", raising=False)
    # The background threads stay off as in every test app: a follower left polling a database
    # dropped after the test logs tracebacks for the rest of the run.
    keys = ("TESTING", "DATABASE_URL", "UPLOAD_ROOT", "INDEX_ROOT", "SECRET_KEY")
    keys += ("JOBS_IN_WEB", "INDEX_FOLLOW")
    config = {key: app.config[key] for key in keys}
    other = create_app({**config, "INSTANCE_PATH": str(tmp_path / "production")})
    yield other
    with other.app_context():
        db.engine.dispose()


def sign_in(client, role: str = "rep", password: str = PASSWORD, remember: bool = False):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    data = {"email": f"{role}@example.com", "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "1"
    return client.post("/login", data=data)


def sign_out(client):
    token = csrf_token_from(client.get("/account").get_data(as_text=True))
    return client.post("/logout", data={"csrf_token": token})


def set_cookies(response) -> dict[str, str]:
    """Each cookie the response sets, by name, with its attributes as sent."""
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def replay(app, cookies: dict[str, str]):
    """A new browser holding only these cookies (as if copied off the first)."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def signed_in(client) -> bool:
    response = client.get("/account")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_cookies_are_secure_httponly_lax_and_remembered_for_two_weeks(production_app):
    client = production_app.test_client()
    response = sign_in(client, remember=True)
    assert response.status_code == 302
    cookies = set_cookies(response)
    for name in ("session", "remember_token"):
        attributes = [a.strip().lower() for a in cookies[name].split(";")]
        assert {"secure", "httponly", "samesite=lax"} <= set(attributes), cookies[name]
    expires = next(
        a.split("=", 1)[1] for a in cookies["remember_token"].split("; ") if a.startswith("Expires")
    )
    lasts = parsedate_to_datetime(expires).replace(tzinfo=None) - utcnow()
    assert timedelta(days=13, hours=23) < lasts <= timedelta(days=14)


def test_plain_http_development_is_a_setting(client):
    assert load_settings({})["SESSION_COOKIE_SECURE"] is True
    assert (
        load_settings({"COLLATERAL_SESSION_COOKIE_SECURE": "false"})["SESSION_COOKIE_SECURE"]
        is False
    )
    assert load_settings({"COLLATERAL_REMEMBER_DAYS": "3"})["REMEMBER_DAYS"] == 3
    cookies = set_cookies(sign_in(client, remember=True))  # the tests set it false
    for name in ("session", "remember_token"):
        assert "Secure" not in cookies[name] and "HttpOnly" in cookies[name]


def test_a_session_cookie_copied_before_sign_out_is_worthless_after_it(app, client):
    sign_in(client)
    copied = {"session": client.get_cookie("session").value}
    assert signed_in(replay(app, copied))
    sign_out(client)
    assert not signed_in(client)
    assert not signed_in(replay(app, copied))


def test_the_remember_cookie_alone_signs_in_until_sign_out(app, client):
    sign_in(client, remember=True)
    copied = {"remember_token": client.get_cookie("remember_token").value}
    assert signed_in(replay(app, copied))
    response = sign_out(client)
    assert "remember_token=;" in set_cookies(response).get("remember_token", "")  # deleted
    assert not signed_in(replay(app, copied))


def test_disabling_a_user_ends_their_sessions_at_once(app, client):
    sign_in(client, remember=True)
    copied = {name: client.get_cookie(name).value for name in ("session", "remember_token")}
    admin = app.test_client()
    sign_in(admin, "admin")
    with app.app_context():
        rep_id = db.session.scalar(select(User.id).where(User.email == "rep@example.com"))
    token = csrf_token_from(admin.get("/admin/users").get_data(as_text=True))
    admin.post(f"/admin/users/{rep_id}", data={"active": "0", "csrf_token": token})
    assert not signed_in(client)
    assert not signed_in(replay(app, copied))
    assert not signed_in(replay(app, {"remember_token": copied["remember_token"]}))
    token = csrf_token_from(admin.get("/admin/users").get_data(as_text=True))
    admin.post(f"/admin/users/{rep_id}", data={"active": "1", "csrf_token": token})
    assert not signed_in(replay(app, copied))  # enabled again: old cookies stay dead
    assert sign_in(client).status_code == 302 and signed_in(client)


def test_other_users_sessions_are_untouched_by_a_sign_out(app, client):
    sign_in(client, "marketer")
    other = app.test_client()
    sign_in(other, "manager")
    sign_out(other)
    assert signed_in(client)


@pytest.mark.parametrize("old_form", ["{id}", "{id}:0"])
def test_a_session_from_before_issue_times_must_sign_in_again(app, client, old_form):
    """Ids from before versions ("7") or issue times ("7:0") have no knowable age."""
    with app.app_context():
        rep_id = db.session.scalar(select(User.id).where(User.email == "rep@example.com"))
    with client.session_transaction() as session:
        session["_user_id"] = old_form.format(id=rep_id)
    assert not signed_in(client)
    assert sign_in(client).status_code == 302 and signed_in(client)


def remember_payload(app, cookie: str) -> str:
    with app.test_request_context():
        payload = decode_cookie(cookie)
    assert payload is not None, "the cookie's signature does not hold"
    return payload


def aged(app, cookie: str, days: float) -> str:
    """The same remember cookie as if issued `days` earlier, signed as the server signs."""
    user_id, version, issued, rest = remember_payload(app, cookie).split(":", 3)
    with app.test_request_context():
        return encode_cookie(f"{user_id}:{version}:{int(issued) - int(days * 86400)}:{rest}")


def test_each_sign_in_gets_its_own_remember_cookie(app):
    values = set()
    for _ in range(3):
        client = app.test_client()
        sign_in(client, remember=True)
        values.add(client.get_cookie("remember_token").value)
    assert len(values) == 3


def test_a_remember_cookie_is_refused_once_remember_days_have_passed(app, client):
    """The browser drops the cookie after COLLATERAL_REMEMBER_DAYS; a copy kept past that
    (another browser, a backup, a stolen laptop) is refused by the server too."""
    sign_in(client, remember=True)
    cookie = client.get_cookie("remember_token").value
    issued = int(remember_payload(app, cookie).split(":")[2])
    assert abs(issued - time.time()) < 60
    days = app.config["REMEMBER_DAYS"]
    assert signed_in(replay(app, {"remember_token": aged(app, cookie, days - 0.1)}))
    expired = replay(app, {"remember_token": aged(app, cookie, days + 0.1)})
    assert not signed_in(expired)
    assert expired.get_cookie("session") is None or not signed_in(expired)


def test_a_session_is_refused_once_remember_days_have_passed(app, client):
    sign_in(client)
    with client.session_transaction() as session:
        user_id, version, issued, rest = session["_user_id"].split(":", 3)
        days = app.config["REMEMBER_DAYS"]
        session["_user_id"] = f"{user_id}:{version}:{int(issued) - (days + 1) * 86400}:{rest}"
    assert not signed_in(client)


def test_sign_in_starts_a_new_session(app, client):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = client.get_cookie("session").value
    sign_in(client)
    with client.session_transaction() as session:
        assert "planted" not in session
    assert client.get_cookie("session").value != before
    assert not signed_in(replay(app, {"session": before}))


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_a_signed_in_visit_to_login_never_leaves_the_site(client, target):
    sign_in(client)
    response = client.get("/login", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_get_logout_is_refused_and_leaves_you_signed_in(client):
    sign_in(client)
    assert client.get("/logout").status_code == 405
    assert signed_in(client)


def test_changing_ones_password_ends_every_other_session(app, client):
    sign_in(client, remember=True)
    elsewhere = app.test_client()
    sign_in(elsewhere, remember=True)
    copied = {"remember_token": elsewhere.get_cookie("remember_token").value}
    page = client.get("/account/password").get_data(as_text=True)
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token_from(page),
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert signed_in(client)  # this browser goes on
    assert signed_in(replay(app, {"remember_token": client.get_cookie("remember_token").value}))
    assert not signed_in(elsewhere)
    assert not signed_in(replay(app, copied))
    fresh = app.test_client()
    assert sign_in(fresh).status_code == 401
    assert sign_in(fresh, password=NEW_PASSWORD).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "rep@example.com"))
        assert user.password_hash.startswith("scrypt:")
        types = db.session.scalars(
            text("select type from event where user_id = :u"), {"u": user.id}
        )
        assert "password_changed" in list(types)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        (PASSWORD, "short", "short", "at least 10 characters"),
        ("not my password", NEW_PASSWORD, NEW_PASSWORD, "not your current password"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "differ"),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(
    app, client, current, new, confirm, message
):
    sign_in(client)
    page = client.get("/account/password").get_data(as_text=True)
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token_from(page),
            "current_password": current,
            "new_password": new,
            "confirm_password": confirm,
        },
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert signed_in(client)
    assert sign_in(app.test_client()).status_code == 302  # the old password still works


def test_the_admin_page_refuses_a_short_password_and_hashes_with_scrypt(app, client):
    sign_in(client, "admin")
    for password, status in (("nine char", 400), ("ten chars!", 302)):
        token = csrf_token_from(client.get("/admin/users").get_data(as_text=True))
        response = client.post(
            "/admin/users",
            data={
                "email": "new@example.com",
                "role": "rep",
                "password": password,
                "csrf_token": token,
            },
        )
        assert response.status_code == status
        if status == 400:
            assert "at least 10 characters" in response.get_data(as_text=True)
    with app.app_context():
        hashes = db.session.scalars(select(User.password_hash)).all()
    assert len(hashes) == 5 and all(h.startswith("scrypt:") for h in hashes)


def test_api_tokens_are_stored_only_as_hashes(app, client):
    sign_in(client)
    page = client.get("/account").get_data(as_text=True)
    html = client.post(
        "/account/tokens", data={"label": "CRM", "csrf_token": csrf_token_from(page)}
    ).get_data(as_text=True)
    token = html.split('<code class="token">')[1].split("<")[0]
    with app.app_context():
        rows = db.session.execute(text("select * from api_token")).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert token not in stored and token[4:] not in stored and token[4:20] not in stored


def test_a_revoked_token_stops_at_once_and_last_use_is_kept_and_shown(app, client):
    sign_in(client)
    page = client.get("/account").get_data(as_text=True)
    html = client.post(
        "/account/tokens", data={"label": "CRM", "csrf_token": csrf_token_from(page)}
    ).get_data(as_text=True)
    token = html.split('<code class="token">')[1].split("<")[0]
    assert "never" in client.get("/account").get_data(as_text=True)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/taxonomy", headers=headers).status_code == 200
    with app.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.label == "CRM"))
        first_use = row.last_used_at
        assert first_use is not None and utcnow() - first_use < timedelta(minutes=1)
        token_id = row.id
        # As if the last use were an hour ago: the next use notes the new time.
        db.session.execute(
            text("update api_token set last_used_at = :t where id = :i"),
            {"t": first_use - timedelta(hours=1), "i": token_id},
        )
        db.session.commit()
    profile = client.get("/account").get_data(as_text=True)
    assert moment_text(first_use - timedelta(hours=1)) in profile
    assert client.get("/api/v1/taxonomy", headers=headers).status_code == 200
    with app.app_context():
        assert db.session.get(ApiToken, token_id).last_used_at >= first_use
    token_page = client.get("/account").get_data(as_text=True)
    client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token_from(token_page)}
    )
    response = client.get("/api/v1/taxonomy", headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.get_json()["error"]["message"]


def change_password(client, keep_tokens: bool | None = None):
    page = client.get("/account/password").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(page),
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD,
    }
    if keep_tokens:
        data["keep_tokens"] = "1"
    response = client.post("/account/password", data=data, follow_redirects=True)
    assert response.status_code == 200
    return page, response.get_data(as_text=True)


def test_a_password_change_revokes_the_users_api_tokens_unless_kept(app, client, api):
    """Whoever knew the old password could have made a token: "signed out everywhere" covers
    tokens too, unless the user ticks the box to keep them for their integrations."""
    assert api.get("/api/v1/taxonomy", role="rep").status_code == 200
    sign_in(client)
    page, after = change_password(client)
    assert 'name="keep_tokens"' in page and "Keep my API token working" in page
    assert "your API token was revoked" in after
    assert api.get("/api/v1/taxonomy", role="rep").status_code == 401
    assert api.get("/api/v1/taxonomy", role="marketer").status_code == 200  # others' untouched
    with app.app_context():
        detail = db.session.scalar(
            text("select detail from event where type = 'password_changed' order by id desc")
        )
    assert '"tokens_revoked": 1' in str(detail) or "'tokens_revoked': 1" in str(detail)


def test_a_password_change_keeps_api_tokens_when_asked(client, api):
    sign_in(client)
    _, after = change_password(client, keep_tokens=True)
    assert "Your API token still works" in after
    assert api.get("/api/v1/taxonomy", role="rep").status_code == 200
