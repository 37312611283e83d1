"""What supersede alerts and buyer reading cost on a big library: the alerts a new version
writes (inside the upload's transaction), the expiry sweep the jobs run every minute, and the
buyers' reading times the recommendations sum.

    .venv/bin/python bench/alerts.py [--assets 10000] [--events 1000000] [--users 200]
                                     [--shares 5000] [--visits 20000] [--keep DIR]

The library is bench/event_history.py's (assets, users and a year of searches, views and
downloads, bulk-inserted into SQLite), plus links to buyers holding the most used assets,
favourites, collections, and buyers' visits with time per page. Timed, in this process:
- `new_version`: `alerts.notify_new_version` for the 50 most downloaded assets and 50 others,
  each in a transaction rolled back afterwards (so each finds the same users); with how many
  notifications each wrote;
- `expiry_sweep_first`: the first sweeps (batches of `alerts.SWEEP_BATCH`), which tell the
  users of every asset that expired (the generated library's expired assets were never told),
  then `expiry_sweep_idle`: the
  sweep when nothing is due, as it runs every minute;
- `buyer_read_seconds`: summing a quarter of buyers' time per page, as the home page's
  recommendations do at most once a minute per process.

Prints a table, then one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import event_history  # noqa: E402


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary(samples: list[float]) -> dict:
    return {
        "runs": len(samples),
        "p50_ms": round(percentile(samples, 0.50), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "max_ms": round(max(samples), 2),
    }


def add_sharing(args, rng: random.Random) -> dict:
    """Links (each holding 1-5 of the most used assets), favourites, collections and buyers'
    visits with time per page, in bulk."""
    from sqlalchemy import func, insert, select

    from collateral.extensions import db
    from collateral.models import (
        Asset,
        Collection,
        CollectionItem,
        Event,
        Favourite,
        Share,
        ShareAsset,
        SharePageTime,
        ShareVisit,
        User,
        utcnow,
    )

    now = utcnow()
    users = list(db.session.scalars(select(User.id)))
    popular = list(
        db.session.scalars(
            select(Event.asset_id)
            .where(Event.type == "download")
            .group_by(Event.asset_id)
            .order_by(func.count().desc())
            .limit(500)
        )
    )
    shares, items = [], []
    for share_id in range(1, args.shares + 1):
        token = secrets.token_urlsafe(24)
        shares.append(
            {
                "id": share_id,
                "token": token,
                "token_hash": f"{share_id:064x}",
                "title": f"Link {share_id}",
                "recipient": f"buyer{share_id}@example.com",
                "require_email": False,
                "allow_download": True,
                "created_by_id": rng.choice(users),
                "created_at": now - timedelta(days=rng.uniform(0, 120)),
            }
        )
        for position, asset_id in enumerate(rng.sample(popular, rng.randint(1, 5))):
            items.append({"share_id": share_id, "asset_id": asset_id, "position": position})
    db.session.execute(insert(Share), shares)
    db.session.execute(insert(ShareAsset), items)
    favourites = {(rng.choice(users), rng.choice(popular)) for _ in range(args.shares)}
    db.session.execute(
        insert(Favourite), [{"user_id": u, "asset_id": a, "created_at": now} for u, a in favourites]
    )
    collections, kit_items = [], []
    for collection_id in range(1, len(users) * 3 + 1):
        collections.append(
            {
                "id": collection_id,
                "title": f"Kit {collection_id}",
                "description": "",
                "owner_id": rng.choice(users),
                "featured": False,
                "created_at": now,
                "updated_at": now,
            }
        )
        for position, asset_id in enumerate(rng.sample(popular, 8)):
            kit_items.append(
                {"collection_id": collection_id, "asset_id": asset_id, "position": position}
            )
    db.session.execute(insert(Collection), collections)
    db.session.execute(insert(CollectionItem), kit_items)
    visits, pages = [], []
    share_assets: dict[int, list[int]] = {}
    for item in items:
        share_assets.setdefault(item["share_id"], []).append(item["asset_id"])
    for visit_id in range(1, args.visits + 1):
        share_id = rng.randint(1, args.shares)
        visits.append(
            {
                "id": visit_id,
                "share_id": share_id,
                "visitor_key": f"{visit_id:032x}",
                "secret": "s",
                "started_at": now - timedelta(days=rng.uniform(0, 120)),
                "last_seen_at": now,
                "seconds": 0.0,
                "downloads": 0,
                "beacon_count": 0,
            }
        )
        for asset_id in share_assets[share_id]:
            for page in range(1, rng.randint(1, 8) + 1):
                pages.append(
                    {
                        "visit_id": visit_id,
                        "asset_id": asset_id,
                        "page": page,
                        "seconds": rng.uniform(2, 90),
                    }
                )
    db.session.execute(insert(ShareVisit), visits)
    db.session.execute(insert(SharePageTime), pages)
    db.session.commit()
    expired = db.session.scalar(
        select(func.count()).where(Asset.expires_at < now.date(), Asset.status == "published")
    )
    return {
        "shares": len(shares),
        "favourites": len(favourites),
        "collections": len(collections),
        "visits": len(visits),
        "page_times": len(pages),
        "expired_assets": expired,
        "popular": popular,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--shares", type=int, default=5_000)
    parser.add_argument("--visits", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, help="build the library here and leave it")
    args = parser.parse_args()
    rng = random.Random(16)
    with tempfile.TemporaryDirectory() as temp:
        root = args.keep.resolve() if args.keep else Path(temp)
        print(f"generating {args.assets:,} assets and {args.events:,} events")
        generation = event_history.generate(event_history.build_instance(root), args)
        app = event_history.build_instance(root)
        with app.app_context():
            from sqlalchemy import func, select

            from collateral.extensions import db
            from collateral.models import Asset, Notification
            from collateral.services import alerts, recommendations

            extra = add_sharing(args, rng)
            popular = extra.pop("popular")
            others = rng.sample(list(db.session.scalars(select(Asset.id))), 50)
            timings, written = [], []
            for asset_id in popular[:50] + others:
                asset = db.session.get(Asset, asset_id)
                started = time.perf_counter()
                written.append(alerts.notify_new_version(asset, 2, "New prices", None))
                db.session.flush()
                timings.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
            rows = [
                {
                    "bench": "new_version",
                    "assets": args.assets,
                    "events": generation["events"],
                    **summary(timings),
                    "notifications_p50": statistics.median(written),
                    "notifications_max": max(written),
                }
            ]
            started = time.perf_counter()
            told = batch = alerts.notify_expired_assets()
            while batch:
                batch = alerts.notify_expired_assets()
                told += batch
            first = (time.perf_counter() - started) * 1000
            notes = db.session.scalar(select(func.count()).select_from(Notification))
            rows.append(
                {
                    "bench": "expiry_sweep_first",
                    "assets": args.assets,
                    "runs": 1,
                    "p50_ms": round(first, 2),
                    "p95_ms": round(first, 2),
                    "max_ms": round(first, 2),
                    "assets_told": told,
                    "notifications": notes,
                }
            )
            idle = []
            for _ in range(20):
                started = time.perf_counter()
                assert alerts.notify_expired_assets() == 0
                idle.append((time.perf_counter() - started) * 1000)
            rows.append({"bench": "expiry_sweep_idle", "assets": args.assets, **summary(idle)})
            reading = []
            for _ in range(10):
                started = time.perf_counter()
                found = recommendations._read_seconds_now()
                reading.append((time.perf_counter() - started) * 1000)
            rows.append(
                {
                    "bench": "buyer_read_seconds",
                    "assets": args.assets,
                    "page_times": extra["page_times"],
                    "assets_read": len(found),
                    **summary(reading),
                }
            )
            db.engine.dispose()
    print(json.dumps({"library": extra}))
    print(f"{'measure':<24}{'assets':>8}{'runs':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for row in rows:
        print(
            f"{row['bench']:<24}{row['assets']:>8}{row['runs']:>6}{row['p50_ms']:>9}"
            f"{row['p95_ms']:>9}{row['max_ms']:>9}"
        )
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
