"""The benchmark scripts still run (tiny sizes): figures in notes must stay reproducible."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_bench(script: str, *arguments: str) -> tuple[str, list[dict]]:
    """Run bench/<script> with arguments; its output and the JSON lines it printed."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.stdout, rows


def test_reports_benchmark_runs():
    output, rows = run_bench("reports.py", "--events", "3000", "--assets", "50", "--users", "20")
    timed = [row for row in rows if row["bench"] == "reports"]
    names = {
        "overview",
        "top_assets",
        "stale_assets",
        "searches",
        "content_gaps",
        "unopened_searches",
        "users_report",
        "user_activity",
        "asset_usage",
    }
    assert {row["report"] for row in timed} == names
    assert all(name in output for name in names)
    assert len(timed) == len(names) * 4 and all(row["median_ms"] > 0 for row in timed)
    generation = next(row for row in rows if row["bench"] == "reports_generation")
    assert generation["events"] == 3000
    export = next(row for row in rows if row["bench"] == "reports_csv_export")
    assert export["rows"] >= 3000 and len(export["slices"]) == 10


def test_the_importer_benchmark_runs(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("alpha")
    (folder / "b.txt").write_text("beta")
    output, rows = run_bench("importer.py", "--corpus", str(folder), "--generated", "3")
    runs = [(r["set"], r["processes"], r["imported"], r["files"]) for r in rows]
    assert runs == [
        ("corpus", 1, 2, 2),
        ("corpus", 2, 2, 2),
        ("office ×3", 1, 3, 3),
        ("office ×3", 2, 3, 3),
    ]
    assert all(r["files_per_s"] > 0 and r["children_cpu_s"] > 0 for r in rows)
    assert [r["speed_up"] for r in rows][::2] == [1.0, 1.0]
    assert "speed-up" in output and "office ×3" in output


def test_render_benchmark_runs():
    import shutil

    import pytest

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    _, rows = run_bench("render.py", "--quick", "--slides", "3")
    assert [(row["what"], row["pages"]) for row in rows] == [("deck", 3)]
    assert rows[0]["seconds_all"] >= rows[0]["seconds_libreoffice"] > 0


def test_suggest_and_recommendations_benchmark_runs():
    output, rows = run_bench(
        "suggest.py",
        *("--assets", "60", "--events", "3000", "--users", "20", "--queries", "20"),
        *("--rounds", "1"),
    )
    timed = {row["bench"]: row for row in rows}
    assert set(timed) == {
        "suggest",
        "recommendations",
        "recommendations_after_download",
        "suggest_cold",
    }
    assert timed["suggest"]["assets"] == 60 and timed["suggest"]["requests"] == 20
    assert timed["recommendations"]["events"] == 3000
    assert all(0 < r["p50_ms"] <= r["p95_ms"] <= r["max_ms"] for r in timed.values())
    assert "suggest p95" in output


def test_the_rebuild_benchmark_runs():
    output, rows = run_bench("rebuild.py", "--assets", "40", "--processes", "1", "2")
    assert [(row["processes"], row["docs"]) for row in rows] == [(1, 40), (2, 40)]
    assert all(row["docs_per_s"] > 0 and row["peak_rss_mb"] > 0 for row in rows)
    assert rows[1]["worker_peak_rss_mb"] > 0  # the second rebuild did run workers
    assert "| processes | docs |" in output
