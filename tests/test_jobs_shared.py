"""Background jobs shared by several nodes: on PostgreSQL one queue in the database that every
node's runners take from, each job exactly once; a render's claim is a lease its runner renews,
so a runner that dies with its machine frees the job for another."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from collateral import create_app
from collateral.extensions import db
from collateral.jobs_storage import PostgresStorage
from collateral.models import Version, utcnow
from collateral.services import page_images
from tests import databases
from tests.conftest import app_config, run_jobs
from tests.factories import make_pdf

on_postgres = pytest.mark.skipif(not databases.ON_POSTGRES, reason="the queue in PostgreSQL")


@pytest.fixture
def two_nodes(tmp_path, template_db):
    database = databases.database_for_test(template_db[0], tmp_path)
    apps = [create_app(app_config(tmp_path / name, database)) for name in ("a", "b")]
    yield apps
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@on_postgres
def test_the_queue_lives_in_the_database_on_postgres(two_nodes):
    a, b = two_nodes
    assert isinstance(a.extensions["collateral.jobs"].huey.storage, PostgresStorage)
    assert not (Path(a.instance_path) / "jobs.db").exists()


@on_postgres
def test_runners_on_two_nodes_take_each_job_exactly_once(two_nodes):
    ran: list[tuple[str, int]] = []
    lock = threading.Lock()

    def job_for(node: str):
        def record(number: int) -> None:
            time.sleep(0.005)  # long enough for runners to overlap
            with lock:
                ran.append((node, number))

        return record

    for app, name in zip(two_nodes, "ab", strict=True):
        app.extensions["collateral.jobs"].register(
            "record", job_for(name), retries=0, retry_delay=1
        )
    queue_a = two_nodes[0].extensions["collateral.jobs"]
    for number in range(200):
        queue_a.enqueue("record", number)
    assert queue_a.counts() == {"queued": 200}

    def runner(app) -> None:
        jobs = app.extensions["collateral.jobs"]
        while jobs.run_once():
            pass

    threads = [threading.Thread(target=runner, args=(app,)) for app in two_nodes * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    numbers = sorted(number for _, number in ran)
    assert numbers == list(range(200))  # every job once: none lost, none twice
    assert {node for node, _ in ran} == {"a", "b"}  # both nodes took some
    assert two_nodes[1].extensions["collateral.jobs"].counts() == {"queued": 0}


@on_postgres
def test_a_failed_job_waits_in_the_shared_schedule_and_is_retried(two_nodes):
    tries: list[int] = []

    def flaky(number: int) -> None:
        tries.append(number)
        if len(tries) == 1:
            raise RuntimeError("first try fails")

    for app in two_nodes:
        app.extensions["collateral.jobs"].register("flaky", flaky, retries=1, retry_delay=60)
    a, b = (app.extensions["collateral.jobs"] for app in two_nodes)
    a.enqueue("flaky", 7)
    assert a.run_once() and tries == [7]
    assert b.counts() == {"queued": 1}  # the retry, scheduled, seen from the other node
    assert b.queued_arguments("flaky") == {(7,)}
    assert b.run_until_idle(sweep=False, retries_now=True) == 1 and tries == [7, 7]
    assert a.counts() == {"queued": 0}


def test_a_claim_held_by_a_runner_on_another_machine_is_free_once_its_lease_runs_out(app, api):
    asset = api.upload(make_pdf(["Lease test"]), "lease.pdf", title="Lease").get_json()
    with app.app_context():
        version = db.session.scalar(select(Version).where(Version.asset_id == asset["id"]))
        version.preview_claimed_by = "another-machine:4242"  # its pid cannot be checked here
        version.preview_claimed_until = utcnow() + timedelta(seconds=30)
        db.session.commit()
    run_jobs(app)
    with app.app_context():
        version = db.session.scalar(select(Version).where(Version.asset_id == asset["id"]))
        assert version.preview_status == "pending"  # a live lease: left alone
        version.preview_claimed_until = utcnow() - timedelta(seconds=1)  # the lease ran out
        db.session.commit()
        assert page_images.requeue_pending(grace=timedelta(0)) == 1
    run_jobs(app, sweep=False)
    with app.app_context():
        version = db.session.scalar(select(Version).where(Version.asset_id == asset["id"]))
        assert version.preview_status == "ready" and version.preview_claimed_by is None


def test_the_runner_renews_its_lease_while_it_draws(app, api):
    asset = api.upload(make_pdf(["Renewal"]), "renew.pdf", title="Renew").get_json()
    app.config["RENDER_LEASE_SECONDS"] = 0.6
    with app.app_context():
        version_id = db.session.scalar(select(Version.id).where(Version.asset_id == asset["id"]))
        taken = page_images._claim(version_id)
        assert taken is not None
        first = taken.preview_claimed_until
        with page_images._LeaseKeeper(version_id):
            time.sleep(1.0)  # a render longer than the lease
        db.session.expire_all()
        renewed = db.session.get(Version, version_id).preview_claimed_until
    assert renewed > first + timedelta(seconds=0.3)


@on_postgres
def test_flask_worker_takes_jobs_from_the_database_queue(tmp_path, template_db):
    """Huey's own consumer (`flask worker`) runs on the PostgreSQL storage: a job queued by a
    web node is drawn by a worker process on another "machine" (its own instance folder)."""
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import Api

    database = databases.database_for_test(template_db[0], tmp_path)
    web = create_app(app_config(tmp_path / "web", database))
    api = Api(web.test_client(), template_db[1])
    asset = api.upload(make_pdf(["Worker drawn"]), "w.pdf", title="Worker").get_json()
    settings = {
        f"COLLATERAL_{key}": str(value)
        for key, value in app_config(tmp_path / "worker", database).items()
        if key not in ("TESTING",)
    }
    settings["COLLATERAL_UPLOAD_ROOT"] = web.config["UPLOAD_ROOT"]  # the one store
    log = tmp_path / "worker.log"
    with log.open("w") as sink:
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--threads", "1"],
            env={**os.environ, **settings},
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # Within 30 s: sooner than any sweep could queue it again (uploads younger than 30 s
        # are left to the job their upload queued), so only the shared queue can bring it.
        deadline = time.monotonic() + 30
        while True:
            with web.app_context():
                status = db.session.scalar(
                    select(Version.preview_status).where(Version.asset_id == asset["id"])
                )
                db.session.rollback()
            if status != "pending":
                break
            assert worker.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        left = web.extensions["collateral.jobs"].counts()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
        with web.app_context():
            db.engine.dispose()
    assert status == "ready", log.read_text()[-3000:]
    assert left == {"queued": 0}
