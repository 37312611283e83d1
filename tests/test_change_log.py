"""Log positions follow commit order, so a reader taking "every row after the last I applied"
never skips a change that committed late."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from collateral.extensions import db
from collateral.services import change_log
from tests import databases

on_postgres = pytest.mark.skipif(
    not databases.ON_POSTGRES, reason="PostgreSQL hands out positions before commit"
)


def committed_positions(app) -> list[int]:
    with app.app_context():
        return [p for p, _ in change_log.rows_after(0, 1000)]


@on_postgres
def test_without_the_lock_a_lower_position_can_commit_last(app):
    """The hazard the lock exists for: a plain identity column, two overlapping transactions."""
    with app.app_context():
        first, second = Session(db.engine), Session(db.engine)
        try:
            insert = text(
                "INSERT INTO change_log (asset_id, logged_at) VALUES (:a, now()) RETURNING position"
            )
            low = first.execute(insert, {"a": 1}).scalar()
            high = second.execute(insert, {"a": 2}).scalar()
            second.commit()
            seen = committed_positions(app)  # a reader now: applies `high`, moves past `low`
            first.commit()
        finally:
            first.close()
            second.close()
    assert low < high and seen == [high]  # `low` commits after a reader passed it


@on_postgres
def test_a_writer_waits_so_the_lower_position_is_committed_first(app):
    """T1 draws its position and stays open; T2 cannot draw one until T1 has committed."""
    with app.app_context():
        first = Session(db.engine)
        change_log.log_change(1, session=first)
        change_log._write_log_rows(first)  # what before_commit does: lock, then insert
        done = threading.Event()

        def second_writer() -> None:
            with app.app_context(), Session(db.engine) as second:
                change_log.log_change(2, session=second)
                second.commit()  # blocks on the advisory lock until T1 ends
            done.set()

        thread = threading.Thread(target=second_writer)
        thread.start()
        try:
            time.sleep(0.5)
            assert not done.is_set(), "T2 committed while T1 held its position open"
            assert committed_positions(app) == []  # a reader sees neither yet
        finally:
            first.commit()
            first.close()
            thread.join(10)
    assert done.is_set()
    positions = committed_positions(app)
    with app.app_context():
        assets = [a for _, a in change_log.rows_after(0, 1000)]
    assert len(positions) == 2 and positions[0] < positions[1] and assets == [1, 2]


def test_a_reader_following_many_writers_never_skips_a_row(app):
    """Eight writers commit 25 changes each while a reader follows the log as a node does."""
    stop, seen, errors = threading.Event(), [], []

    def reader() -> None:
        with app.app_context():
            position = 0
            while True:
                finished = stop.is_set()
                rows = change_log.rows_after(position, 1000)
                db.session.rollback()
                seen.extend(asset for _, asset in rows)
                if rows:
                    position = rows[-1][0]
                elif finished:
                    return

    def writer(number: int) -> None:
        try:
            with app.app_context():
                for n in range(25):
                    change_log.log_change(number * 1000 + n)
                    db.session.commit()
        except Exception as exc:  # reported below
            errors.append(exc)

    following = threading.Thread(target=reader)
    following.start()
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(1, 9)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(60)
    stop.set()
    following.join(60)
    assert errors == []
    assert sorted(seen) == sorted(n * 1000 + k for n in range(1, 9) for k in range(25))
