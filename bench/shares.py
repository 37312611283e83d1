"""Buyers on shared links: page loads, page images and time beacons against gunicorn.

    .venv/bin/python bench/shares.py [--buyers 200] [--links 50] [--seconds 120]

Builds a fresh throwaway instance (SQLite in a temporary folder), serves it with gunicorn as
`make run` does (two workers, four threads each, on 127.0.0.1 only), uploads a few generated
PDF decks and makes `--links` links to them. Every page image is fetched once before the clock
starts (the page-image store renders them ahead of time; this benchmark measures serving them).
A few visits to warm both workers up are not measured either. Then `--buyers` simulated
buyers, spread over the links and arriving over the first `--ramp` seconds (default: half the
run, at most 60), each load the buyer's page and every page image of their link, and send a
beacon every 5 s naming the page they are on and the seconds since their last beacon, for
`--seconds` from their arrival (then a last beacon, as a browser sends when the tab closes).

Checks: no request failed; no beacon lost (for every visit, the seconds stored equal the
seconds sent); and the targets: beacon p95 <= 50 ms, page HTML p95 <= 100 ms, page image
p95 <= 30 ms. Prints a table, then one JSON line per figure; exits 1 on an error or a lost
beacon.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import math
import multiprocessing
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from collateral import create_app  # noqa: E402
from collateral.extensions import db  # noqa: E402
from collateral.models import SharePageTime  # noqa: E402
from collateral.services import accounts, setup  # noqa: E402
from tests.factories import make_pdf  # noqa: E402

DECKS = 10
PAGES_PER_DECK = 4
BEACON_EVERY = 5.0
TARGETS_MS = {"beacon": 50.0, "page": 100.0, "image": 30.0}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


class Connection(http.client.HTTPConnection):
    """http.client sends a POST's headers and body in two writes; without TCP_NODELAY (which
    browsers set) the body waits for the server's delayed ACK, some 40 ms on Linux."""

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Client:
    """One keep-alive connection to the server, timing each request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = Connection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        started = time.perf_counter()
        for attempt in range(2):  # a connection the server closed between requests: reopen once
            try:
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.connection.close()
                self.connection = Connection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        elapsed = (time.perf_counter() - started) * 1000
        return response.status, data, response.getheader("Set-Cookie"), elapsed

    def close(self) -> None:
        self.connection.close()


def prepare(root: Path) -> tuple[dict[str, str], str]:
    environment = {
        "COLLATERAL_INSTANCE_PATH": str(root / "instance"),
        "COLLATERAL_UPLOAD_ROOT": str(root / "uploads"),
        "COLLATERAL_INDEX_ROOT": str(root / "index"),
        "COLLATERAL_SECRET_KEY": "bench-shares",
        "COLLATERAL_SESSION_COOKIE_SECURE": "false",
    }
    app = create_app({key.removeprefix("COLLATERAL_"): v for key, v in environment.items()})
    with app.app_context():
        setup.init_database()
        user = accounts.create_user("marketer@example.com", "marketer", "bench-shares-pass")
        token = accounts.create_api_token(user, "bench")
        db.engine.dispose()
    return environment, token


def start_gunicorn(environment: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers",
        "2",
        "--threads",
        "4",
        "--bind",
        f"127.0.0.1:{port}",
        "--no-control-socket",
        "--access-logfile",
        str(log.with_name("access.log")),
        "--access-logformat",
        "%(M)s %(m)s %(U)s",
        "wsgi:app",
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **environment}, stdout=out, stderr=out
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start within 60 s")


def make_links(port: int, token: str, links: int) -> list[dict]:
    """Upload the decks and make the links; each link holds one or two decks."""
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    client = Client(port)
    auth = {"Authorization": f"Bearer {token}"}
    decks = []
    for n in range(DECKS):
        pages = [f"Deck {n} page {p}: " + "benchmark text " * 30 for p in range(PAGES_PER_DECK)]
        upload = FileStorage(stream=io.BytesIO(make_pdf(pages)), filename=f"deck-{n}.pdf")
        fields = MultiDict({"title": f"Bench deck {n}", "file": upload})
        boundary, body = encode_multipart(fields)
        headers = {**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        status, data, _, _ = client.request("POST", "/api/v1/assets", body, headers)
        if status != 201:
            raise SystemExit(f"upload failed: {status} {data[:300]!r}")
        decks.append(json.loads(data)["id"])
    made = []
    for n in range(links):
        assets = [decks[n % DECKS]] + ([decks[(n + 3) % DECKS]] if n % 2 else [])
        body = json.dumps({"assets": assets, "title": f"Bench link {n}"}).encode()
        headers = {**auth, "Content-Type": "application/json"}
        status, data, _, _ = client.request("POST", "/api/v1/shares", body, headers)
        if status != 201:
            raise SystemExit(f"share failed: {status} {data[:300]!r}")
        share = json.loads(data)
        made.append({"path": "/s/" + share["url"].rsplit("/s/", 1)[1], "assets": assets})
    # The background jobs draw every page image once; wait until each deck's are ready.
    deadline = time.monotonic() + 300
    for deck in decks:
        while True:
            status, data, _, _ = client.request("GET", f"/api/v1/assets/{deck}", None, auth)
            preview = json.loads(data)["preview"] if status == 200 else {}
            if preview.get("status") == "ready":
                break
            if preview.get("status") == "failed" or time.monotonic() > deadline:
                raise SystemExit(f"page images of deck {deck} not drawn: {preview}")
            time.sleep(0.2)
    # Every page image once, so the files are in the page cache before the clock starts.
    for link in made[: min(len(made), DECKS)]:
        for asset in link["assets"]:
            for page in range(1, PAGES_PER_DECK + 1):
                status, *_ = client.request("GET", f"{link['path']}/assets/{asset}/pages/{page}")
                if status != 200:
                    raise SystemExit(f"page image failed: {status}")
    client.close()
    return made


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {"page": [], "image": [], "beacon": []}
        self.errors: list[str] = []
        self.sent: dict[int, float] = {}

    def add(self, kind: str, status: int, ms: float, expected: int = 200) -> None:
        with self.lock:
            self.times[kind].append(ms)
            if status != expected:
                self.errors.append(f"{kind}: {status}")


def warm_up(port: int, links: list[dict]) -> None:
    """Not measured: a few visits with a beacon each, at once, so that both workers have
    compiled their templates and opened their database connections before the clock starts."""

    def visit(link: dict) -> None:
        client = Client(port)
        status, html, _, _ = client.request("GET", link["path"])
        text = html.decode()
        body = json.dumps(
            {
                "visit": int(re.search(r'data-visit="(\d+)"', text).group(1)),
                "key": re.search(r'data-key="([^"]+)"', text).group(1),
                "pages": [],
            }
        ).encode()
        client.request("POST", f"{link['path']}/beacon", body, {"Content-Type": "text/plain"})
        client.close()

    for _ in range(2):
        threads = [threading.Thread(target=visit, args=(link,)) for link in links[:8]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)


def buyer(port: int, link: dict, start_in: float, until: float, results: Results) -> None:
    time.sleep(start_in)
    client = Client(port)
    try:
        status, html, cookie, ms = client.request("GET", link["path"])
        results.add("page", status, ms)
        if status != 200:
            return
        text = html.decode()
        visit = int(re.search(r'data-visit="(\d+)"', text).group(1))
        key = re.search(r'data-key="([^"]+)"', text).group(1)
        images = re.findall(r'<img src="([^"]+)"', text)
        headers = {"Cookie": cookie.split(";", 1)[0]} if cookie else {}
        for src in images:
            status, _, _, ms = client.request("GET", src, headers=headers)
            results.add("image", status, ms)
        pages = [(a, p) for a in link["assets"] for p in range(1, PAGES_PER_DECK + 1)]
        last = time.monotonic()
        sent = 0.0
        step = 0
        while True:
            now = time.monotonic()
            wake = min(last + BEACON_EVERY, until)
            if wake > now:
                time.sleep(wake - now)
            now = time.monotonic()
            seconds = round(now - last, 3)
            last = now
            asset, page = pages[step % len(pages)]
            step += 1
            body = json.dumps(
                {
                    "visit": visit,
                    "key": key,
                    "pages": [{"asset": asset, "page": page, "seconds": seconds}],
                }
            ).encode()
            beacon_headers = {**headers, "Content-Type": "text/plain;charset=UTF-8"}
            status, data, _, ms = client.request(
                "POST", f"{link['path']}/beacon", body, beacon_headers
            )
            results.add("beacon", status, ms)
            if status == 200:
                answer = json.loads(data)
                if answer["refused"]:
                    with results.lock:
                        results.errors.append(f"beacon cut: {answer['refused']}")
                sent += seconds
            if now >= until:
                break
        with results.lock:
            results.sent[visit] = sent
    except Exception as exc:  # a failed buyer is an error of the run, reported at the end
        with results.lock:
            results.errors.append(f"buyer: {exc.__class__.__name__}: {exc}")
    finally:
        client.close()


def server_times(access: Path, since_line: int) -> dict[str, list[float]]:
    """Milliseconds the server itself spent on each measured request, from its access log."""
    found: dict[str, list[float]] = {"page": [], "image": [], "beacon": []}
    for line in access.read_text().splitlines()[since_line:]:
        ms, method, path = line.split(" ", 2)
        kind = "beacon" if path.endswith("/beacon") else "image" if "/pages/" in path else "page"
        if method in ("GET", "POST") and path.startswith("/s/"):
            found[kind].append(float(ms))
    return found


def run_buyers(port: int, plans: list, start_at: float, ramp: float, stay: float) -> dict:
    """One client process: its share of the buyers, each in a thread; the figures back.

    Each buyer stays `stay` seconds from their arrival, so they leave spread out as they came:
    had they all left at the end of the run, their last beacons (a browser sends one as the tab
    closes) would arrive in one burst no real audience makes, and measure only its queue.
    """
    time.sleep(max(0.0, start_at - time.time()))
    results = Results()
    began = time.monotonic()
    threads = [
        threading.Thread(
            target=buyer,
            args=(port, link, delay, began + delay + stay, results),
            daemon=True,
        )
        for link, delay in plans
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=ramp + stay + 120)
    return {"times": results.times, "errors": results.errors, "sent": results.sent}


def stored_seconds(environment: dict[str, str]) -> dict[int, float]:
    app = create_app({key.removeprefix("COLLATERAL_"): v for key, v in environment.items()})
    with app.app_context():
        rows = db.session.execute(
            select(SharePageTime.visit_id, func.sum(SharePageTime.seconds)).group_by(
                SharePageTime.visit_id
            )
        )
        found = {visit: float(total) for visit, total in rows}
        db.engine.dispose()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--links", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--clients", type=int, default=4, help="client processes (default 4)")
    parser.add_argument(
        "--ramp",
        type=float,
        default=None,
        help="seconds over which buyers arrive (default: half the run, at most 60)",
    )
    args = parser.parse_args()
    if not (1 <= args.buyers <= 2000 and 1 <= args.links <= 1000 and 1 <= args.seconds <= 3600):
        raise SystemExit("--buyers 1..2000, --links 1..1000, --seconds 1..3600")
    args.clients = max(1, min(args.clients, args.buyers, 16))
    ramp = min(60.0, args.seconds / 2) if args.ramp is None else max(0.0, args.ramp)
    with tempfile.TemporaryDirectory(prefix="bench-shares-") as temp:
        root = Path(temp)
        environment, token = prepare(root)
        port = free_port()
        server = start_gunicorn(environment, port, root / "gunicorn.log")
        try:
            links = make_links(port, token, args.links)
            warm_up(port, links)
            access = root / "access.log"
            time.sleep(0.5)
            measured_from = len(access.read_text().splitlines())
            began = time.monotonic()
            rng = random.Random(15)
            plans = [(links[n % len(links)], rng.uniform(0, ramp)) for n in range(args.buyers)]
            # The buyers run in several client processes, as many browsers would: one process
            # with hundreds of threads would measure its own interpreter lock as much as the
            # server.
            groups = [plans[i :: args.clients] for i in range(args.clients)]
            with multiprocessing.get_context("fork").Pool(args.clients) as pool:
                parts = pool.starmap(
                    run_buyers,
                    [(port, group, time.time() + 1.0, ramp, args.seconds) for group in groups],
                )
            results = Results()
            for part in parts:
                for kind, values in part["times"].items():
                    results.times[kind].extend(values)
                results.errors.extend(part["errors"])
                results.sent.update(part["sent"])
            wall = time.monotonic() - began
        finally:
            server.terminate()
            server.wait(timeout=30)
        on_server = server_times(access, measured_from)
        stored = stored_seconds(environment)
    lost = {
        visit: (sent, stored.get(visit, 0.0))
        for visit, sent in results.sent.items()
        if abs(sent - stored.get(visit, 0.0)) > 1e-6
    }
    print(
        f"{args.buyers} buyers on {args.links} links for {args.seconds:g} s, arriving over the "
        f"first {ramp:g} s ({wall:.1f} s wall)"
    )
    print(
        f"{'request':<8} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'target':>8}"
        f" {'server p50':>11} {'server p95':>11}"
    )
    rows = []
    for kind in ("page", "image", "beacon"):
        values = results.times[kind]
        row = {
            "bench": "shares",
            "request": kind,
            "count": len(values),
            "p50_ms": round(percentile(values, 0.50), 1),
            "p95_ms": round(percentile(values, 0.95), 1),
            "max_ms": round(max(values, default=0.0), 1),
            "target_p95_ms": TARGETS_MS[kind],
            "server_p50_ms": round(percentile(on_server[kind], 0.50), 1),
            "server_p95_ms": round(percentile(on_server[kind], 0.95), 1),
        }
        rows.append(row)
        print(
            f"{kind:<8} {row['count']:>7} {row['p50_ms']:>8} {row['p95_ms']:>8} "
            f"{row['max_ms']:>8} {row['target_p95_ms']:>8} {row['server_p50_ms']:>11}"
            f" {row['server_p95_ms']:>11}"
        )
    seconds_sent = round(sum(results.sent.values()), 3)
    seconds_stored = round(sum(stored.get(v, 0.0) for v in results.sent), 3)
    print(
        f"visits {len(results.sent)}, seconds sent {seconds_sent}, stored {seconds_stored}, "
        f"visits with seconds lost {len(lost)}, errors {len(results.errors)}"
    )
    for error in results.errors[:10]:
        print("  error:", error)
    summary = {
        "bench": "shares_summary",
        "buyers": args.buyers,
        "links": args.links,
        "seconds": args.seconds,
        "ramp_seconds": ramp,
        "visits": len(results.sent),
        "seconds_sent": seconds_sent,
        "seconds_stored": seconds_stored,
        "lost_visits": len(lost),
        "errors": len(results.errors),
    }
    for row in [*rows, summary]:
        print(json.dumps(row))
    slow = [r for r in rows if r["p95_ms"] > r["target_p95_ms"]]
    print("p95 over target: " + ", ".join(r["request"] for r in slow) if slow else "targets met")
    # Errors and lost seconds fail the run; speed is read from the figures (the machine varies).
    return 0 if not results.errors and not lost and len(results.sent) == args.buyers else 1


if __name__ == "__main__":
    sys.exit(main())
