"""Background jobs: a Huey queue kept in a SQLite file in the instance folder, or in the
database's own tables when the database is PostgreSQL (`jobs_storage.py`), so that any node's
runner takes any job, each exactly once.

Why Huey: a well-kept, dependency-free queue whose SQLite storage needs no broker, with
retries, back-off and a consumer of its own. Its storage is not our session, so a job cannot
be queued in the same transaction as the
change that needs it; instead the need itself is a row (a version's `preview_status` is
`pending`, committed with the upload), the job is queued after the commit, and a sweep queues
again whatever is pending with no job (see `services/page_images.py`). A job that dies with its
process is therefore found and run again; every job is idempotent.

Who runs the jobs: by default one thread in each web process, started on the process's first
request (so after gunicorn forks); or `flask --app wsgi worker`, Huey's own consumer, in a
separate process (then set COLLATERAL_JOBS_IN_WEB=false).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from huey import Huey, SqliteHuey, crontab

from .jobs_storage import PostgresStorage

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0  # how often a runner looks for work owed with no job queued
_IDLE_POLL = (0.1, 2.0)  # a runner's first and longest wait when the queue is empty


class Jobs:
    """One app's queue: named jobs that run in an app context, and the runners that take them."""

    def __init__(self, app: Any, path: str, database_url: str = "") -> None:
        self.app = app
        self.sweep_seconds = float(app.config.get("JOBS_SWEEP_SECONDS", SWEEP_SECONDS))
        if database_url.startswith("postgresql"):
            self.huey: Huey = Huey(
                name="collateral",
                results=False,
                utc=True,
                storage_class=PostgresStorage,
                engine=self._database_engine,
            )
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.huey = SqliteHuey(name="collateral", filename=path, results=False, utc=True)
        self.sweepers: list[Callable[[], int]] = []
        self._tasks: dict[str, Any] = {}
        self._started_in: int | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.huey.periodic_task(crontab(minute="*"), name="sweep")(self._in_app(self.sweep))

    def _database_engine(self) -> Any:
        from .extensions import db

        with self.app.app_context():
            return db.engine

    def _in_app(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            with self.app.app_context():
                return function(*args)

        run.__name__ = function.__name__
        return run

    def register(
        self, name: str, function: Callable[..., Any], *, retries: int, retry_delay: float
    ) -> None:
        """Make `function` a job; a failure is retried `retries` times, each wait tripled."""
        self._tasks[name] = self.huey.task(
            retries=retries, retry_delay=retry_delay, retry_backoff=3, name=name
        )(self._in_app(function))

    def enqueue(self, name: str, *args: Any) -> None:
        """Queue a job; a failure to queue is logged, not raised (the sweep will queue it)."""
        try:
            self._tasks[name](*args)
        except Exception:
            logger.exception("Could not queue job %s%r; the sweep will", name, args)

    def queued_arguments(self, name: str) -> set[tuple]:
        """The arguments of the jobs of one kind waiting in the queue or for a retry."""
        waiting = self.huey.pending() + self.huey.scheduled()
        return {tuple(task.args) for task in waiting if task.name == name}

    def counts(self) -> dict[str, int]:
        return {"queued": self.huey.pending_count() + self.huey.scheduled_count()}

    def sweep(self) -> int:
        """Queue whatever is owed with no job (each sweeper knows one kind); how many."""
        queued = 0
        for sweeper in self.sweepers:
            try:
                queued += sweeper()
            except Exception:
                logger.exception("Sweep %s failed", getattr(sweeper, "__name__", sweeper))
        return queued

    def run_once(self, now: datetime | None = None) -> bool:
        """Move due retries to the queue, then run one job; False if there was none."""
        now = now or datetime.now(UTC).replace(tzinfo=None)
        for task in self.huey.read_schedule(now):
            self.huey.enqueue(task)
        task = self.huey.dequeue()
        if task is None:
            return False
        self.huey.execute(task, now)
        return True

    def run_until_idle(self, *, sweep: bool = True, retries_now: bool = False) -> int:
        """Run jobs in this thread until none is left; how many ran (tests, the CLI)."""
        if sweep:
            with self.app.app_context():
                self.sweep()
        ran = 0
        later = timedelta(days=1) if retries_now else timedelta(0)
        while self.run_once(datetime.now(UTC).replace(tzinfo=None) + later):
            ran += 1
        return ran

    def start_in_process(self, threads: int = 1) -> None:
        """Start the runner threads of this process, once per process (after a fork too)."""
        if self._started_in == os.getpid():
            return
        with self._lock:
            if self._started_in == os.getpid():
                return
            self._started_in = os.getpid()
            self._stop.clear()
            for number in range(threads):
                thread = threading.Thread(
                    target=self._runner, name=f"collateral-jobs-{number}", daemon=True
                )
                thread.start()

    def stop_in_process(self) -> None:
        self._stop.set()
        self._started_in = None

    def _runner(self) -> None:
        """A runner thread: sweep now and then, run jobs, wait a little longer when idle."""
        wait = _IDLE_POLL[0]
        next_sweep = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + self.sweep_seconds
                    with self.app.app_context():
                        self.sweep()
                if self.run_once():
                    wait = _IDLE_POLL[0]
                    continue
            except Exception:
                logger.exception("The job runner met an error; going on")
            self._stop.wait(wait)
            wait = min(wait * 2, _IDLE_POLL[1])


def jobs_path(config: dict, instance_path: str) -> str:
    return str(config.get("JOBS_PATH") or Path(instance_path) / "jobs.db")


def init_app(app: Any) -> Jobs:
    """Bind a queue to the app; web processes start their runners on their first request."""
    url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    jobs = Jobs(app, jobs_path(app.config, app.instance_path), url)
    app.extensions["collateral.jobs"] = jobs
    if app.config["JOBS_IN_WEB"]:
        threads = int(app.config["JOBS_THREADS"])

        @app.before_request
        def _start_job_runners() -> None:
            jobs.start_in_process(threads)

    return jobs
