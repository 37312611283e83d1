"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from collateral.config import PROJECT_ROOT
from collateral.extensions import db
from tests.databases import fresh_database_url

HEAD = ScriptDirectory(str(PROJECT_ROOT / "migrations")).get_current_head()


def test_migrated_database_matches_the_models(app):
    # The app's database was built by `init-db`'s migrations (see conftest.template_db).
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_init_db_upgrades_an_empty_database(app, runner, tmp_path):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context(), db.engine.connect() as connection:
        version = connection.exec_driver_sql("select version_num from alembic_version").scalar()
    assert version == HEAD


def test_a_database_at_the_first_revision_upgrades_keeping_its_rows(tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from collateral import create_app

    app = create_app(
        {"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": fresh_database_url(tmp_path)}
    )
    with app.app_context():
        upgrade(revision="0001")
        for statement in (
            'INSERT INTO "user" (id, email, name, password_hash, role, active, created_at) '
            "VALUES (1, 'old@example.com', '', 'x', 'admin', true, '2026-01-01')",
            "INSERT INTO asset (id, title, description, status, owner_id, tags, "
            "current_version_number, download_count, created_at, updated_at) "
            "VALUES (1, 'Old deck', '', 'published', 1, '[]', 1, 0, '2026-01-01', '2026-01-01')",
            "INSERT INTO version (asset_id, number, original_filename, blob_sha256, size, "
            "mime_type, kind, has_text, file_metadata, uploaded_by_id, uploaded_at, note) "
            "VALUES (1, 1, 'old.pdf', '" + "a" * 64 + "', 10, 'application/pdf', 'pdf', true, "
            "'{}', 1, '2026-01-01', '')",
        ):
            db.session.execute(text(statement))
        db.session.commit()
        upgrade()
        with db.engine.connect() as connection:
            version = connection.exec_driver_sql("select version_num from alembic_version")
            assert version.scalar() == HEAD
            emails = connection.exec_driver_sql('select email from "user"').scalars().all()
            versions = connection.exec_driver_sql(
                "select original_filename, thumbnail_sha256 from version"
            ).all()
        assert emails == ["old@example.com"]
        assert versions == [("old.pdf", None)]  # `flask reindex` draws the missing thumbnail
        db.engine.dispose()


def test_searches_recorded_before_the_report_columns_are_filled_in(tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from collateral import create_app

    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": fresh_database_url(tmp_path),
        }
    )
    with app.app_context():
        upgrade(revision="0002")
        db.session.execute(
            text(
                "INSERT INTO event (at, type, detail) VALUES "
                "('2026-01-01', 'search', '{\"query\": \"  Pricing   SHEET \", \"results\": 3}'), "
                "('2026-01-01', 'view', '{}')"
            )
        )
        db.session.commit()
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "select type, search_query, result_count from event order by id"
            ).all()
        assert rows == [("search", "pricing sheet", 3), ("view", None, None)]
        db.engine.dispose()
