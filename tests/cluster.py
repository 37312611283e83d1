"""Two real app nodes for tests/test_cluster.py and bench/cluster.py: gunicorn processes that
share one PostgreSQL database and one S3-compatible bucket and keep their own index folders.

The servers come from scripts/with_postgres.sh and scripts/with_seaweedfs.sh (`make
test-cluster` runs both); without them the cluster tests are left out of a plain run, skipped
when asked for by name, and stop the run under CI (CI=true), never silently skipped there.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import urllib3

from tests.corpus import running_in_ci

PROJECT = Path(__file__).resolve().parent.parent
BIN = PROJECT / ".venv" / "bin"
DATABASE_SERVER = os.environ.get("COLLATERAL_TEST_DATABASE_URL", "")
S3_ENDPOINT = os.environ.get("COLLATERAL_TEST_S3_ENDPOINT_URL", "")
S3_BUCKET = os.environ.get("COLLATERAL_TEST_S3_BUCKET", "collateral-test")
MISSING = (
    "the cluster tests need PostgreSQL and an S3-compatible server: run `make test-cluster` "
    "(scripts/with_postgres.sh and scripts/with_seaweedfs.sh)"
)
PASSWORD = "correct horse battery"


def servers_missing() -> str | None:
    """Why the cluster cannot run here, or None."""
    if not DATABASE_SERVER or not S3_ENDPOINT:
        return MISSING
    return None


def select_cluster_tests(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Cluster tests run only when asked for (`-m cluster`); then, without the servers, they
    are skipped on a person's machine and stop the run under CI."""
    marked = [item for item in items if item.get_closest_marker("cluster")]
    if not marked:
        return
    expression = config.getoption("markexpr") or ""
    if not re.search(r"(?<!not )\bcluster\b", expression):
        config.hook.pytest_deselected(items=marked)
        items[:] = [item for item in items if not item.get_closest_marker("cluster")]
        return
    why = servers_missing()
    if why is None:
        return
    if running_in_ci():
        raise pytest.UsageError(why)
    for item in marked:
        item.add_marker(pytest.mark.skip(reason=why))


def cluster_settings(root: Path, database_url: str, prefix: str) -> dict[str, str]:
    """What every node shares: the database, the bucket, the secret key."""
    return {
        "COLLATERAL_DATABASE_URL": database_url,
        "COLLATERAL_BLOB_URL": f"s3://{S3_BUCKET}/{prefix}",
        "COLLATERAL_S3_ENDPOINT_URL": S3_ENDPOINT,
        "COLLATERAL_SECRET_KEY": "cluster-test-secret",
        "COLLATERAL_SESSION_COOKIE_SECURE": "false",
        # A job lost with its node is found again within seconds, not minutes.
        "COLLATERAL_JOBS_SWEEP_SECONDS": "2",
        "COLLATERAL_RENDER_LEASE_SECONDS": "6",
    }


def prepare(settings: dict[str, str], root: Path) -> dict[str, str]:
    """Create the schema and a marketer and a rep with API tokens; the tokens by role."""
    from collateral import create_app
    from collateral.extensions import db

    config = {key.removeprefix("COLLATERAL_"): value for key, value in settings.items()}
    app = create_app({**config, "INSTANCE_PATH": str(root / "setup"), "INDEX_FOLLOW": False})
    runner = app.test_cli_runner()
    tokens = {}

    def run(*args: str) -> str:
        result = runner.invoke(args=list(args))
        assert result.exit_code == 0, f"flask {args[0]}: {result.output}"
        return result.output

    run("init-db")
    for role in ("marketer", "rep"):
        run("create-user", f"{role}@example.com", "--role", role, "--password", PASSWORD)
        tokens[role] = run("create-token", f"{role}@example.com").strip().splitlines()[-1]
    with app.app_context():
        db.engine.dispose()
    shutil.rmtree(root / "setup", ignore_errors=True)
    return tokens


