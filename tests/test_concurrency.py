"""Several gunicorn workers writing at once: every upload lands in the database and the index.

A real gunicorn (the README's production line: sync workers, four of them) serves a fresh
instance; a thread pool sends 40 uploads of distinct generated files with 40 searches between
them. Every upload must answer 201 and every search 200, no lock error may reach a caller, and
the moment the last response is in, the index must hold exactly the assets the database holds.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import NullPool, create_engine, select, text
from sqlalchemy.engine import make_url
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from collateral import create_app
from collateral.extensions import db
from collateral.models import Asset
from collateral.search_index import SearchIndex
from collateral.services.indexing import pending_index_updates
from collateral.services.resources import search_index
from tests import databases
from tests.conftest import PASSWORD, Api, app_config
from tests.factories import make_docx, make_pdf, make_pptx, make_xlsx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
UPLOADS = 40
SEARCHES = 40
CLIENT_THREADS = UPLOADS + SEARCHES  # every request in flight at once
REQUEST_TIMEOUT = 180.0
# What must never reach a caller or the server's log.
LOCK_WORDS = re.compile(r"database is locked|lock(ed)? ?(error|timeout)|traceback|busy", re.I)
LOG_FAILURES = re.compile(r"Traceback|database is locked|WORKER TIMEOUT|Worker .* was sent|ERROR")


@dataclass
class Library:
    """A gunicorn-served instance: its address, tokens, folders and log."""

    url: str
    tokens: dict[str, str]
    database_url: str
    index_root: Path
    log: Path


def _prepare(settings: dict[str, str]) -> dict[str, str]:
    """Create the database, index and users with the real CLI commands; an API token per role.

    The commands run in this process (each `flask` start costs seconds of imports); gunicorn
    reads the same settings from its environment.
    """
    app = create_app({key.removeprefix("COLLATERAL_"): value for key, value in settings.items()})
    runner = app.test_cli_runner()

    def run(*args: str) -> str:
        result = runner.invoke(args=list(args))
        assert result.exit_code == 0, f"flask {args[0]}: {result.output}"
        return result.output

    run("init-db")
    tokens = {}
    for role in ("marketer", "rep"):
        run("create-user", f"{role}@example.com", "--role", role, "--password", PASSWORD)
        tokens[role] = run("create-token", f"{role}@example.com").strip().splitlines()[-1]
    with app.app_context():
        search_index().close()
        db.engine.dispose()
    return tokens


def _listening_port(log: Path, server: subprocess.Popen, deadline: float) -> int:
    """The port gunicorn bound (it was asked for any free one), read from its log."""
    while time.monotonic() < deadline:
        found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text())
        if found:
            return int(found.group(1))
        assert server.poll() is None, f"gunicorn exited: {log.read_text()[-2000:]}"
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not start: {log.read_text()[-2000:]}")


def _wait_until_serving(url: str, deadline: float) -> None:
    """Wait for a worker to answer: until then requests would only queue."""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("gunicorn never answered /login")


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("concurrency")
    settings = {
        "COLLATERAL_INSTANCE_PATH": str(root / "instance"),
        "COLLATERAL_DATABASE_URL": databases.fresh_database_url(root),
        "COLLATERAL_UPLOAD_ROOT": str(root / "uploads"),
        "COLLATERAL_INDEX_ROOT": str(root / "index"),
        "COLLATERAL_SECRET_KEY": "concurrency-test-secret",
    }
    tokens = _prepare(settings)
    env = {**os.environ, **settings}
    log = root / "gunicorn.log"
    with log.open("w") as sink:
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                "4",
                "--bind",
                "127.0.0.1:0",
                # gunicorn's control socket sits at one path in $HOME: one per test run instead.
                "--no-control-socket",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        url = f"http://127.0.0.1:{_listening_port(log, server, deadline)}"
        _wait_until_serving(url, deadline)
        yield Library(url, tokens, env["COLLATERAL_DATABASE_URL"], root / "index", log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@dataclass
class Answer:
    status: int
    body: str
    seconds: float

    def json(self) -> dict:
        return json.loads(self.body)


def _send(request: urllib.request.Request) -> Answer:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:  # noqa: S310
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return Answer(status, body.decode("utf-8", "replace"), time.perf_counter() - started)


def upload(library: Library, content: bytes, filename: str, title: str) -> Answer:
    fields = MultiDict({"title": title})
    fields.add("file", FileStorage(stream=io.BytesIO(content), filename=filename))
    boundary, body = encode_multipart(fields)
    request = urllib.request.Request(  # noqa: S310
        f"{library.url}/api/v1/assets",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {library.tokens['marketer']}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    return _send(request)


def search(library: Library, role: str = "rep", **params) -> Answer:
    query = urllib.parse.urlencode(params)
    request = urllib.request.Request(  # noqa: S310
        f"{library.url}/api/v1/assets?{query}",
        headers={"Authorization": f"Bearer {library.tokens[role]}"},
    )
    return _send(request)


def distinct_words(count: int, seed: int) -> list[str]:
    """Made-up words no other file shares, so each asset has one of its own to be found by."""
    rng = random.Random(seed)
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(4)))
    return sorted(words)


def make_file(number: int, word: str) -> tuple[bytes, str]:
    """A real office file or PDF, its kind chosen by number, with `word` in its text."""
    sentence = f"Quarterly {word} rollout plan number {number} for the sales team"
    kind = number % 4
    if kind == 0:
        deck = make_pptx([(f"Deck {number}", sentence, f"Speaker notes {number}")])
        return deck, f"deck-{number}.pptx"
    if kind == 1:
        return make_docx([f"Brief {number}", sentence]), f"brief-{number}.docx"
    if kind == 2:
        return make_pdf([f"Sheet {number}", sentence]), f"sheet-{number}.pdf"
    return make_xlsx({"Plan": [["Item", "Note"], [number, sentence]]}), f"plan-{number}.xlsx"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def figures(name: str, seconds: list[float]) -> str:
    return (
        f"{name}: n={len(seconds)} p50={statistics.median(seconds) * 1000:.0f} ms "
        f"p95={percentile(seconds, 0.95) * 1000:.0f} ms max={max(seconds) * 1000:.0f} ms"
    )


def database_state(url: str, index_root: Path) -> tuple[set[int], int]:
    """The asset ids in the database and the logged changes the index has not applied."""
    index = SearchIndex(index_root)
    try:
        applied = index.applied_position() or 0
    finally:
        index.close()
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            ids = set(connection.scalars(select(Asset.id)))
            owed = connection.scalar(
                text("SELECT count(*) FROM change_log WHERE position > :p"), {"p": applied}
            )
    finally:
        engine.dispose()
    return ids, owed


def indexed_asset_ids(root: Path) -> set[int]:
    index = SearchIndex(root)
    try:
        return index.asset_ids()
    finally:
        index.close()


def test_four_workers_take_concurrent_uploads_and_searches(library):
    words = distinct_words(UPLOADS, seed=20240611)
    jobs = []  # uploads with searches between them, each for a word uploaded just before
    for number, word in enumerate(words):
        content, filename = make_file(number, word)
        title = f"Concurrent upload {number}"
        jobs.append(("upload", number, partial(upload, library, content, filename, title)))
        if number < SEARCHES:
            query = {"q": word, "per_page": 20} if number % 2 else {"q": "rollout plan"}
            jobs.append(("search", number, partial(search, library, **query)))

    # One of each alone first: what a caller waits when nobody else is writing.
    alone_upload = upload(library, *make_file(UPLOADS, "solitary"), "Alone")
    alone_search = search(library, q="solitary")
    assert (alone_upload.status, alone_search.status) == (201, 200), alone_upload.body[:300]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        futures = [(kind, number, pool.submit(job)) for kind, number, job in jobs]
        answers = [(kind, number, future.result()) for kind, number, future in futures]
    wall = time.perf_counter() - started
    # Right after the last answer, with nothing run in between (no index-sync).
    in_database, owed = database_state(library.database_url, library.index_root)
    in_index = indexed_asset_ids(library.index_root)

    log = library.log.read_text()
    uploads = [(n, a) for kind, n, a in answers if kind == "upload"]
    searches = [(n, a) for kind, n, a in answers if kind == "search"]
    print(
        f"\nalone: upload {alone_upload.seconds * 1000:.0f} ms, "
        f"search {alone_search.seconds * 1000:.0f} ms"
        f"\n{UPLOADS} uploads + {SEARCHES} searches, gunicorn --workers 4, "
        f"{CLIENT_THREADS} client threads: wall {wall:.1f} s, {UPLOADS / wall:.2f} uploads/s"
        f"\n  {figures('upload', [a.seconds for _, a in uploads])}"
        f"\n  {figures('search', [a.seconds for _, a in searches])}"
        f"\n  writers that gave up on a busy index, leaving their update owed: "
        f"{log.count('index busy')}"
    )

    for kind, number, answer in answers:
        assert answer.status < 500, (
            f"{kind} {number}: {answer.status} {answer.body[:500]}\nserver log:\n{log[-6000:]}"
        )
        assert not LOCK_WORDS.search(answer.body), f"{kind} {number}: {answer.body[:500]}"
    assert [a.status for _, a in uploads] == [201] * UPLOADS, [a.body[:300] for _, a in uploads]
    assert [a.status for _, a in searches] == [200] * SEARCHES
    created = {n: a.json()["id"] for n, a in uploads}
    assert len(set(created.values())) == UPLOADS
    assert set(created.values()) <= in_database

    assert owed == 0, f"{owed} index updates still owed after the last upload answered"
    assert in_index == in_database, (
        f"only in the database: {sorted(in_database - in_index)}, "
        f"only in the index: {sorted(in_index - in_database)}"
    )
    for number, word in enumerate(words):
        found = search(library, "marketer", q=word, per_page=100)
        assert found.status == 200, found.body[:300]
        ids = {hit["id"] for hit in found.json()["results"]}
        assert created[number] in ids, f"asset {created[number]} not found by {word!r}"
    assert not LOG_FAILURES.search(log), log[-4000:]


def _when_owed(url: str, then: threading.Event, delay: float, stop: threading.Event) -> None:
    """Set `then` `delay` seconds after the change log first owes the index an update."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        while not stop.is_set():
            with engine.connect() as connection:
                if connection.scalar(text("SELECT count(*) FROM change_log")):
                    break
            time.sleep(0.02)
        stop.wait(delay)
    finally:
        engine.dispose()
        then.set()


