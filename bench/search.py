"""Search latency and throughput of GET /api/v1/assets under gunicorn, against the bare index.

    .venv/bin/python bench/search.py [--assets 10000 50000] [--seed 7] [--queries 300]
                                     [--clients 1 8] [--rounds 3] [--quick]

For each library size: builds (or reuses, from bench/out/) a generated library through the
product's own code (bench/corpus.py), starts the service under gunicorn as `make run` does (2
workers), warms it, and sends a fixed set of queries (1-4 words, some with facet filters, some
misspelt, some empty) as a rep with a Bearer token, asking for the top 10 with facets, highlights
and "did you mean". Timed with 1 client and with 8 concurrent ones: p50, p95, p99, requests per
second, errors. The same queries are also timed against the bare index (the search_index package
alone in this process: the same top 10, facets, suggestion and highlights), which shows what the
application adds (database, audit event, JSON, HTTP). The 1-client pass and the bare index take
turns, `--rounds` passes each, so both meet the machine in the same state, and each query keeps
its median, so that one hiccup of a shared machine does not make a percentile. "Did you mean"
is costed as the p95 of the misspelt queries less the p95 of the same queries spelt right.

Prints a table, then one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402

ROOT = corpus.ROOT
TOP = 10  # results per page, in the API and in the bare index


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `samples` (milliseconds)."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(samples: list[float], seconds: float | None = None) -> dict:
    row = {
        "requests": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 0.95), 1),
        "p99_ms": round(percentile(samples, 0.99), 1),
    }
    if seconds:
        row["rps"] = round(len(samples) / seconds, 1)
    return row


def query_string(params: dict) -> str:
    return urlencode({**params, "per_page": TOP}, doseq=True)


# The service --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    """gunicorn serving one library on a loopback port; stopped on exit."""

    def __init__(self, folder: Path, workers: int, threads: int) -> None:
        self.port = free_port()
        env = {**os.environ, **{f"COLLATERAL_{k}": v for k, v in corpus.app_config(folder).items()}}
        self.log = open(folder / "gunicorn.log", "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                f"--workers={workers}",
                f"--threads={threads}",
                f"--bind=127.0.0.1:{self.port}",
                "--error-logfile=-",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited {self.process.returncode}; see {self.log.name}"
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/openapi.json")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


class Client:
    """One keep-alive HTTP connection sending searches as a rep."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}"}

    def search(self, params: dict) -> tuple[float, int, dict | None]:
        """Milliseconds, status and the JSON body of one search."""
        started = time.perf_counter()
        try:
            self.conn.request("GET", "/api/v1/assets?" + query_string(params), headers=self.headers)
            response = self.conn.getresponse()
            body = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            return (time.perf_counter() - started) * 1000, 0, None
        elapsed = (time.perf_counter() - started) * 1000
        return elapsed, status, json.loads(body) if status == 200 else None


def run_clients(
    port: int, token: str, requests: list[dict], clients: int
) -> tuple[list, int, float]:
    """Send `requests` from `clients` concurrent connections; latencies, errors and wall time."""
    pending = list(reversed(requests))
    lock = threading.Lock()
    latencies: list[tuple[int, float]] = []
    errors = [0]

    def work() -> None:
        client = Client(port, token)
        while True:
            with lock:
                if not pending:
                    return
                query = pending.pop()
            elapsed, status, _ = client.search(query["params"])
            with lock:
                latencies.append((query["id"], elapsed))
                if status != 200:
                    errors[0] += 1

    threads = [threading.Thread(target=work) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0], time.perf_counter() - started


# The bare index ----------------------------------------------------------------------------


