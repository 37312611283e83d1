"""The alerts benchmark still runs on a small library: every measure printed, alerts written."""

from tests.test_bench_smoke import run_bench


def test_the_alerts_benchmark_runs():
    output, rows = run_bench(
        "alerts.py", "--assets", "120", "--events", "3000", "--shares", "60", "--visits", "80"
    )
    timed = {row["bench"]: row for row in rows if "bench" in row}
    assert set(timed) == {
        "new_version",
        "expiry_sweep_first",
        "expiry_sweep_idle",
        "buyer_read_seconds",
    }
    assert timed["new_version"]["runs"] > 0 and timed["new_version"]["notifications_max"] > 0
    assert timed["buyer_read_seconds"]["assets_read"] > 0
    assert "p95 ms" in output
