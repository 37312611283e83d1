"""Databases for tests: SQLite files by default, or databases on the PostgreSQL server that
COLLATERAL_TEST_DATABASE_URL names (`make test-postgres` starts a throwaway one and sets it).

A test that builds its own instance (a gunicorn, a CLI in a subprocess) asks for
`fresh_database_url(tmp_path)`: a new empty database on whichever of the two the suite runs on.
"""

from __future__ import annotations

import graphlib
import itertools
import json
import os
import shutil
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

SERVER_URL = os.environ.get("COLLATERAL_TEST_DATABASE_URL", "")
ON_POSTGRES = bool(SERVER_URL)
if ON_POSTGRES and make_url(SERVER_URL).get_backend_name() != "postgresql":
    raise RuntimeError("COLLATERAL_TEST_DATABASE_URL must name a PostgreSQL database")

_numbers = itertools.count(1)
_made: set[str] = set()  # PostgreSQL databases made by this session, dropped at its end
_server: sa.Engine | None = None
_working: _WorkingDatabase | None = None


def _server_engine() -> sa.Engine:
    """One autocommit connection to the server's own test database, for CREATE/DROP DATABASE."""
    global _server
    if _server is None:
        _server = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT", pool_size=1)
    return _server


def _new_name(prefix: str) -> str:
    # The process id keeps two sessions against one server apart.
    return f"{prefix}_{os.getpid()}_{next(_numbers)}"


def _sqlite_path(directory: Path, stem: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}.db"
    while path.exists():
        path = directory / f"{stem}-{next(_numbers)}.db"
    return path


def _create(sql_tail: str = "", prefix: str = "collateral") -> str:
    name = _new_name(prefix)
    with _server_engine().connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}{sql_tail}")
    _made.add(name)
    return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)


def fresh_database_url(directory: Path, stem: str = "collateral") -> str:
    """The URL of a new, empty database: on the PostgreSQL server under test, else a SQLite
    file in `directory`. PostgreSQL ones are dropped when the test session ends."""
    if ON_POSTGRES:
        return _create()
    return f"sqlite:///{_sqlite_path(directory, stem)}"


def copy_database(url: str, directory: Path) -> str:
    """The URL of a new database holding what the one at `url` holds; nothing may be
    connected to the original while it is copied."""
    if ON_POSTGRES:
        # WAL_LOG (the default) copies a small database faster than FILE_COPY, which
        # checkpoints twice.
        return _create(f" TEMPLATE {make_url(url).database}")
    copy = _sqlite_path(directory, "collateral")
    shutil.copy(make_url(url).database, copy)
    return f"sqlite:///{copy}"


def database_for_test(template_url: str, directory: Path) -> str:
    """The URL of a database holding what the template holds, for one test. On PostgreSQL
    the session's one working database is put back to the template's rows: about 20 ms, where
    CREATE DATABASE ... TEMPLATE costs about 400 ms. So at most one per test (the `app`
    fixture's): a test wanting a second copy asks `copy_database`."""
    if not ON_POSTGRES:
        return copy_database(template_url, directory)
    global _working
    if _working is None or _working.template_url != template_url:
        _working = _WorkingDatabase(template_url)
    return _working.reset()


def _parents_first(connection: sa.Connection) -> list[str]:
    """The public tables, each after the tables its foreign keys point to."""
    names = connection.exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    ).scalars()
    order = graphlib.TopologicalSorter({name: set() for name in names})
    for child, parent in connection.exec_driver_sql(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
    ):
        if child != parent:
            order.add(child.strip('"'), parent.strip('"'))
    return list(order.static_order())


