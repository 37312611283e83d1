"""The bare search index on generated documents: how long a rebuild takes and how quickly it
then answers two-word queries filtered by product (the search_index package alone, no app).

    .venv/bin/python bench/index_build.py [--docs 2000] [--queries 40] [--seed 3]

Documents have a 5-word title and a 60-word body drawn from 3,000 made-up words with a
Zipf-like frequency, one product, industry and stage, and a content type. Prints a line, then
one JSON line with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from collateral.search_index import IndexDocument, SearchIndex, SearchQuery  # noqa: E402


def documents(count: int, rng: random.Random, vocabulary: list[str]):
    """`count` generated documents, made as the rebuild reads them."""
    weights = [1 / (n + 1) for n in range(len(vocabulary))]

    def words(k: int) -> str:
        return " ".join(rng.choices(vocabulary, weights, k=k))

    for n in range(1, count + 1):
        yield IndexDocument(
            asset_id=n,
            title=words(5),
            body=words(60),
            description="",
            filename=f"asset-{n}.pdf",
            tags=[],
            products=[rng.randint(1, 8)],
            industries=[rng.randint(1, 6)],
            stages=[rng.randint(1, 4)],
            content_type=rng.randint(1, 5),
            status="published",
            sort_date=datetime(2024, 1, 1) + timedelta(days=n),
            expires_on=None,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    vocabulary = [f"w{n}" for n in range(3000)] + ["pricing", "security", "healthcare", "retail"]
    with tempfile.TemporaryDirectory() as folder:
        index = SearchIndex(Path(folder) / "index")
        started = time.perf_counter()
        indexed = index.rebuild(documents(args.docs, rng, vocabulary))
        build_s = time.perf_counter() - started
        timings = []
        for _ in range(args.queries):
            text = " ".join(rng.sample(vocabulary[:200], 2))
            query = SearchQuery(text, filters={"product": [1, 2]})
            started = time.perf_counter()
            index.search(query)
            timings.append((time.perf_counter() - started) * 1000)
        index.close()
    row = {
        "bench": "index_build",
        "docs": indexed,
        "build_s": round(build_s, 2),
        "queries": len(timings),
        "search_p50_ms": round(statistics.median(timings), 1),
        "search_max_ms": round(max(timings), 1),
    }
    print(
        f"{indexed:,} docs x 65 words: build {row['build_s']} s, search with a product filter "
        f"p50 {row['search_p50_ms']} ms (max {row['search_max_ms']} ms over {len(timings)})"
    )
    print(json.dumps(row))


if __name__ == "__main__":
    main()