def test_an_upload_that_finds_the_index_busy_waits_so_nothing_stays_owed(app, api):
    """Another worker holds the writer lock past one lock timeout: the upload waits it out."""
    timeout = 1.0
    app.config["INDEX_LOCK_TIMEOUT_SECONDS"] = timeout
    other_worker = SearchIndex(app.config["INDEX_ROOT"])
    holding, release, stop = threading.Event(), threading.Event(), threading.Event()

    def nothing_until_released():  # read while the other worker holds the lock
        holding.set()
        release.wait(30)
        yield from ()

    holder = threading.Thread(target=other_worker.apply, args=(nothing_until_released(),))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    releaser = threading.Thread(target=_when_owed, args=(url, release, 1.5 * timeout, stop))
    holder.start()
    try:
        assert holding.wait(10)
        releaser.start()
        started = time.monotonic()
        response = api.upload(make_pdf(["Pangolin rollout"]), "pangolin.pdf", title="Pangolin")
        waited = time.monotonic() - started
    finally:
        stop.set()
        release.set()
        holder.join(10)
        if releaser.is_alive():
            releaser.join(10)
        other_worker.close()
    assert response.status_code == 201, response.get_json()
    assert waited >= 1.5 * timeout  # it did meet the busy lock
    with app.app_context():
        assert pending_index_updates() == 0
        assert response.get_json()["id"] in search_index().asset_ids()
    assert [r["id"] for r in api.search(q="pangolin")["results"]] == [response.get_json()["id"]]


