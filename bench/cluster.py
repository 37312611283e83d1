"""Two app nodes: the delay from an upload answered by node A to the file being searchable on
node B (each node keeps its own index and follows the database's change log).

    bash scripts/with_postgres.sh bash scripts/with_seaweedfs.sh \\
        .venv/bin/python bench/cluster.py [--uploads 50]

Starts two gunicorn nodes (two workers each) on the throwaway PostgreSQL database and
SeaweedFS bucket the scripts provide, as `make test-cluster` does; uploads small text files to
A one after another, and after each 201 from A searches B every 20 ms for the file's own word.
The target: searchable on B within about 2 s. Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import databases  # noqa: E402
from tests.cluster import Node, cluster_settings, prepare, servers_missing  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(uploads: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as folder:
        root = Path(folder)
        database_url = databases.fresh_database_url(root)
        settings = cluster_settings(root, database_url, f"bench-{os.getpid()}")
        tokens = prepare(settings, root)
        a, b = Node("a", root, settings, tokens), Node("b", root, settings, tokens)
        try:
            a.start()
            b.start()
            answers, delays = [], []
            for number in range(uploads):
                word = f"benchword{number:04d}x"
                content = f"Plan {number}: the {word} rollout.\n{os.urandom(8).hex()}".encode()
                started = time.monotonic()
                asset = a.upload(content, f"plan-{number}.txt", f"Plan {number}")
                answered = time.monotonic()
                answers.append(answered - started)
                while asset["id"] not in b.search(word):
                    if time.monotonic() - answered > 30:
                        raise SystemExit(f"upload {number} never reached B")
                    time.sleep(0.02)
                delays.append(time.monotonic() - answered)
        finally:
            a.kill()
            b.kill()
            databases.drop_all()
    return {
        "uploads": uploads,
        "upload_answer_p50_ms": round(statistics.median(answers) * 1000, 1),
        "a_to_b_p50_ms": round(statistics.median(delays) * 1000, 1),
        "a_to_b_p95_ms": round(percentile(delays, 0.95) * 1000, 1),
        "a_to_b_max_ms": round(max(delays) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=50)
    args = parser.parse_args()
    why = servers_missing()
    if why:
        raise SystemExit(why)
    result = measure(args.uploads)
    print(f"{'figure':<34}{'value':>10}")
    print(f"{'uploads to A':<34}{result['uploads']:>10}")
    print(f"{'A answers an upload, p50 (ms)':<34}{result['upload_answer_p50_ms']:>10}")
    print(f"{'searchable on B, p50 (ms)':<34}{result['a_to_b_p50_ms']:>10}")
    print(f"{'searchable on B, p95 (ms)':<34}{result['a_to_b_p95_ms']:>10}")
    print(f"{'searchable on B, max (ms)':<34}{result['a_to_b_max_ms']:>10}")
    print(json.dumps({"bench": "cluster", **result}))


if __name__ == "__main__":
    main()
