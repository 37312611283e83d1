"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from collateral.extensions import db


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
    assert version == "0001"
