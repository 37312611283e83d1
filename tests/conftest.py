"""An app per test on tmp_path, from a database migrated and seeded once per session
(SQLite, or PostgreSQL when COLLATERAL_TEST_DATABASE_URL is set: see tests/databases.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from collateral import create_app
from collateral.services import accounts, indexing, setup, taxonomy
from collateral.services.resources import search_index
from tests import buckets, cluster, databases
from tests.factories import file_field, multipart

ROLES = ("rep", "marketer", "manager", "admin")
PASSWORD = "correct horse battery"
PRODUCTS = ("Atlas CRM", "Beacon Analytics", "Cobalt Payments")
INDUSTRIES = ("Healthcare", "Retail", "Financial services")


def app_config(root: Path, database: Path | str) -> dict:
    """Settings for an app on `root`; `database` is a database URL or a SQLite file's path."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(root / "instance"),
        "DATABASE_URL": database if isinstance(database, str) else f"sqlite:///{database}",
        "UPLOAD_ROOT": str(root / "uploads"),
        "INDEX_ROOT": str(root / "index"),
        "SECRET_KEY": "test-secret-key",
        "SESSION_COOKIE_SECURE": False,  # the test client and the browser test speak plain HTTP
        "EXTRACT_TIMEOUT_SECONDS": 60,
        # Tests run background jobs themselves (`run_jobs`), so results do not race them.
        "JOBS_IN_WEB": False,
        # Likewise the index: requests apply their own changes; tests apply others' themselves.
        "INDEX_FOLLOW": False,
    }


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    buckets.select_s3_tests(config, items)
    cluster.select_cluster_tests(config, items)


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases():
    """PostgreSQL databases made during the session are dropped at its end."""
    yield
    databases.drop_all()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> tuple[str, dict[str, str]]:
    """A database migrated through Alembic, seeded, with a user and a token per role; its URL
    is only for copying (`databases.copy_database`), never for connecting to."""
    root = tmp_path_factory.mktemp("template")
    database = databases.fresh_database_url(root, "template")
    app = create_app(app_config(root, database))
    tokens = {}
    with app.app_context():
        setup.init_database()
        for role in ROLES:
            user = accounts.create_user(f"{role}@example.com", role, PASSWORD, role.title())
            tokens[role] = accounts.create_api_token(user, "tests")
        for name in PRODUCTS:
            taxonomy.add_term("product", name)
        for name in INDUSTRIES:
            taxonomy.add_term("industry", name)
        from collateral.extensions import db

        db.engine.dispose()
    (root / "tokens.json").write_text(json.dumps(tokens))
    return database, tokens


@pytest.fixture
def app(tmp_path, template_db):
    database = databases.database_for_test(template_db[0], tmp_path)
    app = create_app(app_config(tmp_path, database))
    with app.app_context():
        indexing.apply_pending_index_updates(rebuild=True)  # a new index, brought up to date
    yield app
    with app.app_context():
        from collateral.extensions import db

        search_index().close()
        db.engine.dispose()


def run_jobs(app, **options) -> int:
    """Run the queued background jobs now, in this thread; how many ran.

    Tests turn the web processes' job threads off, so what a job does happens here, in order.
    """
    return app.extensions["collateral.jobs"].run_until_idle(**options)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def tokens(template_db) -> dict[str, str]:
    return template_db[1]


class Api:
    """The JSON API as one role sees it, through Bearer tokens."""

    def __init__(self, client, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    def headers(self, role: str | None, extra: dict | None = None) -> dict[str, str]:
        auth = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return {**auth, **(extra or {})}

    def get(self, path: str, role: str | None = "rep", headers: dict | None = None, **kwargs):
        response = self.client.get(path, headers=self.headers(role, headers), **kwargs)
        response.get_data()  # read a streamed file whole, then let go of it
        response.close()
        return response

    def post(self, path: str, role: str | None = "marketer", **kwargs):
        return self.client.post(path, headers=self.headers(role), **kwargs)

    def patch(self, path: str, role: str | None = "marketer", **kwargs):
        return self.client.patch(path, headers=self.headers(role), **kwargs)

    def upload(self, content, filename: str | None = None, role: str = "marketer", **fields):
        data = {"file": file_field(content, filename), "title": fields.pop("title", "Untitled")}
        data.update(fields)
        return self.post("/api/v1/assets", role=role, **multipart(data))

    def search(self, role: str = "rep", **params):
        response = self.get("/api/v1/assets", role=role, query_string=params)
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture
def api(client, tokens) -> Api:
    return Api(client, tokens)


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Browser:
    """Pages through a cookie session, as a person signed in with the login form."""

    def __init__(self, client) -> None:
        self.client = client

    def login(self, role: str, password: str = PASSWORD):
        page = self.client.get("/login")
        return self.client.post(
            "/login",
            data={
                "email": f"{role}@example.com",
                "password": password,
                "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            },
        )

    def csrf(self, path: str = "/account") -> str:
        return csrf_token_from(self.client.get(path).get_data(as_text=True))

    def post(self, path: str, data: dict | None = None, token_page: str = "/account", **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf(token_page))
        return self.client.post(path, data=data, **kwargs)


@pytest.fixture
def browser(client) -> Browser:
    return Browser(client)
