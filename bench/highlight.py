"""Searches that match big documents, and a sign-in page beside them, under gunicorn.

    .venv/bin/python bench/highlight.py [--assets 1000] [--text-mb 5.6] [--exports 8]
                                        [--export-mb 5] [--requests 40] [--concurrent 16]

Builds (or reuses, from bench/out/) a library of generated ordinary assets (bench/corpus.py)
beside big documents as real libraries hold them: one long text of distinct words and several
CSV exports of distinct rows, all holding one common word. Starts the service under gunicorn as
`make run` does (2 workers, 4 threads) on 127.0.0.1 and, as a rep with a Bearer token, times
searches whose results hold the big documents with their highlights: `--requests` of them at
`per_page=20` and at `per_page=100`, one at a time. Then `--concurrent` clients send such
searches at once (`--rounds-each` each) while another client loads the sign-in page every
50 ms: the sign-in page's p50/p95 while they run. Targets: p95 <= 150 ms at 20, <= 400 ms at
100, sign-in p95 <= 500 ms under 16 concurrent searches.

Prints a table, then one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402
from search import Service, percentile, rep_token, summary  # noqa: E402

sys.path.insert(0, str(corpus.ROOT))
from tests.big_documents import COMMON_WORD, csv_export, distinct_words_text  # noqa: E402

# Each matches every big document (the common word, the exports' e-mail domain), mostly
# beside ordinary assets (the corpus's business words).
QUERIES = (COMMON_WORD, f"{COMMON_WORD} pipeline", "example", f"{COMMON_WORD} handbook pricing")
TARGETS_MS = {20: 150, 100: 400, "sign_in": 500}


def big_assets(args: argparse.Namespace) -> list[corpus.GeneratedAsset]:
    """The long text and the exports, as a marketer would upload them."""

    def asset(number: int, title: str, body: bytes, filename: str) -> corpus.GeneratedAsset:
        return corpus.GeneratedAsset(
            number, title, "", body.decode(), filename, [], [], [], corpus.CONTENT_TYPES[0]
        )

    big = [asset(0, "Word list", distinct_words_text(int(args.text_mb * 1e6), 10**7), "words.txt")]
    for number in range(args.exports):
        export = csv_export(int(args.export_mb * 1e6), start=number * 400_000)
        big.append(asset(number + 1, f"CRM export {number}", export, f"export-{number}.csv"))
    return big


def ensure_library(args: argparse.Namespace) -> tuple[Path, dict]:
    """The library of ordinary and big documents, built now unless --out already holds it."""
    name = f"highlight-{args.assets}-t{args.text_mb}-e{args.exports}x{args.export_mb}"
    folder = corpus.OUT / f"{name}-s{args.seed}-v{corpus.CORPUS_VERSION}"
    ready = folder / "library.json"
    if ready.exists():
        return folder, json.loads(ready.read_text())
    building = folder.with_name(folder.name + ".partial")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    app = corpus.make_app(building)
    corpus.prepare_instance(app)
    started = time.perf_counter()
    recorded = corpus.record_assets(app, corpus.generate_assets(args.assets, args.seed))
    recorded += corpus.record_assets(app, iter(big_assets(args)))
    indexed = corpus.build_index(app)
    with app.app_context():
        from collateral.extensions import db

        db.engine.dispose()
    info = {
        "assets": recorded,
        "indexed": indexed,
        "big": 1 + args.exports,
        "built_s": round(time.perf_counter() - started, 1),
    }
    (building / "library.json").write_text(json.dumps(info))
    shutil.rmtree(folder, ignore_errors=True)
    building.rename(folder)
    return folder, info


class Client:
    """One keep-alive HTTP connection on the service's loopback port."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str) -> tuple[float, int, bytes]:
        """Milliseconds, status and body of one GET (status 0 when the connection failed)."""
        started = time.perf_counter()
        try:
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
            body, status = response.read(), response.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            return (time.perf_counter() - started) * 1000, 0, b""
        return (time.perf_counter() - started) * 1000, status, body

    def search(self, text: str, per_page: int) -> tuple[float, int, bytes]:
        return self.get("/api/v1/assets?" + urlencode({"q": text, "per_page": per_page}))


