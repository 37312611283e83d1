"""Search latency of GET /api/v1/assets over the demo library and over N generated assets.

    .venv/bin/python bench/search_latency.py [--assets 1000] [--rounds 3]

Builds a throwaway instance in a temporary folder, loads the demo content through `flask demo`'s
service, then N generated text assets through the same upload service a marketer uses
(extraction in a child process, outbox, index), and times a fixed set of queries through the
Flask test client with a Bearer token: facets, highlights and "did you mean" included.
Prints a table and one JSON line per library.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collateral import create_app  # noqa: E402
from collateral.services import accounts, demo, setup  # noqa: E402
from collateral.services.assets import create_asset  # noqa: E402
from collateral.services.taxonomy import list_terms  # noqa: E402

QUERIES = [
    "",
    "pricing",
    "pricing tiers for enterprise",
    "HIPAA compliance",
    "how do we integrate with salesforce",
    "case study churn",
    "forcast accuracy",
    "onboarding timeline",
    "security",
    "discount negotiation",
    "roi calculator",
    "competitor objections stackmere",
]
FILTERED = [{"q": "pricing", "product": "Harborline CRM"}, {"q": "", "stage": "Proposal"}]
WORDS = (
    "pricing tier discount annual contract integration salesforce hubspot api security "
    "compliance hipaa soc audit onboarding training timeline roi revenue churn retention "
    "forecast dashboard analytics report pipeline quota renewal upsell competitor battlecard "
    "objection migration support sla uptime encryption workflow automation mobile payments "
    "invoice checkout fraud healthcare retail manufacturing bank insurer public sector"
).split()


def generated_text(rng: random.Random) -> str:
    words = [
        rng.choice(WORDS) if rng.random() < 0.3 else f"w{int(rng.paretovariate(1.1))}"
        for _ in range(rng.randint(200, 1500))
    ]
    return " ".join(words)


def load_generated(app, count: int) -> float:
    rng = random.Random(42)
    with app.app_context():
        marketer = accounts.find_user("marketer@example.com")
        products = [t.name for t in list_terms("product")]
        industries = [t.name for t in list_terms("industry")]
        stages = [t.name for t in list_terms("stage")]
        started = time.perf_counter()
        for n in range(count):
            fields = {
                "title": f"Generated asset {n} {rng.choice(WORDS)} {rng.choice(WORDS)}",
                "products": rng.sample(products, 1),
                "industries": rng.sample(industries, rng.randint(1, 2)),
                "stages": rng.sample(stages, rng.randint(1, 2)),
            }
            text = generated_text(rng).encode()
            create_asset(marketer, io.BytesIO(text), f"generated-{n}.txt", fields)
        return time.perf_counter() - started


def time_queries(client, token: str, rounds: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}"}
    params = [{"q": q} for q in QUERIES] + FILTERED
    for p in params:  # warm the searcher and caches
        client.get("/api/v1/assets", query_string=p, headers=headers)
    samples = []
    for _ in range(rounds):
        for p in params:
            started = time.perf_counter()
            response = client.get("/api/v1/assets", query_string=p, headers=headers)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_data()
    samples.sort()
    return {
        "queries": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 1),
        "max_ms": round(samples[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        app = create_app(
            {
                "INSTANCE_PATH": str(root / "instance"),
                "UPLOAD_ROOT": str(root / "uploads"),
                "SECRET_KEY": "bench",
            }
        )
        with app.app_context():
            setup.init_database()
            demo.load_demo(root / "demo-files")
            token = accounts.create_api_token(accounts.find_user("rep@example.com"), "bench")
        client = app.test_client()
        rows = [("demo (12 assets)", time_queries(client, token, args.rounds))]
        load_seconds = load_generated(app, args.assets)
        rows.append((f"demo + {args.assets} generated", time_queries(client, token, args.rounds)))
        print(
            f"uploaded {args.assets} assets through the upload service in {load_seconds:.1f} s "
            f"({args.assets / load_seconds:.1f}/s)"
        )
        print(f"{'library':<28}{'queries':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
        for name, r in rows:
            print(f"{name:<28}{r['queries']:>8}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['max_ms']:>9}")
        for name, r in rows:
            print(json.dumps({"bench": "search_latency", "library": name, **r}))


if __name__ == "__main__":
    main()