@pytest.mark.skipif(databases.ON_POSTGRES, reason="SQLite's file lock; PostgreSQL locks rows")
def test_a_database_locked_past_the_busy_timeout_answers_503_and_keeps_nothing(
    tmp_path, template_db
):
    database = databases.database_for_test(template_db[0], tmp_path)
    app = create_app({**app_config(tmp_path, database), "DATABASE_BUSY_TIMEOUT_SECONDS": 0.2})
    with app.app_context():
        search_index().ensure_exists()
    api = Api(app.test_client(), template_db[1])
    api.search(q="warm up")  # notes the token's use now, so the upload's first write is its own
    blocker = sqlite3.connect(make_url(database).database, timeout=5)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another worker mid-write, for too long
        refused = api.upload(make_docx(["Ocelot terms"]), "ocelot.docx", title="Ocelot")
    finally:
        blocker.rollback()
        blocker.close()
    assert refused.status_code == 503, refused.get_json()
    assert refused.get_json()["error"]["code"] == "busy"
    assert refused.headers["Retry-After"].isdigit()
    blobs = [f for f in Path(app.config["UPLOAD_ROOT"]).rglob("*") if f.is_file()]
    assert [f for f in blobs if re.fullmatch(r"[0-9a-f]{64}", f.name)] == []
    again = api.upload(make_docx(["Ocelot terms"]), "ocelot.docx", title="Ocelot")
    assert again.status_code == 201, again.get_json()
    assert [r["id"] for r in api.search(q="ocelot")["results"]] == [again.get_json()["id"]]
    with app.app_context():
        search_index().close()
        db.engine.dispose()
    databases.drop_database(database)
