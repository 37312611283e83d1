"""Usage reports over a generated history: by default 1,000,000 events and 10,000 assets.

    .venv/bin/python bench/reports.py [--events 1000000] [--assets 10000] [--users 200]
                                      [--keep DIR]

Builds a throwaway instance in a temporary folder and fills its database in bulk, straight
through SQLAlchemy Core: users, a taxonomy, assets with one version each (no files, no
extraction, no index: reports read only the database), then 400 days of events in time order,
with skewed popularity, a Zipf vocabulary of searches and the search-to-view links the app
records. Then times every report service (parameters parsed as a request's are) for the last
30 days and the last 365 days, each with and without a product filter: median and max wall
time of 5 runs, and median CPU time, which stays the query's own cost when other processes
share the machine. A report slower than --explain-over gets its slowest statement printed
with SQLite's query plan. Last, streams the CSV export of every event through
/api/v1/events.csv: time to the first rows, rate in ten slices, memory. Prints tables and one
JSON line per figure. With --keep DIR the instance is built in DIR and left there; a later
run with the same DIR skips the generation and times again (e.g. after adding an index).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from event_history import PRODUCTS, build_instance, generate  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.event import listen, remove  # noqa: E402

from collateral.extensions import db  # noqa: E402
from collateral.models import Asset, Event, User  # noqa: E402
from collateral.services import accounts  # noqa: E402

RUNS = 5


REPORTS: dict[str, Callable[[Any, Any], Any]] = {
    "overview": lambda r, p: r.overview(p),
    "top_assets": lambda r, p: r.top_assets(p),
    "stale_assets": lambda r, p: r.stale_assets(p),
    "searches": lambda r, p: r.searches(p),
    "content_gaps": lambda r, p: r.searches(replace(p, zero_results=True)),
    "unopened_searches": lambda r, p: r.searches(replace(p, unopened=True)),
    "users_report": lambda r, p: r.users_report(p),
    "user_activity": lambda r, p: r.user_activity(SAMPLE["user"], p),
    "asset_usage": lambda r, p: r.asset_usage(SAMPLE["asset"], p),
}
SAMPLE: dict[str, int] = {}  # the busiest rep and the most downloaded asset


def periods(now: datetime) -> dict[str, dict[str, str]]:
    """The query strings each report is timed with."""
    year = {"since": (now - timedelta(days=365)).isoformat(timespec="seconds")}
    product = {"product": PRODUCTS[0]}
    return {
        "30 days": {},
        "365 days": year,
        "30 d, product": product,
        "365 d, product": {**year, **product},
    }


class StatementLog:
    """The SQL statements run while it is on, with their times, to explain a slow report."""

    def __init__(self) -> None:
        self.statements: list[tuple[float, str, Any]] = []
        self.on = False

    def before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.on:
            took = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
            self.statements.append((took, statement, parameters))


def explain(statement: str, parameters: Any) -> list[str]:
    """SQLite's plan for a statement, one line per step, indented as the tree it prints."""
    connection = db.session.connection().connection.driver_connection
    rows = connection.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
    depth: dict[int, int] = {0: 0}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, 0) + 1
        lines.append("  " * depth[node] + detail)
    return lines


