"""A gunicorn worker killed with SIGKILL in the middle of an upload loses nothing and leaves
nothing behind that `flask check --repair` cannot clear.

A real gunicorn (one sync worker) serves a fresh instance. The worker is killed while the request
body arrives, while the file is copied into its temporary file, and while the extraction children
read it. Each time: no blob under a real name, no asset, version or event row for the upload,
`check` names any orphan temporary file, `check --repair` removes it, a second `check` is clean,
and the worker gunicorn starts in its place takes the next upload (201).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from collateral.storage import LocalBlobStore
from tests import databases
from tests.factories import make_pdf

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery"
DEADLINE_SECONDS = 60


@dataclass
class Server:
    """A gunicorn-served instance with its master process, folders and a marketer's token."""

    process: subprocess.Popen
    port: int
    env: dict[str, str]
    token: str
    store: LocalBlobStore
    database_url: str

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        return run_flask(self.env, *args)

    def worker_pid(self) -> int:
        """The one worker: the master's child, waiting until gunicorn has started a new one."""
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            workers = children_of(self.process.pid)
            if len(workers) == 1 and "gunicorn" in cmdline(workers[0]):
                return workers[0]
            time.sleep(0.05)
        raise AssertionError("gunicorn has no worker")

    def count(self, sql: str, **params) -> int:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql), params).scalar_one()
        finally:
            engine.dispose()

    def rows_of(self, title: str) -> dict[str, int]:
        """The asset and version rows an upload titled `title` wrote, and all upload events."""
        return {
            "assets": self.count("SELECT count(*) FROM asset WHERE title = :t", t=title),
            "versions": self.count(
                "SELECT count(*) FROM version JOIN asset ON asset.id = version.asset_id "
                "WHERE asset.title = :t",
                t=title,
            ),
            "upload events": self.count("SELECT count(*) FROM event WHERE type = 'upload'"),
        }


