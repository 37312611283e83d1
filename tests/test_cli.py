"""The command-line tasks, run through Flask's CLI runner against a real database and index."""

from sqlalchemy import func, select

from collateral.extensions import db
from collateral.models import Asset, Term, User
from collateral.services.indexing import pending_index_updates
from collateral.services.resources import search_index


def test_init_db_is_safe_to_run_twice(app, runner):
    first = runner.invoke(args=["init-db"])
    second = runner.invoke(args=["init-db"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    with app.app_context():
        stages = db.session.scalars(
            select(Term.name).where(Term.kind == "stage").order_by(Term.position)
        ).all()
    assert stages == [
        "Prospecting",
        "Discovery",
        "Demo",
        "Proposal",
        "Negotiation",
        "Onboarding",
        "Renewal",
    ]


def test_create_user_and_duplicate_fails_with_one_line(app, runner):
    ok = runner.invoke(
        args=[
            "create-user",
            "New@Example.com",
            "--role",
            "manager",
            "--password",
            "a long password",
            "--name",
            "Nia",
        ]
    )
    assert ok.exit_code == 0, ok.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@example.com"))
        assert user.role == "manager" and user.password_hash.startswith("scrypt:")
    again = runner.invoke(
        args=["create-user", "new@example.com", "--role", "rep", "--password", "a long password"]
    )
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_user_rejects_short_password_and_bad_role(runner):
    short = runner.invoke(
        args=["create-user", "x@example.com", "--role", "rep", "--password", "short"]
    )
    assert short.exit_code != 0 and "at least 10" in short.output
    role = runner.invoke(
        args=["create-user", "x@example.com", "--role", "boss", "--password", "a long password"]
    )
    assert role.exit_code != 0


def test_create_token_prints_a_working_token(client, runner):
    result = runner.invoke(args=["create-token", "rep@example.com"])
    assert result.exit_code == 0
    token = result.output.strip()
    response = client.get("/api/v1/taxonomy", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    unknown = runner.invoke(args=["create-token", "nobody@example.com"])
    assert unknown.exit_code != 0 and "No user" in unknown.output


def test_reindex_rebuilds_from_the_database(app, api, runner):
    asset = api.upload(b"Reindexing keeps the walrus findable", "w.txt", title="Walrus").get_json()
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0 and "Indexed 1 assets" in result.output
    assert [r["id"] for r in api.search(q="walrus")["results"]] == [asset["id"]]
    with app.app_context():
        assert search_index().asset_ids() == {asset["id"]}


def test_updates_owed_while_the_index_is_busy_are_applied_by_index_sync(app, api, runner):
    app.config["INDEX_LOCK_TIMEOUT_SECONDS"] = 0.2
    with app.app_context():
        index = search_index()
    with index.holding_writer_lock(timeout=1.0):  # another worker holding the writer lock
        response = api.upload(b"The narwhal roadmap", "n.txt", title="Narwhal")
        assert response.status_code == 201  # the user never sees the lock
        assert api.search(q="narwhal")["total"] == 0
        with app.app_context():
            assert pending_index_updates() == 1
    result = runner.invoke(args=["index-sync"])
    assert result.exit_code == 0 and "Applied 1" in result.output
    assert api.search(q="narwhal")["total"] == 1


def test_demo_loads_users_and_a_dozen_files_once(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "rep@example.com" in first.output and "12 added" in first.output
    second = runner.invoke(args=["demo"])
    assert "0 added, 12 already there" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Asset.id))) == 12
        assert search_index().asset_ids() == set(db.session.scalars(select(Asset.id)))