def busiest(app) -> None:
    """Pick the rep with the most events and the most downloaded asset for the one-of reports."""
    with app.app_context():
        SAMPLE["user"] = db.session.scalar(
            select(Event.user_id)
            .join(User, User.id == Event.user_id)
            .where(User.role == "rep")
            .group_by(Event.user_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        SAMPLE["asset"] = db.session.scalar(
            select(Asset.id).order_by(Asset.download_count.desc()).limit(1)
        )


def time_report(run: Callable, args: dict[str, str], log: StatementLog) -> dict[str, float]:
    """RUNS runs of one report, parameters parsed as a request's would be: wall and CPU ms
    (CPU time is the query's own cost even when other processes share the machine)."""
    from werkzeug.datastructures import MultiDict

    from collateral.services import reports

    walls, cpus = [], []
    for _ in range(RUNS):
        log.statements, log.on = [], True
        wall, cpu = time.perf_counter(), time.process_time()
        run(reports, reports.parse_report_params(MultiDict(args)))
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        log.on = False
        db.session.remove()  # each run starts from an empty identity map
    return {
        "median_ms": round(statistics.median(walls), 1),
        "max_ms": round(max(walls), 1),
        "cpu_median_ms": round(statistics.median(cpus), 1),
    }


def time_reports(app, explain_over_ms: float) -> tuple[list[dict], list[dict]]:
    """Every report for every period; the plan of the slowest statement of slow ones."""
    busiest(app)
    log = StatementLog()
    figures, slow = [], []
    with app.app_context():
        listen(db.engine, "before_cursor_execute", log.before)
        listen(db.engine, "after_cursor_execute", log.after)
        for period, args in periods(datetime.now(UTC).replace(tzinfo=None)).items():
            for name, run in REPORTS.items():
                figure = {"report": name, "period": period, **time_report(run, args, log)}
                figures.append(figure)
                print(f"  {name:<18} {period:<15} median {figure['median_ms']:8.1f} ms", flush=True)
                if figure["median_ms"] > explain_over_ms and log.statements:
                    took, sql, parameters = max(log.statements, key=lambda s: s[0])
                    slow.append(
                        {"report": name, "period": period, "statement_ms": round(took * 1000, 1),
                         "sql": sql, "parameters": list(parameters),
                         "plan": explain(sql, parameters)}
                    )  # fmt: skip
                    db.session.remove()
        remove(db.engine, "before_cursor_execute", log.before)
        remove(db.engine, "after_cursor_execute", log.after)
    return figures, slow


def print_reports(figures: list[dict], slow: list[dict]) -> None:
    periods_seen = list(dict.fromkeys(f["period"] for f in figures))
    by = {(f["report"], f["period"]): f for f in figures}
    print(f"{'wall median / max, cpu ms':<20}" + "".join(f"{p:>22}" for p in periods_seen))
    for name in dict.fromkeys(f["report"] for f in figures):
        cells = [by[name, p] for p in periods_seen]
        flag = "  OVER 1 s" if any(c["median_ms"] > 1000 for c in cells) else ""
        numbers = (
            f"{c['median_ms']:7.0f} /{c['max_ms']:6.0f},{c['cpu_median_ms']:6.0f}" for c in cells
        )
        print(f"{name:<20}" + "".join(f"{n:>22}" for n in numbers) + flag)
    for s in slow:
        print(f"\n{s['report']} ({s['period']}): slowest statement {s['statement_ms']} ms")
        print("  " + " ".join(s["sql"].split()))
        print(f"  parameters: {s['parameters']}")
        print("\n".join("  " + line for line in s["plan"]))


def current_rss_mb() -> float:
    """Resident memory now (Linux /proc), so a flat line shows the export does not pile up."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


def time_csv_export(app) -> dict[str, Any]:
    """Stream /api/v1/events.csv (every event) as an auditor would, watching rate and memory."""
    with app.app_context():
        token = accounts.create_api_token(accounts.find_user("admin@example.com"), "bench")
        total = db.session.scalar(select(func.count()).select_from(Event)) or 0
    client = app.test_client()
    rss_before, peak_before = current_rss_mb(), peak_rss_mb()
    step = max(1, total // 10)
    rows, size, first, slices = -1, 0, None, []  # -1: the header line
    started = last = time.perf_counter()
    response = client.get(
        "/api/v1/events.csv", headers={"Authorization": f"Bearer {token}"}, buffered=False
    )
    assert response.status_code == 200, response.status_code
    try:
        for chunk in response.response:
            rows += chunk.count(b"\n")
            size += len(chunk)
            now = time.perf_counter()
            if first is None and rows > 0:
                first = now - started
            while len(slices) < 10 and rows >= step * (len(slices) + 1):
                rate = round(step / (now - last)) if now > last else None  # one chunk, two tenths
                slices.append({"rows_per_s": rate, "rss_mb": round(current_rss_mb(), 1)})
                last = now
    finally:
        response.close()
    seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "megabytes": round(size / 1e6, 1),
        "seconds": round(seconds, 1),
        "first_rows_ms": round((first or 0) * 1000, 1),
        "rows_per_s": round(rows / seconds),
        "mb_per_s": round(size / 1e6 / seconds, 1),
        "rss_mb_before": round(rss_before, 1),
        "rss_mb_after": round(current_rss_mb(), 1),
        "peak_rss_mb_before": round(peak_before, 1),
        "peak_rss_mb_after": round(peak_rss_mb(), 1),
        "slices": slices,
    }


def print_export(figures: dict[str, Any]) -> None:
    f = figures
    print(
        f"CSV export of all events: {f['rows']:,} rows, {f['megabytes']} MB in {f['seconds']} s: "
        f"{f['rows_per_s']:,} rows/s, {f['mb_per_s']} MB/s; first rows after "
        f"{f['first_rows_ms']} ms"
    )
    print(
        f"  resident memory {f['rss_mb_before']} -> {f['rss_mb_after']} MB; peak "
        f"{f['peak_rss_mb_before']} -> {f['peak_rss_mb_after']} MB"
    )
    rates = (f"{s['rows_per_s']:,}" if s["rows_per_s"] else "-" for s in f["slices"])
    print("  rows/s by tenth: " + " ".join(rates))
    print("  resident MB by tenth: " + " ".join(f"{s['rss_mb']}" for s in f["slices"]))


def prepare(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """Generate the history in `root`, or reuse the one a --keep run left there."""
    marker = root / "generated.json"
    if marker.exists():
        figures = json.loads(marker.read_text())
        print(f"reusing the history in {root}: {figures['events']:,} events (sizes given ignored)")
        return figures
    if root.exists() and any(root.iterdir()):
        sys.exit(f"{root}: not empty and not left by this benchmark; name a new folder.")
    print(f"generating {args.events:,} events, {args.assets:,} assets, {args.users} users")
    figures = generate(build_instance(root), args)
    marker.write_text(json.dumps(figures))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="build the instance here and leave it")
    parser.add_argument(
        "--explain-over",
        type=float,
        default=1000,
        metavar="MS",
        help="print the query plan of reports slower than this (default 1000 ms)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        root = args.keep.resolve() if args.keep else Path(temp)
        generation = prepare(args, root)
        app = build_instance(root)
        load = os.getloadavg()[0]
        figures, slow = time_reports(app, args.explain_over)
        export = time_csv_export(app)
        print(
            f"generated {generation['events']:,} events in {generation['seconds']} s "
            f"(users and assets: {generation['setup_seconds']} s)"
        )
        print(f"load average (1 min) before timing: {load:.2f}, after: {os.getloadavg()[0]:.2f}")
        print_reports(figures, slow)
        print_export(export)
        print(json.dumps({"bench": "reports_generation", **generation}))
        for figure in figures:
            print(json.dumps({"bench": "reports", **figure}))
        print(json.dumps({"bench": "reports_csv_export", **export}))


if __name__ == "__main__":
    main()