class _WorkingDatabase:
    """A copy of the template that is emptied and refilled with the template's rows."""

    # What a test could change besides rows: tables, columns, indexes, triggers, functions.
    SCHEMA = """
        SELECT md5(string_agg(item, ',' ORDER BY item)) FROM (
            SELECT table_name || '.' || column_name || ':' || data_type || ':'
                   || coalesce(character_maximum_length, 0) || ':' || is_nullable
                   || ':' || coalesce(column_default, '') AS item
            FROM information_schema.columns WHERE table_schema = 'public'
            UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
            UNION ALL SELECT tgname || ':' || tgrelid::regclass::text || ':' || tgenabled::text
            FROM pg_trigger WHERE NOT tgisinternal
            UNION ALL SELECT proname || ':' || md5(prosrc) FROM pg_proc
            WHERE pronamespace = 'public'::regnamespace
            UNION ALL SELECT nspname FROM pg_namespace
        ) AS schema"""

    def __init__(self, template_url: str) -> None:
        self.template_url = template_url
        engine = sa.create_engine(template_url, poolclass=sa.NullPool)
        with engine.connect() as connection:
            tables = _parents_first(connection)
            # Table names come from the catalog, never from input.
            self.rows = {
                table: connection.exec_driver_sql(
                    f'SELECT json_agg(t) FROM "{table}" AS t'  # noqa: S608
                ).scalar()
                for table in tables
            }
            self.sequences = connection.exec_driver_sql(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
            ).all()
            self.schema = connection.exec_driver_sql(self.SCHEMA).scalar()
            self.guarded = set(
                connection.exec_driver_sql(
                    "SELECT relname FROM pg_trigger JOIN pg_class ON pg_class.oid = tgrelid "
                    "WHERE NOT tgisinternal"
                ).scalars()
            )
        engine.dispose()
        self.url = copy_database(template_url, Path())
        self.engine = sa.create_engine(self.url, pool_size=1)  # warm catalog caches

    def reset(self) -> str:
        """Empty every table and put the template's rows and sequence values back."""
        with self.engine.connect() as connection:
            # A connection a test left open would hold locks the reset waits for.
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"
            )
            if connection.exec_driver_sql(self.SCHEMA).scalar() != self.schema:
                connection.close()
                return self.replace()
            # DELETE is cheaper than TRUNCATE on tables this small; the append-only tables'
            # triggers refuse DELETE but not TRUNCATE.
            if self.guarded:
                guarded = ", ".join(f'"{table}"' for table in sorted(self.guarded))
                connection.exec_driver_sql(f"TRUNCATE {guarded} CASCADE")
            for table in reversed(self.rows):
                if table not in self.guarded:
                    connection.exec_driver_sql(f'DELETE FROM "{table}"')  # noqa: S608
            for table, rows in self.rows.items():
                if rows:
                    connection.execute(
                        sa.text(
                            f'INSERT INTO "{table}" SELECT * FROM '  # noqa: S608
                            f'json_populate_recordset(NULL::"{table}", :rows)'
                        ),
                        {"rows": json.dumps(rows)},
                    )
            for sequence, value in self.sequences:
                connection.execute(
                    sa.text("SELECT setval(:sequence, :value, :called)"),
                    {"sequence": sequence, "value": value or 1, "called": value is not None},
                )
            connection.commit()
        return self.url

    def replace(self) -> str:
        """A test changed the schema: start again from a new copy of the template."""
        self.engine.dispose()
        drop_database(self.url)
        self.url = copy_database(self.template_url, Path())
        self.engine = sa.create_engine(self.url, pool_size=1)  # warm catalog caches
        return self.url


def drop_database(url: str) -> None:
    """Remove a database made here, even if connections to it are still open."""
    name = make_url(url).database
    if ON_POSTGRES and name in _made:
        with _server_engine().connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _made.discard(name)


def drop_all() -> None:
    """Remove every PostgreSQL database this session made."""
    global _working
    if _working is not None:
        _working.engine.dispose()
        _working = None
    for name in sorted(_made):
        drop_database(make_url(SERVER_URL).set(database=name).render_as_string())
    if _server is not None:
        _server.dispose()
