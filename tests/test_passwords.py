"""Common and repetitive passwords are refused, saying why, on every path that sets one: the
CLI, the admin page and one's own password page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from collateral.extensions import db
from collateral.models import User
from tests.conftest import PASSWORD

# Each is ten characters or more, so only its guessability refuses it.
WEAK = {
    "aaaaaaaaaa": "Repeats",
    "1234567890": "common password",
    "password12": "common password",
    "abcdefghij": "Sequences",
    "qwertyuiop": "common password",
}
STRONG = "plum harbour seventeen"


def users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


@pytest.mark.parametrize(("password", "why"), WEAK.items())
def test_the_cli_refuses_a_weak_password_saying_why(app, runner, password, why):
    result = runner.invoke(
        args=["create-user", "new@example.com", "--role", "rep", "--password", password]
    )
    assert result.exit_code != 0
    assert "too easy to guess" in result.output and why in result.output
    assert users(app) == 4


@pytest.mark.parametrize(("password", "why"), WEAK.items())
def test_the_admin_page_refuses_a_weak_password_saying_why(app, browser, password, why):
    browser.login("admin")
    response = browser.post(
        "/admin/users",
        {"email": "new@example.com", "role": "rep", "password": password},
        token_page="/admin/users",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "too easy to guess" in page and why in page
    assert users(app) == 4


@pytest.mark.parametrize(("password", "why"), WEAK.items())
def test_ones_own_new_password_is_refused_when_weak(app, browser, password, why):
    browser.login("rep")
    response = browser.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": password, "confirm_password": password},
        token_page="/account/password",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "too easy to guess" in page and why in page
    fresh = type(browser)(app.test_client())
    assert fresh.login("rep", password).status_code == 401
    assert fresh.login("rep").status_code == 302  # the old password still works


def test_a_few_unrelated_words_are_accepted_everywhere(app, runner, browser):
    result = runner.invoke(
        args=["create-user", "cli@example.com", "--role", "rep", "--password", STRONG]
    )
    assert result.exit_code == 0, result.output
    browser.login("admin")
    response = browser.post(
        "/admin/users",
        {"email": "page@example.com", "role": "rep", "password": STRONG},
        token_page="/admin/users",
    )
    assert response.status_code == 302
    own = browser.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": STRONG, "confirm_password": STRONG},
        token_page="/account/password",
    )
    assert own.status_code == 302
    assert users(app) == 6


def test_a_very_long_password_is_judged_without_error(app, runner):
    long = "harbour lights " * 20  # past zxcvbn's own 72-character limit
    result = runner.invoke(
        args=["create-user", "long@example.com", "--role", "rep", "--password", long]
    )
    assert result.exit_code == 0, result.output


def test_the_password_pages_say_what_is_refused(browser):
    browser.login("admin")
    assert "common" in browser.client.get("/account/password").get_data(as_text=True)
    assert "common" in browser.client.get("/admin/users").get_data(as_text=True)