class Node:
    """One app node: a gunicorn with two workers, its own index, instance and uploads folders
    (uploads/ must stay empty: every file goes to the bucket)."""

    def __init__(self, name: str, root: Path, settings: dict[str, str], tokens: dict) -> None:
        self.name = name
        self.root = root / name
        self.root.mkdir(parents=True, exist_ok=True)
        self.index_root = self.root / "index"
        self.uploads = self.root / "uploads"
        self.env = {
            **os.environ,
            **settings,
            "COLLATERAL_INSTANCE_PATH": str(self.root / "instance"),
            "COLLATERAL_INDEX_ROOT": str(self.index_root),
            "COLLATERAL_UPLOAD_ROOT": str(self.uploads),
            "COLLATERAL_INDEX_NODE_NAME": name,
        }
        self.tokens = tokens
        self.port = 0
        self.server: subprocess.Popen | None = None
        self.log = self.root / "gunicorn.log"
        self.http = urllib3.PoolManager()
        self.ready_statuses: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait_ready: bool = True) -> None:
        with self.log.open("a") as sink:
            self.server = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "--config",
                    str(PROJECT / "gunicorn.conf.py"),
                    "--workers",
                    "2",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--no-control-socket",
                    "wsgi:app",
                ],
                cwd=PROJECT,
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so it can be killed whole
            )
        deadline = time.monotonic() + 60
        if not self.port:
            self.port = self._listening_port(deadline)
        self._wait_answering(deadline)
        if wait_ready:
            self.ready_statuses += self.wait_ready(60)

    def _listening_port(self, deadline: float) -> int:
        while time.monotonic() < deadline:
            found = re.findall(r"Listening at: http://127\.0\.0\.1:(\d+)", self.log.read_text())
            if found:
                return int(found[-1])
            assert self.server.poll() is None, self.log.read_text()[-3000:]
            time.sleep(0.1)
        raise AssertionError(f"node {self.name} did not start: {self.log.read_text()[-3000:]}")

    def _wait_answering(self, deadline: float) -> None:
        """Wait until the node answers /readyz at all (its first request starts its index
        follower); keep the statuses seen from then on in `self.ready_statuses`."""
        while time.monotonic() < deadline:
            try:
                self.ready_statuses = [self.readyz().status]
                return
            except urllib3.exceptions.HTTPError:
                pass
            assert self.server.poll() is None, self.log.read_text()[-3000:]
            time.sleep(0.1)
        raise AssertionError(f"node {self.name} never answered: {self.log.read_text()[-3000:]}")

    def request(self, method: str, path: str, role: str | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return self.http.request(
            method, f"{self.url}{path}", headers=headers, timeout=120, retries=False, **kwargs
        )

    def readyz(self) -> urllib3.BaseHTTPResponse:
        return self.request("GET", "/readyz")

    def wait_ready(self, seconds: float) -> list[int]:
        """Poll /readyz until 200; the statuses seen on the way."""
        seen, deadline = [], time.monotonic() + seconds
        while True:
            status = self.readyz().status
            seen.append(status)
            if status == 200:
                return seen
            assert time.monotonic() < deadline, f"{self.name} not ready: {self.readyz().data}"
            time.sleep(0.05)

    def upload(self, content: bytes, filename: str, title: str) -> dict:
        response = self.request(
            "POST",
            "/api/v1/assets",
            "marketer",
            fields={"file": (filename, content), "title": title},
        )
        assert response.status == 201, response.data[:500]
        return response.json()

    def search(self, word: str, role: str = "rep") -> list[int]:
        response = self.request("GET", "/api/v1/assets", role, fields={"q": word, "per_page": 100})
        assert response.status == 200, response.data[:500]
        return [hit["id"] for hit in response.json()["results"]]

    def wait_found(self, word: str, asset_id: int, seconds: float, present: bool = True) -> float:
        """Seconds until a search for `word` finds (or no longer finds) the asset."""
        started = time.monotonic()
        while (asset_id in self.search(word)) != present:
            waited = time.monotonic() - started
            assert waited < seconds, f"{self.name}: {word!r} {present=} after {waited:.1f} s"
            time.sleep(0.05)
        return time.monotonic() - started

    def get(self, path: str, role: str = "rep") -> urllib3.BaseHTTPResponse:
        return self.request("GET", path, role)

    def post(self, path: str, role: str = "marketer", **kwargs) -> urllib3.BaseHTTPResponse:
        return self.request("POST", path, role, **kwargs)

    def patch(self, path: str, role: str = "marketer", **kwargs) -> urllib3.BaseHTTPResponse:
        return self.request("PATCH", path, role, **kwargs)

    def processes(self) -> set[int]:
        """The gunicorn master and every process below it (workers, LibreOffice)."""
        if self.server is None:
            return set()
        return {self.server.pid} | descendants(self.server.pid)

    def stop(self) -> None:
        """Stop gracefully, as an operator would (SIGTERM), and wait."""
        if self.server is None or self.server.poll() is not None:
            return
        os.killpg(self.server.pid, signal.SIGTERM)
        try:
            self.server.wait(60)
        except subprocess.TimeoutExpired:
            self.kill()
        self.server = None
        self._drop_connections()

    def kill(self) -> None:
        """Kill the node and all its processes at once, as a machine dying would."""
        if self.server is None:
            self.http.clear()
            return
        doomed = self.processes()
        for pid in doomed:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.server.wait(30)
        self.server = None
        self._drop_connections()

    def _drop_connections(self) -> None:
        """Close the kept-alive connections to the server that is gone."""
        self.http.clear()

    def local_files(self) -> list[Path]:
        return [p for p in self.uploads.rglob("*") if p.is_file()] if self.uploads.exists() else []


def descendants(pid: int) -> set[int]:
    """Every process whose chain of parents leads to `pid` (children in other sessions too)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found
