"""The benchmark scripts still run (tiny sizes): figures in notes must stay reproducible."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_search_latency_benchmark_runs():
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "search_latency.py"),
            "--assets",
            "3",
            "--rounds",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [row["library"] for row in rows] == ["demo (12 assets)", "demo + 3 generated"]
    assert all(row["p50_ms"] > 0 and row["queries"] == 14 for row in rows)
