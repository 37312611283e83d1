"""The thread in each process that keeps this node's search index following the change log.

Changes made through this node are applied by the request that made them; this thread applies
what other nodes commit (and whatever a busy writer lock left), polling the log's newest
position a few times a second and woken at once after a local commit. It also builds the index
when there is none usable (a new node, a removed folder, an index older than the pruned log),
reports the position applied to the database now and then, and prunes rows every recently seen
node has passed. Started like the job runners: on a web process's first request.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

logger = logging.getLogger(__name__)

REPORT_SECONDS = 5.0  # how often a node tells the database the position it applied
PRUNE_SECONDS = 60.0  # how often it prunes the log


class IndexFollower:
    """One app's follower thread (one per process, started after gunicorn forks)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.poll = float(app.config["INDEX_POLL_SECONDS"])
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._started_in: int | None = None

    def wake(self) -> None:
        """Look at the log now rather than at the next poll."""
        self._wake.set()

    def start_in_process(self) -> None:
        if self._started_in == os.getpid():
            return
        with self._lock:
            if self._started_in == os.getpid():
                return
            self._started_in = os.getpid()
            self._stop.clear()
            threading.Thread(target=self._run, name="collateral-index", daemon=True).start()

    def stop_in_process(self) -> None:
        self._stop.set()
        self._wake.set()
        self._started_in = None

    def follow_once(self, known: int | None) -> int | None:
        """Apply what the log holds past this index's position; the position after."""
        from .services import change_log, indexing

        newest = change_log.last_position()
        if known is not None and known >= newest and indexing.search_index().has_index():
            return known
        indexing.apply_pending_index_updates(rounds=1_000_000, rebuild=True)
        return indexing.applied_position()

    def _run(self) -> None:
        from .extensions import db
        from .services import change_log

        known: int | None = None
        next_report = next_prune = 0.0
        while not self._stop.is_set():
            try:
                with self.app.app_context():
                    try:
                        known = self.follow_once(known)
                        now = time.monotonic()
                        if known is not None and now >= next_report:
                            next_report = now + REPORT_SECONDS
                            change_log.report_position(known)
                        if now >= next_prune:
                            next_prune = now + PRUNE_SECONDS
                            change_log.prune()
                    finally:
                        db.session.remove()
            except Exception:
                logger.exception("The index follower met an error; going on")
                known = None
            self._wake.wait(self.poll)
            self._wake.clear()


def init_app(app: Any) -> IndexFollower:
    """Bind a follower to the app; web processes start it on their first request."""
    follower = IndexFollower(app)
    app.extensions["collateral.index_follower"] = follower
    if app.config["INDEX_FOLLOW"]:

        @app.before_request
        def _start_index_follower() -> None:
            follower.start_in_process()

    return follower
