"""The shares benchmark still runs (a few buyers for a few seconds): no error, no beacon lost."""

from tests.test_bench_smoke import run_bench


def test_the_shares_benchmark_runs():
    output, rows = run_bench("shares.py", "--buyers", "6", "--links", "3", "--seconds", "8")
    timed = {row["request"]: row for row in rows if row["bench"] == "shares"}
    assert set(timed) == {"page", "image", "beacon"}
    assert timed["page"]["count"] == 6 and timed["image"]["count"] > 6
    assert timed["beacon"]["count"] >= 6
    (summary,) = [row for row in rows if row["bench"] == "shares_summary"]
    assert summary["errors"] == 0 and summary["lost_visits"] == 0 and summary["visits"] == 6
    assert summary["seconds_sent"] == summary["seconds_stored"] > 0
    assert "beacon" in output and "p95 ms" in output