def run_flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """`flask --app wsgi ARGS` on the instance `env` names, as an operator would run it."""
    return subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces and brackets: the fields after the last ")".
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(port: int) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/login")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
        finally:
            connection.close()
    raise AssertionError("gunicorn never answered /login")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash")
    url = databases.fresh_database_url(root)
    env = {
        **os.environ,
        "COLLATERAL_INSTANCE_PATH": str(root / "instance"),
        "COLLATERAL_DATABASE_URL": url,
        "COLLATERAL_UPLOAD_ROOT": str(root / "uploads"),
        "COLLATERAL_INDEX_ROOT": str(root / "index"),
        "COLLATERAL_SECRET_KEY": "crash-test-secret",
    }
    for args in (
        ("init-db",),
        ("create-user", "marketer@example.com", "--role", "marketer", "--password", PASSWORD),
    ):
        done = run_flask(env, *args)
        assert done.returncode == 0, done.stderr
    token = run_flask(env, "create-token", "marketer@example.com").stdout.strip().splitlines()[-1]
    port = free_port()
    log = (root / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "1", "--worker-class", "sync", "--timeout", "120"]
        # One thread: gunicorn.conf.py's threads would otherwise make the worker gthread.
        + ["--threads", "1", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_serving(port)
        yield Server(process, port, env, token, LocalBlobStore(root / "uploads"), url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def multipart_body(content: bytes, filename: str, title: str) -> tuple[str, bytes]:
    fields = MultiDict({"title": title})
    fields.add("file", FileStorage(stream=io.BytesIO(content), filename=filename))
    boundary, body = encode_multipart(fields)
    return f"multipart/form-data; boundary={boundary}", body


def upload(server: Server, content: bytes, filename: str, title: str) -> int:
    """Send an upload and return the status."""
    content_type, body = multipart_body(content, filename, title)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        connection.request(
            "POST",
            "/api/v1/assets",
            body=body,
            headers={"Authorization": f"Bearer {server.token}", "Content-Type": content_type},
        )
        return connection.getresponse().status
    finally:
        connection.close()


class UploadInFlight:
    """An upload sent from a thread; its outcome (a status, or the error) kept for the test."""

    def __init__(self, server: Server, content: bytes, filename: str, title: str) -> None:
        self.outcome: object = None
        self.thread = threading.Thread(
            target=self._send, args=(server, content, filename, title), daemon=True
        )
        self.thread.start()

    def _send(self, *args) -> None:
        try:
            self.outcome = upload(*args)
        except (OSError, http.client.HTTPException) as error:
            self.outcome = error

    def join(self) -> object:
        self.thread.join(timeout=DEADLINE_SECONDS)
        assert not self.thread.is_alive()
        return self.outcome


def wait_for(condition, what: str, interval: float = 0.001):
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(interval)
    raise AssertionError(f"never saw {what}")


def staging_files(store: LocalBlobStore) -> list[Path]:
    return list(store.temp_dir.glob(".upload-*")) if store.temp_dir.is_dir() else []


def assert_nothing_recorded(server: Server, title: str, blobs_before: set[str], events: int):
    assert set(server.store.iter_blobs()) == blobs_before  # no blob under a real name
    rows = server.rows_of(title)
    assert rows == {"assets": 0, "versions": 0, "upload events": events}


def assert_check_repairs(server: Server, orphans: int = 1) -> None:
    """`check` names each orphan temp file, `--repair` removes it, and a second check is clean."""
    first = server.flask("check")
    named = [line for line in first.stdout.splitlines() if line.startswith("orphan-temp-file:")]
    assert len(named) == orphans == len(first.stdout.splitlines()) - 1, first.stdout
    assert first.returncode == 1 and first.stderr.startswith("Error: 1 disagreement"), first.stderr
    repaired = server.flask("check", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert staging_files(server.store) == []
    again = server.flask("check")
    assert again.returncode == 0 and again.stdout.strip().endswith(": consistent."), again.stdout


def assert_still_serving(server: Server, word: str) -> None:
    """The worker gunicorn started in the killed one's place takes an upload."""
    wait_until_serving(server.port)
    status = upload(server, f"After the crash, {word} still uploads".encode(), f"{word}.txt", word)
    assert status == 201


def upload_events(server: Server) -> int:
    return server.rows_of("")["upload events"]


def test_a_kill_while_the_body_arrives_leaves_nothing(server):
    title = "Half a body"
    blobs, events = set(server.store.iter_blobs()), upload_events(server)
    worker = server.worker_pid()
    content_type, body = multipart_body(b"x" * 4_000_000, "half.txt", title)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as raw:
        head = (
            f"POST /api/v1/assets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {server.token}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        raw.sendall(head.encode() + body[: len(body) // 2])
        time.sleep(0.5)  # the worker is reading the body, waiting for the rest
        os.kill(worker, signal.SIGKILL)
        with pytest.raises(OSError):
            raw.sendall(body[len(body) // 2 :])
            if not raw.recv(1024):
                raise ConnectionResetError("closed without an answer")
    assert_nothing_recorded(server, title, blobs, events)
    assert staging_files(server.store) == []
    clean = server.flask("check")
    assert clean.returncode == 0 and clean.stdout.strip().endswith(": consistent."), clean.stdout
    assert_still_serving(server, "wallaby")


def test_a_kill_while_the_file_is_staged_leaves_only_a_temp_file(server):
    title = "Killed while staged"
    content = b"Staging is copying this line into a temporary file.\n" * 1_300_000  # ~66 MB
    blobs, events = set(server.store.iter_blobs()), upload_events(server)
    worker = server.worker_pid()
    sending = UploadInFlight(server, content, "big.txt", title)
    temp = wait_for(lambda: staging_files(server.store), "the staging file")[0]
    os.kill(worker, signal.SIGKILL)
    assert not isinstance(sending.join(), int)  # the connection died without an answer
    staged_bytes = temp.stat().st_size
    assert staged_bytes <= len(content)
    assert_nothing_recorded(server, title, blobs, events)
    assert_check_repairs(server, orphans=1)
    assert_still_serving(server, "quoll")


def test_a_kill_during_extraction_leaves_only_a_temp_file(server):
    title = "Killed while read"
    pages = [f"Page {n}: bandicoot pricing, rollout and security. " * 40 for n in range(150)]
    content = make_pdf(pages)
    blobs, events = set(server.store.iter_blobs()), upload_events(server)
    worker = server.worker_pid()
    sending = UploadInFlight(server, content, "long.pdf", title)

    def reading_children() -> list[int]:
        return [pid for pid in children_of(worker) if re.search(r"-m collateral\.", cmdline(pid))]

    readers = wait_for(reading_children, "an extraction child")
    temp = staging_files(server.store)[0]
    assert temp.stat().st_size == len(content)  # staged whole, still under its temporary name
    os.kill(worker, signal.SIGKILL)
    for pid in readers:  # orphaned children would run on to their time limit
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not isinstance(sending.join(), int)
    assert_nothing_recorded(server, title, blobs, events)
    assert_check_repairs(server, orphans=1)
    assert_still_serving(server, "bilby")
    # The same file uploads whole now: the killed attempt left nothing that looks like a copy.
    assert upload(server, content, "long.pdf", title) == 201
    assert server.rows_of(title)["versions"] == 1