def timed_searches(port: int, token: str, per_page: int, count: int) -> tuple[list[float], int]:
    """`count` searches one at a time; their milliseconds and how many failed."""
    client, samples, errors = Client(port, token), [], 0
    for number in range(count):
        ms, status, _ = client.search(QUERIES[number % len(QUERIES)], per_page)
        samples.append(ms)
        errors += status != 200
    return samples, errors


def sign_in_under_load(
    port: int, token: str, clients: int, each: int
) -> tuple[list[float], list[float], int]:
    """The sign-in page's latencies while `clients` send `each` big searches at once; also the
    searches' latencies and the failures of both."""
    lock = threading.Lock()
    searches: list[float] = []
    sign_ins: list[float] = []
    errors = [0]
    running = threading.Event()
    running.set()

    def search_client(number: int) -> None:
        client = Client(port, token)
        for round_ in range(each):
            ms, status, _ = client.search(QUERIES[(number + round_) % len(QUERIES)], 20)
            with lock:
                searches.append(ms)
                errors[0] += status != 200

    def sign_in_client() -> None:
        client = Client(port)
        while running.is_set():
            ms, status, _ = client.get("/login")
            with lock:
                sign_ins.append(ms)
                errors[0] += status != 200
            time.sleep(0.05)

    watcher = threading.Thread(target=sign_in_client)
    workers = [threading.Thread(target=search_client, args=(n,)) for n in range(clients)]
    watcher.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    running.clear()
    watcher.join()
    return sign_ins, searches, errors[0]


def bench(args: argparse.Namespace) -> list[dict]:
    folder, info = ensure_library(args)
    rows = [{"bench": "highlight_library", **info}]
    token = rep_token(folder)
    service = Service(folder, args.workers, args.threads)
    try:
        for per_page in (20, 100):  # warm both workers and their searchers
            timed_searches(service.port, token, per_page, 2 * len(QUERIES))
        for per_page in (20, 100):
            samples, errors = timed_searches(service.port, token, per_page, args.requests)
            rows.append(
                {
                    "bench": "highlight_search",
                    "per_page": per_page,
                    **summary(samples),
                    "errors": errors,
                    "target_p95_ms": TARGETS_MS[per_page],
                }
            )
        sign_ins, searches, errors = sign_in_under_load(
            service.port, token, args.concurrent, args.rounds_each
        )
        rows.append(
            {
                "bench": "highlight_sign_in_under_load",
                "concurrent_searches": args.concurrent,
                **summary(sign_ins),
                "errors": errors,
                "searches_p95_ms": round(percentile(searches, 0.95), 1),
                "target_p95_ms": TARGETS_MS["sign_in"],
            }
        )
    finally:
        service.stop()
    return rows


def print_table(rows: list[dict]) -> None:
    print(f"{'measure':<44}{'reqs':>6}{'p50 ms':>9}{'p95 ms':>9}{'target':>8}{'errors':>7}")
    for r in rows:
        if r["bench"] == "highlight_search":
            name = f"big-document search, per_page={r['per_page']}"
        elif r["bench"] == "highlight_sign_in_under_load":
            name = f"sign-in page, {r['concurrent_searches']} searches at once"
        else:
            library = f"{r['assets']} assets ({r['big']} big)"
            print(f"library: {library}, built in {r['built_s']} s")
            continue
        print(
            f"{name:<44}{r['requests']:>6}{r['p50_ms']:>9}{r['p95_ms']:>9}"
            f"{r['target_p95_ms']:>8}{r['errors']:>7}"
        )
    for r in rows:
        if r["bench"] == "highlight_sign_in_under_load":
            print(f"the concurrent searches themselves: p95 {r['searches_p95_ms']} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=1000, help="ordinary generated assets")
    parser.add_argument("--text-mb", type=float, default=5.6, help="the long text's size")
    parser.add_argument("--exports", type=int, default=8, help="CSV exports")
    parser.add_argument("--export-mb", type=float, default=5.0, help="each export's size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=40, help="timed searches per page size")
    parser.add_argument("--concurrent", type=int, default=16, help="searches sent at once")
    parser.add_argument("--rounds-each", type=int, default=4, help="searches per concurrent client")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--out", type=Path, default=corpus.OUT, help="where built libraries are kept for reuse"
    )
    args = parser.parse_args()
    corpus.OUT = args.out
    rows = bench(args)
    print_table(rows)
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
