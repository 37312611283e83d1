"""Bulk-import rate of `flask import` over ../shared/corpus, with one and with two processes.

    .venv/bin/python bench/import_rate.py [--folder DIR] [--processes 1 2]

For each process count, builds a fresh throwaway instance (database, blob store, index) in a
temporary folder and imports the whole folder through the service the command calls (plan,
hashing, extraction and thumbnails in child processes, recording, index). Prints files/s, MB/s
and wall time for each, then one JSON line per run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collateral import create_app  # noqa: E402
from collateral.extensions import db  # noqa: E402
from collateral.services import accounts, bulk_import, import_plan, setup  # noqa: E402
from collateral.services.resources import search_index  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


def import_once(folder: Path, processes: int) -> dict:
    """Import `folder` into a fresh instance; the figures of that run."""
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        app = create_app(
            {
                "INSTANCE_PATH": str(root / "instance"),
                "UPLOAD_ROOT": str(root / "uploads"),
                "INDEX_ROOT": str(root / "index"),
                "SECRET_KEY": "bench",
            }
        )
        with app.app_context():
            setup.init_database()
            user = accounts.create_user("admin@example.com", "admin", "bench-admin-pass")
            started = time.perf_counter()
            plan = import_plan.plan_import(folder, None, user)
            report = bulk_import.run_import(plan, user, processes=processes)
            wall = time.perf_counter() - started
            search_index().close()
            db.engine.dispose()
    files = len(plan.files)
    megabytes = sum(f.size for f in plan.files) / 1e6
    return {
        "bench": "import_rate",
        "processes": processes,
        "files": files,
        "megabytes": round(megabytes, 1),
        "imported": len(report.with_status("imported")),
        "skipped": len(report.with_status("skipped")),
        "failed": len(report.with_status("failed")),
        "wall_s": round(wall, 1),
        "files_per_s": round(files / wall, 2),
        "mb_per_s": round(megabytes / wall, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=CORPUS)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    if not args.folder.is_dir():
        sys.exit(f"{args.folder}: no such folder.")
    rows = [import_once(args.folder, n) for n in args.processes]
    print(f"{'processes':>9}{'files':>7}{'MB':>7}{'wall s':>8}{'files/s':>9}{'MB/s':>7}  result")
    for r in rows:
        result = f"{r['imported']} imported, {r['skipped']} skipped, {r['failed']} failed"
        print(
            f"{r['processes']:>9}{r['files']:>7}{r['megabytes']:>7}{r['wall_s']:>8}"
            f"{r['files_per_s']:>9}{r['mb_per_s']:>7}  {result}"
        )
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
