"""The audit log is append-only: no route and no service function edits or deletes an event.

Three guards prove it. The ORM refuses any change to an Event (a loaded object or an
UPDATE/DELETE statement). The database itself aborts any UPDATE or DELETE on the event table
(triggers made by migration 0004), so every test in this suite, among them the role x route
matrix (tests/test_access.py) that calls every route as every role, would fail if a route
changed the log. And no code names the table in a statement that could change it.
"""

import re
from pathlib import Path

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import IntegrityError

from collateral.extensions import db
from collateral.models import AppendOnlyViolation, Event
from collateral.services.actor import SYSTEM
from collateral.services.audit import record_event

PACKAGE = Path(__file__).resolve().parents[1] / "collateral"


@pytest.fixture
def event_id(app):
    with app.app_context():
        event = record_event("login", SYSTEM, detail_for_test=True)
        db.session.commit()
        return event.id


def test_changing_a_loaded_event_is_refused(app, event_id):
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.type = "logout"
        with pytest.raises(AppendOnlyViolation):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(Event, event_id).type == "login"


def test_deleting_a_loaded_event_is_refused(app, event_id):
    with app.app_context():
        db.session.delete(db.session.get(Event, event_id))
        with pytest.raises(AppendOnlyViolation):
            db.session.commit()
        db.session.rollback()


@pytest.mark.parametrize(
    "statement",
    [update(Event).values(type="x"), delete(Event)],
    ids=["update", "delete"],
)
def test_update_and_delete_statements_on_events_are_refused(app, event_id, statement):
    with app.app_context():
        with pytest.raises(AppendOnlyViolation):
            db.session.execute(statement)
        db.session.rollback()
        assert db.session.get(Event, event_id) is not None


@pytest.mark.parametrize("sql", ["UPDATE event SET type = 'x'", "DELETE FROM event"])
def test_the_database_refuses_event_changes_whatever_the_code(app, event_id, sql):
    with app.app_context():
        with pytest.raises(IntegrityError, match="append-only"):
            db.session.execute(text(sql))
        db.session.rollback()


def test_no_code_writes_an_update_or_delete_of_the_event_table():
    pattern = re.compile(
        r"(update|delete)\(\s*Event\b|(UPDATE|DELETE FROM)\s+event\b",
        re.IGNORECASE,
    )
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in PACKAGE.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line) and "_refuse" not in line
    ]
    assert offenders == []


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_core_statements_that_bypass_the_orm_are_refused_by_the_database(app, event_id, statement):
    table = Event.__table__
    query = table.update().values(type="x") if statement == "update" else table.delete()
    with app.app_context():
        with pytest.raises(IntegrityError, match="append-only"):
            db.session.execute(query)
        db.session.rollback()
        assert db.session.get(Event, event_id).type == "login"
