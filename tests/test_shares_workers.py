"""Revoking a link works at once on every worker: a real gunicorn with two workers (as
`make run` starts it), whose access log names the worker that answered each request."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests import databases
from tests.factories import make_pdf
from tests.test_concurrency import BIN, ROOT, _listening_port, _prepare, _wait_until_serving


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("share-workers")
    settings = {
        "COLLATERAL_INSTANCE_PATH": str(root / "instance"),
        "COLLATERAL_DATABASE_URL": databases.fresh_database_url(root),
        "COLLATERAL_UPLOAD_ROOT": str(root / "uploads"),
        "COLLATERAL_INDEX_ROOT": str(root / "index"),
        "COLLATERAL_SECRET_KEY": "share-workers-secret",
        "COLLATERAL_SESSION_COOKIE_SECURE": "false",
    }
    tokens = _prepare(settings)
    log, access = root / "gunicorn.log", root / "access.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                "2",
                "--threads",
                "4",
                "--bind",
                "127.0.0.1:0",
                "--no-control-socket",
                "--access-logfile",
                str(access),
                "--access-logformat",
                "%(p)s %(s)s %(U)s",
                "wsgi:app",
            ],
            cwd=ROOT,
            env={**os.environ, **settings},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        url = f"http://127.0.0.1:{_listening_port(log, process, deadline)}"
        _wait_until_serving(url, deadline)
        yield url, tokens, access
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def call(url: str, method: str = "GET", body: bytes | None = None, headers=None) -> int:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code


def api_json(url: str, token: str, method: str, body: dict | bytes, content_type: str) -> dict:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.loads(response.read())


def workers_answering(access, path: str, status: str, after: int) -> set[str]:
    lines = access.read_text().splitlines()[after:]
    return {line.split()[0] for line in lines if line.split()[1:] == [status, path]}


def test_a_revoked_link_is_refused_by_every_worker(server):
    url, tokens, access = server
    fields = MultiDict({"title": "Atlas", "file": FileStorage(stream=_pdf(), filename="atlas.pdf")})
    boundary, body = encode_multipart(fields)
    asset = api_json(
        f"{url}/api/v1/assets",
        tokens["marketer"],
        "POST",
        body,
        f"multipart/form-data; boundary={boundary}",
    )
    share = api_json(
        f"{url}/api/v1/shares", tokens["rep"], "POST", {"assets": [asset["id"]]}, "application/json"
    )
    path = "/s/" + share["url"].rsplit("/s/", 1)[1]

    def hit_until_both_workers(status: int) -> set[str]:
        before = len(access.read_text().splitlines())
        seen: set[str] = set()
        for _ in range(20):  # bounded: each round sends eight requests at once
            with ThreadPoolExecutor(8) as pool:
                statuses = list(pool.map(lambda _: call(url + path), range(8)))
            assert set(statuses) == {status}, statuses
            time.sleep(0.2)  # the access log is written after the response
            seen = workers_answering(access, path, str(status), before)
            if len(seen) >= 2:
                return seen
        return seen

    assert len(hit_until_both_workers(200)) == 2
    revoked = api_json(
        f"{url}/api/v1/shares/{share['id']}/revoke", tokens["rep"], "POST", {}, "application/json"
    )
    assert revoked["revoked_at"]
    assert len(hit_until_both_workers(410)) == 2


def _pdf():
    import io

    return io.BytesIO(make_pdf(["Atlas pricing", "Second page"]))
