"""Huey's storage in PostgreSQL tables, so every node's runners share one queue.

Huey ships storage for SQLite, Redis and (through peewee, in `huey.contrib.sql_huey`) SQL
databases; this one is written for ours instead because peewee's storage takes a task with a
plain SELECT then DELETE, so two nodes can both read the same row before either deletes it, and
because it would add a second database library and connection pool beside SQLAlchemy. Here a
job is taken with one `DELETE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`:
whichever runner locks the row first gets it, the others skip to the next row without waiting,
so each job is handed out exactly once. The tables (`job_queued`, `job_scheduled`,
`job_value`) come with the migrations like every other table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from huey.constants import EmptyData
from huey.storage import BaseStorage

from .models import JobQueued, JobScheduled, JobValue

_QUEUED = JobQueued.__table__
_SCHEDULED = JobScheduled.__table__
_VALUES = JobValue.__table__
_COUNTER = "counter:"  # keys of Huey's counters, beside its other values


class PostgresStorage(BaseStorage):
    """Huey's queue, schedule and key-value store in our PostgreSQL database."""

    blocking = False
    priority = True

    def __init__(
        self, name: str = "huey", engine: Callable[[], sa.Engine] | None = None, **_: Any
    ) -> None:
        super().__init__(name)
        if engine is None:
            raise ValueError("PostgresStorage needs the database engine")
        self._engine_of_app = engine

    @property
    def engine(self) -> sa.Engine:
        """The app's own engine and connection pool (made per process, so never shared across
        gunicorn's fork, and closed with the app's)."""
        return self._engine_of_app()

    # The queue

    def enqueue(self, data: bytes, priority: float | None = None) -> None:
        with self.engine.begin() as c:
            c.execute(
                _QUEUED.insert().values(queue=self.name, priority=int(priority or 0), data=data)
            )

    def dequeue(self) -> bytes | None:
        first = (
            sa.select(_QUEUED.c.id)
            .where(_QUEUED.c.queue == self.name)
            .order_by(_QUEUED.c.priority.desc(), _QUEUED.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        with self.engine.begin() as c:
            return c.execute(
                _QUEUED.delete().where(_QUEUED.c.id == first).returning(_QUEUED.c.data)
            ).scalar()

    def queue_size(self) -> int:
        return self._count(_QUEUED)

    def enqueued_items(self, limit: int | None = None) -> list[bytes]:
        query = (
            sa.select(_QUEUED.c.data)
            .where(_QUEUED.c.queue == self.name)
            .order_by(_QUEUED.c.priority.desc(), _QUEUED.c.id)
            .limit(limit)
        )
        with self.engine.connect() as c:
            return list(c.execute(query).scalars())

    def flush_queue(self) -> None:
        self._flush(_QUEUED)

    # The schedule (retries waiting for their time)

    def add_to_schedule(self, data: bytes, ts: datetime) -> None:
        with self.engine.begin() as c:
            c.execute(_SCHEDULED.insert().values(queue=self.name, run_at=_naive(ts), data=data))

    def read_schedule(self, ts: datetime) -> list[bytes]:
        due = (
            sa.select(_SCHEDULED.c.id)
            .where(_SCHEDULED.c.queue == self.name, _SCHEDULED.c.run_at <= _naive(ts))
            .with_for_update(skip_locked=True)
        )
        with self.engine.begin() as c:
            return list(
                c.execute(
                    _SCHEDULED.delete()
                    .where(_SCHEDULED.c.id.in_(due.scalar_subquery()))
                    .returning(_SCHEDULED.c.data)
                ).scalars()
            )

    def schedule_size(self) -> int:
        return self._count(_SCHEDULED)

    def scheduled_items(self, limit: int | None = None) -> list[bytes]:
        query = (
            sa.select(_SCHEDULED.c.data)
            .where(_SCHEDULED.c.queue == self.name)
            .order_by(_SCHEDULED.c.run_at, _SCHEDULED.c.id)
            .limit(limit)
        )
        with self.engine.connect() as c:
            return list(c.execute(query).scalars())

    def flush_schedule(self) -> None:
        self._flush(_SCHEDULED)

    # Key-value data (results, revocations, locks, counters)

    def _key(self, key: Any) -> sa.ColumnElement[bool]:
        return sa.and_(_VALUES.c.queue == self.name, _VALUES.c.key == _text(key))

    def put_data(self, key: Any, value: bytes, is_result: bool = False) -> None:
        from sqlalchemy.dialects.postgresql import insert

        row = insert(_VALUES).values(queue=self.name, key=_text(key), value=value)
        with self.engine.begin() as c:
            c.execute(
                row.on_conflict_do_update(
                    index_elements=[_VALUES.c.queue, _VALUES.c.key],
                    set_={"value": row.excluded.value},
                )
            )

    def peek_data(self, key: Any) -> Any:
        with self.engine.connect() as c:
            found = c.execute(sa.select(_VALUES.c.value).where(self._key(key))).scalar()
        return EmptyData if found is None else found

    def pop_data(self, key: Any) -> Any:
        with self.engine.begin() as c:
            found = c.execute(
                _VALUES.delete().where(self._key(key)).returning(_VALUES.c.value)
            ).scalar()
        return EmptyData if found is None else found

    def has_data_for_key(self, key: Any) -> bool:
        return self.peek_data(key) is not EmptyData

    def put_if_empty(self, key: Any, value: bytes, ttl: int | None = None) -> bool:
        from sqlalchemy.dialects.postgresql import insert

        if ttl is not None:
            raise NotImplementedError("ttl is not supported by this storage.")
        row = insert(_VALUES).values(queue=self.name, key=_text(key), value=value)
        with self.engine.begin() as c:
            return bool(c.execute(row.on_conflict_do_nothing()).rowcount)

    def incr(self, key: Any, amount: int = 1) -> int:
        with self.engine.begin() as c:
            c.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": _text(key)})
            name = _COUNTER + _text(key)
            now = c.execute(
                sa.select(_VALUES.c.value).where(
                    _VALUES.c.queue == self.name, _VALUES.c.key == name
                )
            ).scalar()
            value = int(now or b"0") + amount
            c.execute(_VALUES.delete().where(_VALUES.c.queue == self.name, _VALUES.c.key == name))
            c.execute(_VALUES.insert().values(queue=self.name, key=name, value=b"%d" % value))
        return value

    def delete_counter(self, key: Any) -> None:
        self.pop_data(_COUNTER + _text(key))

    def result_store_size(self) -> int:
        return self._count(_VALUES)

    def result_items(self) -> dict[str, bytes]:
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(_VALUES.c.key, _VALUES.c.value).where(_VALUES.c.queue == self.name)
            )
            return {key: value for key, value in rows}

    def flush_results(self) -> None:
        self._flush(_VALUES)

    def flush_counters(self) -> None:
        with self.engine.begin() as c:
            c.execute(
                _VALUES.delete().where(
                    _VALUES.c.queue == self.name, _VALUES.c.key.startswith(_COUNTER)
                )
            )

    def _count(self, table: sa.Table) -> int:
        with self.engine.connect() as c:
            query = sa.select(sa.func.count()).select_from(table)
            return int(c.execute(query.where(table.c.queue == self.name)).scalar() or 0)

    def _flush(self, table: sa.Table) -> None:
        with self.engine.begin() as c:
            c.execute(table.delete().where(table.c.queue == self.name))


def _text(key: Any) -> str:
    return key.decode("utf-8") if isinstance(key, bytes) else str(key)


def _naive(moment: datetime) -> datetime:
    """Huey passes UTC times (utc=True); the column holds them naive, as every time here."""
    return moment.replace(tzinfo=None)