class BareIndex:
    """The search_index package alone, in this process, over the library's index: the same
    top 10, facets, suggestion and highlights (over the same page texts, fetched untimed)."""

    def __init__(self, folder: Path, queries: list[dict]) -> None:
        from sqlalchemy import select

        from collateral.extensions import db
        from collateral.models import Asset, Page
        from collateral.search_index import SearchIndex
        from collateral.services.taxonomy import list_terms

        app = corpus.make_app(folder)
        with app.app_context():
            self.term_ids = {(t.kind, t.name): t.id for t in list_terms()}
            self.index = SearchIndex(app.config["INDEX_ROOT"])
            self.pages_of: dict[int, dict[int, list[tuple[str, str]]]] = {}
            for query in queries:  # warm, and fetch the top 10's pages from the database
                result = self.index.search(self.search_query(query["params"]))
                hits = [hit.asset_id for hit in result.hits]
                pages: dict[int, list[tuple[str, str]]] = {}
                for asset in db.session.scalars(select(Asset).where(Asset.id.in_(hits))):
                    version = asset.current_version
                    if version is not None:
                        texts = db.session.scalars(
                            select(Page).where(Page.version_id == version.id).order_by(Page.number)
                        )
                        pages[asset.id] = [(page.where, page.text) for page in texts]
                self.pages_of[query["id"]] = pages
            db.engine.dispose()

    def search_query(self, params: dict):
        from collateral.search_index import SearchQuery
        from collateral.services.search import FACET_PARAMS

        filters = {
            facet: [self.term_ids[(FACET_PARAMS[facet], name)] for name in params[facet]]
            for facet in FACET_PARAMS
            if facet in params
        }
        return SearchQuery(
            text=params["q"], filters=filters, today=date.today(), per_page=TOP, page=1
        )

    def time_pass(self, queries: list[dict]) -> list[tuple[int, float, float]]:
        """One pass: per query id, ms for the search alone and with the top 10's highlights."""
        timings = []
        for query in queries:
            q = self.search_query(query["params"])
            started = time.perf_counter()
            result = self.index.search(q)
            searched = time.perf_counter()
            # As the service does: the search's words and corrections, not a second parse.
            self.index.highlight_many(self.pages_of[query["id"]], q.text, terms=result.query_terms)
            done = time.perf_counter()
            timings.append((query["id"], (searched - started) * 1000, (done - started) * 1000))
        return timings

    def close(self) -> None:
        self.index.close()


# One library --------------------------------------------------------------------------------


def rep_token(folder: Path) -> str:
    from collateral.extensions import db
    from collateral.services import accounts

    app = corpus.make_app(folder)
    with app.app_context():
        token = accounts.create_api_token(accounts.find_user("rep@bench.example"), "bench")
        db.engine.dispose()
    return token


def api_row(
    size: int,
    clients: int,
    latencies: list[tuple[int, float]],
    kinds: dict[int, str],
    errors: int,
    seconds: float | None,
) -> dict:
    """The figures of one API pass; requests per second from the wall time, or for a single
    client from the latencies themselves (the rounds' median of each query)."""
    by_kind: dict[str, list[float]] = {}
    for query_id, ms in latencies:
        by_kind.setdefault(kinds[query_id], []).append(ms)
    main = [ms for query_id, ms in latencies if kinds[query_id] != "intended"]
    row = {
        "bench": "search_api",
        "assets": size,
        "clients": clients,
        **summary(main, seconds or sum(main) / 1000),
        "errors": errors,
        "by_kind_p95_ms": {k: round(percentile(v, 0.95), 1) for k, v in by_kind.items()},
    }
    if "typo" in by_kind and "intended" in by_kind:
        row["did_you_mean_p95_added_ms"] = round(
            percentile(by_kind["typo"], 0.95) - percentile(by_kind["intended"], 0.95), 1
        )
    return row


