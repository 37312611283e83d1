"""Clients that trickle their request, or send a malformed chunked body, against a real
gunicorn started with the repository's gunicorn.conf.py, and through the README's nginx block.

gunicorn runs with one worker of two threads here, so two trickling clients could hold it all;
the control shows that they do when gunicorn faces them, and the nginx test that they do not
when the README's block stands in front.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import databases
from tests.test_crash import BIN, ROOT, free_port, run_flask, wait_until_serving

SLOW_CLIENTS = 16
SIGN_IN_BOUND_SECONDS = 2.0
MALFORMED_CHUNKED = b"3;x\nabc\r\n0\r\n\r\n"  # a chunk extension ended by a bare LF


@dataclass
class Gunicorn:
    port: int
    log: Path


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-clients")
    env = {
        **os.environ,
        "COLLATERAL_INSTANCE_PATH": str(root / "instance"),
        "COLLATERAL_DATABASE_URL": databases.fresh_database_url(root),
        "COLLATERAL_UPLOAD_ROOT": str(root / "uploads"),
        "COLLATERAL_INDEX_ROOT": str(root / "index"),
        "COLLATERAL_SECRET_KEY": "hostile-clients-secret",
    }
    done = run_flask(env, "init-db")
    assert done.returncode == 0, done.stderr
    port = free_port()
    log = root / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py")]
            + ["--workers", "1", "--threads", "2", "--bind", f"127.0.0.1:{port}"]
            # gunicorn's control socket sits at one path in $HOME: none for this one.
            + ["--no-control-socket", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_serving(port)
            yield Gunicorn(port, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def exchange(port: int, request: bytes, timeout: float = 10) -> bytes:
    """Send a raw request and read the answer until the server closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and _complete(answer):
                    break
        except TimeoutError:
            pass
    return answer


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    return length is not None and len(body) >= int(length.group(1))


def status_of(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer.split()[1])


# ---------------------------------------------------------------------------------------------
# A malformed chunked body


def chunked_post(path: str, body: bytes, headers: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{headers}"
        "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode() + body


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/login", ""),
        ("/api/v1/assets", "Accept: application/json\r\n"),
        ("/api/v1/taxonomy/products", "Authorization: Bearer not-a-token\r\n"),
    ],
)
def test_a_malformed_chunked_body_is_400_with_one_log_line(gunicorn, path, headers):
    logged_before = gunicorn.log.read_text()
    answer = exchange(gunicorn.port, chunked_post(path, MALFORMED_CHUNKED, headers))
    assert status_of(answer) == 400, answer[:300]
    assert b"could not be read" in answer
    time.sleep(0.2)  # the worker's log line
    logged = gunicorn.log.read_text()[len(logged_before) :]
    assert "Traceback" not in logged, logged
    lines = [line for line in logged.splitlines() if "unreadable request body" in line]
    assert len(lines) == 1 and "InvalidChunkExtension" in lines[0], logged


def test_a_well_formed_chunked_body_still_works(gunicorn):
    answer = exchange(gunicorn.port, chunked_post("/login", b"5\r\nemail\r\n0\r\n\r\n"))
    assert status_of(answer) == 400 and b"security token" in answer  # read: no CSRF token


def test_the_test_client_answers_the_same_body_without_a_500(client):
    for path in ("/login", "/api/v1/assets"):
        response = client.post(
            path,
            data=MALFORMED_CHUNKED,
            headers={"Transfer-Encoding": "chunked"},
            content_type="application/x-www-form-urlencoded",
        )
        assert 400 <= response.status_code < 500, (path, response.status_code)


# ---------------------------------------------------------------------------------------------
# Clients that trickle


class Tricklers:
    """Sockets that send a request a few bytes at a time: a head one line a second, or a
    whole head and then a body a byte a second. Stopped (and closed) on exit."""

    def __init__(self, port: int, count: int) -> None:
        self.port = port
        self.count = count
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._trickle, args=(n,)) for n in range(count)]

    def _trickle(self, number: int) -> None:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=30) as connection:
                if number % 2:  # a slow head
                    connection.sendall(b"GET /login HTTP/1.1\r\n")
                    while not self.stop.wait(1):
                        connection.sendall(b"X-Slow: 1\r\n")
                else:  # a slow body
                    connection.sendall(
                        b"POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n"
                        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
                    )
                    while not self.stop.wait(1):
                        connection.sendall(b"a")
        except OSError:
            pass  # the server gave up on us: that is the point

    def __enter__(self) -> Tricklers:
        for thread in self.threads:
            thread.start()
        time.sleep(1.5)  # every trickler connected and sending
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)


def sign_in_page_seconds(port: int, timeout: float) -> float:
    """How long GET /login takes; `timeout` if it does not answer within it."""
    started = time.monotonic()
    answer = exchange(
        port, b"GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", timeout
    )
    if not answer:
        return timeout
    assert status_of(answer) == 200, answer[:200]
    return time.monotonic() - started


def readme_nginx_block() -> str:
    """The nginx block of the README's "Behind nginx" section, as an operator copies it."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Behind nginx", 1)[1]
    return section.split("```nginx\n", 1)[1].split("```", 1)[0]


NGINX_CONF = """
daemon off;
worker_processes 1;
{user}
pid {temp}/nginx.pid;
error_log {temp}/nginx-error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {temp}/client;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        listen 127.0.0.1:{port};
{block}
    }}
}}
"""


@pytest.fixture
def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).is_file()), None
    )
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed; .ci/run installs Debian's nginx-light")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    return found


def nginx_conf(temp: Path, port: int, upstream: int) -> Path:
    block = readme_nginx_block()
    assert "proxy_pass http://127.0.0.1:8000;" in block
    block = block.replace("127.0.0.1:8000", f"127.0.0.1:{upstream}")
    # As root, nginx's workers would drop to a user who cannot read the temporary folder.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = temp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, temp=temp, port=port, block=block))
    return conf


def test_the_readme_nginx_block_is_valid(nginx_binary, tmp_path):
    conf = nginx_conf(tmp_path, free_port(), 8000)
    checked = subprocess.run(
        [nginx_binary, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "e.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    block = readme_nginx_block()
    for directive in ("proxy_request_buffering on", "client_header_timeout", "client_body_timeout"):
        assert directive in block


def test_trickling_clients_hold_gunicorn_facing_them_directly(gunicorn):
    """The control: with no proxy, trickling clients hold both threads, so the sign-in page
    waits; this is what the nginx test below must undo."""
    with Tricklers(gunicorn.port, SLOW_CLIENTS):
        assert sign_in_page_seconds(gunicorn.port, timeout=4) >= 4
    deadline = time.monotonic() + 30  # the tricklers gone, gunicorn answers again
    while sign_in_page_seconds(gunicorn.port, timeout=2) >= 2:
        assert time.monotonic() < deadline, "gunicorn never recovered from the trickling"


def test_behind_the_readme_nginx_block_trickling_clients_hold_nothing(
    gunicorn, nginx_binary, tmp_path
):
    port = free_port()
    conf = nginx_conf(tmp_path, port, gunicorn.port)
    nginx = subprocess.Popen(
        [nginx_binary, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "e.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(port)
        with Tricklers(port, SLOW_CLIENTS):
            times = [sign_in_page_seconds(port, timeout=5) for _ in range(5)]
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
    assert max(times) < SIGN_IN_BOUND_SECONDS, times