def bench_library(size: int, args: argparse.Namespace, queries: list[dict]) -> list[dict]:
    built_at = time.perf_counter()
    folder, info = corpus.ensure_library(size, args.seed)
    rows = [
        {"bench": "search_library", **info, "ready_s": round(time.perf_counter() - built_at, 1)}
    ]
    # Each misspelt query is also sent spelt right, to cost "did you mean".
    intended = [
        {"id": 100_000 + q["id"], "kind": "intended", "params": q["intended"]}
        for q in queries
        if "intended" in q
    ]
    timed = queries + intended
    kinds = {q["id"]: q["kind"] for q in timed}
    token = rep_token(folder)
    service = Service(folder, args.workers, args.threads)
    bare = BareIndex(folder, timed)
    try:
        run_clients(service.port, token, timed + timed, 2)  # warm both workers
        # One client and the bare index take turns, a pass each per round, so both meet the
        # machine in the same state; each query keeps its median over the rounds.
        api_ms: dict[int, list[float]] = {}
        bare_ms: dict[int, list[tuple[float, float]]] = {}
        errors = 0
        for _ in range(args.rounds):
            latencies, failed, _ = run_clients(service.port, token, timed, 1)
            errors += failed
            for query_id, ms in latencies:
                api_ms.setdefault(query_id, []).append(ms)
            for query_id, search_ms, total_ms in bare.time_pass(timed):
                bare_ms.setdefault(query_id, []).append((search_ms, total_ms))
        single = [(query_id, statistics.median(ms)) for query_id, ms in api_ms.items()]
        rows.append(api_row(size, 1, single, kinds, errors, None))
        for clients in (c for c in args.clients if c > 1):
            sent = queries * args.concurrent_rounds
            latencies, failed, seconds = run_clients(service.port, token, sent, clients)
            rows.append(api_row(size, clients, latencies, kinds, failed, seconds))
    finally:
        service.stop()
        bare.close()
    for part, name in ((0, "search_only"), (1, "with_highlights")):
        medians = {q: statistics.median(t[part] for t in ts) for q, ts in bare_ms.items()}
        main = [ms for query_id, ms in medians.items() if kinds[query_id] != "intended"]
        typo = [ms for query_id, ms in medians.items() if kinds[query_id] == "typo"]
        right = [ms for query_id, ms in medians.items() if kinds[query_id] == "intended"]
        row = {"bench": "search_bare_index", "assets": size, "work": name, **summary(main)}
        if typo and right:
            added = percentile(typo, 0.95) - percentile(right, 0.95)
            row["did_you_mean_p95_added_ms"] = round(added, 1)
        rows.append(row)
    api = next(r for r in rows if r["bench"] == "search_api" and r["clients"] == 1)
    bare_p95 = rows[-1]["p95_ms"]  # with highlights, as the API answers
    rows.append(
        {
            "bench": "search_overhead",
            "assets": size,
            "api_p95_ms": api["p95_ms"],
            "bare_index_p95_ms": bare_p95,
            "ratio": round(api["p95_ms"] / bare_p95, 2) if bare_p95 else None,
        }
    )
    return rows


def print_table(rows: list[dict]) -> None:
    print(f"{'measure':<34}{'assets':>8}{'reqs':>6}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
          f"{'rps':>7}{'errors':>7}")  # fmt: skip
    for r in rows:
        if r["bench"] == "search_api":
            name = f"API, {r['clients']} client{'s' if r['clients'] > 1 else ''}"
        elif r["bench"] == "search_bare_index":
            name = f"bare index, {r['work'].replace('_', ' ')}"
        else:
            continue
        print(
            f"{name:<34}{r['assets']:>8}{r['requests']:>6}{r['p50_ms']:>8}{r['p95_ms']:>8}"
            f"{r['p99_ms']:>8}{r.get('rps', ''):>7}{r.get('errors', ''):>7}"
        )
    for r in rows:
        if r["bench"] == "search_overhead":
            print(f"{r['assets']} assets: API p95 / bare index p95 = {r['ratio']}")
        if "did_you_mean_p95_added_ms" in r and r.get("clients", 1) == 1:
            where = "API" if r["bench"] == "search_api" else f"bare index ({r['work']})"
            added = r["did_you_mean_p95_added_ms"]
            print(f"{r['assets']} assets, {where}: did you mean adds {added} ms at p95")
        if r["bench"] == "search_library":
            built = f"recorded in {r['record_s']} s, indexed in {r['index_s']} s"
            ready = f"({r['assets_per_s']}/s); ready in {r['ready_s']} s this run"
            print(f"library of {r['assets']}: {built} {ready}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, nargs="+", default=[10_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--concurrent-rounds", type=int, default=2,
                        help="times the query set is sent by the concurrent clients")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3,
                        help="1-client and bare-index passes (median per query)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="1,000 assets and 100 queries")
    parser.add_argument(
        "--out", type=Path, default=corpus.OUT, help="where built libraries are kept for reuse"
    )
    args = parser.parse_args()
    corpus.OUT = args.out
    if args.quick:
        args.assets, args.queries = [1000], 100
    queries = corpus.make_queries(args.seed, args.queries)
    rows = []
    for size in args.assets:
        rows += bench_library(size, args, queries)
    print_table(rows)
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
