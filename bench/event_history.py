"""A generated usage history for the reports benchmark: users, taxonomy, 10,000 assets and a
million events over 400 days, bulk-inserted through SQLAlchemy Core (no files, no index).

Skewed as real libraries are: a few assets get most downloads, a fifth are never downloaded,
queries follow a Zipf vocabulary with some that find nothing, and about half of the views and
downloads that follow a search carry its id.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, update  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from collateral import create_app  # noqa: E402
from collateral.extensions import db  # noqa: E402
from collateral.models import Asset, Event, Term, User, Version, asset_term, event_term  # noqa: E402
from collateral.services import accounts, setup  # noqa: E402
from collateral.services.audit import normalized_query  # noqa: E402

DAYS = 400
BATCH = 20_000
PRODUCTS = tuple(
    "Harborline CRM,Harborline Mobile,Ledgerly Billing,Ledgerly Payments,Beacon Analytics,"
    "Beacon Forecast,Tidewater Support,Tidewater Chat,Keystone Security,Keystone Identity,"
    "Atlas Integrations,Atlas Workflow".split(",")
)
INDUSTRIES = tuple(
    "Healthcare,Retail,Manufacturing,Banking,Insurance,Public sector,Education,Logistics,"
    "Telecom,Energy".split(",")
)
ROLE_SHARES = (("rep", 0.75), ("marketer", 0.12), ("manager", 0.08), ("admin", 0.05))
# How often each role starts a session, relative to a rep.
ROLE_ACTIVITY = {"rep": 1.0, "marketer": 0.6, "manager": 0.4, "admin": 0.2}
# Within a session, after the login: the mix of ~35% search, ~35% view, ~20% download overall.
SEARCH_SHARE, VIEW_SHARE = 0.39, 0.39
UPDATE_SHARE = 0.025  # of each day's events, by marketers and admins
LINK_CHANCE = 0.52  # a view or download after a recent search came from its results
LINK_WINDOW = timedelta(minutes=10)
TOPICS = (
    "pricing discount annual contract integration salesforce hubspot api security compliance "
    "hipaa soc2 audit onboarding training timeline roi revenue churn retention forecast "
    "dashboard analytics pipeline quota renewal upsell competitor battlecard objection "
    "migration support sla uptime encryption workflow automation mobile payments invoice "
    "checkout fraud sso reporting implementation"
).split()
FORMS = ("", "", "", "deck", "case study", "one pager", "datasheet", "template", "video", "faq")
# What people look for and the library does not have: the content gaps.
MISSING = tuple(
    "gdpr dpa,kubernetes,mandarin,fedramp,iso 27001 certificate,carbon report,pricng,"
    "salesfroce,on premise,white label,brazil,sap integration,accessibility vpat,"
    "offline mode,blockchain,reseller program".split(",")
)


class Zipf:
    """Draws items with a chance falling as 1/rank**s: a few items take most of the draws."""

    def __init__(self, items: Sequence, s: float, rng: random.Random) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(1 / r**s for r in range(1, len(self.items) + 1)))
        self.rng = rng

    def draw(self) -> Any:
        return self.items[bisect.bisect(self.cum, self.rng.random() * self.cum[-1])]


def weighted(items: Sequence, weights: Sequence[float], rng: random.Random) -> Zipf:
    """A drawer with arbitrary weights (reusing Zipf's cumulative search)."""
    drawer = Zipf([], 1, rng)
    drawer.items, drawer.cum = list(items), list(itertools.accumulate(weights))
    return drawer


@dataclass
class Library:
    """What the event generator needs to know of the rows inserted before it."""

    users: dict[int, str]  # id -> role
    editors: list[int]  # marketers and admins
    created: list[datetime]  # by asset id (index 0 unused)
    owners: list[int]
    sizes: list[int]
    shas: list[str]
    statuses: list[str]
    products: dict[str, int]  # name -> term id
    industries: dict[str, int]
    stages: dict[str, int]
    window_start: datetime
    oldest: list[int] = field(default_factory=list)  # assets older than the window


def build_instance(root: Path) -> Any:
    return create_app(
        {
            "INSTANCE_PATH": str(root / "instance"),
            "UPLOAD_ROOT": str(root / "uploads"),
            "INDEX_ROOT": str(root / "index"),
            "SECRET_KEY": "bench",
        }
    )


def insert_users(count: int, rng: random.Random) -> dict[int, str]:
    """One admin through the service (the API token's owner), the rest in one bulk insert."""
    accounts.create_user("admin@example.com", "admin", "bench-admin-pass", "Bench Admin")
    shared_hash = generate_password_hash("bench-user-pass", method="scrypt")
    rows = []
    for role, share in ROLE_SHARES:
        for n in range(max(1, round(count * share)) - (role == "admin")):
            rows.append(
                {
                    "email": f"{role}{n + 1:03d}@example.com",
                    "name": f"{role.title()} {n + 1}",
                    "password_hash": shared_hash,
                    "role": role,
                    "active": rng.random() > 0.03,
                    "created_at": datetime(2024, 1, 1),
                }
            )
    db.session.execute(insert(User.__table__), rows)
    db.session.commit()
    return dict(db.session.execute(select(User.id, User.role)).tuples().all())


def insert_taxonomy() -> tuple[dict[str, int], dict[str, int], dict[str, int], list[int]]:
    """A dozen products and ten industries beside the default stages and content types."""
    rows = [{"kind": "product", "name": n, "position": i} for i, n in enumerate(PRODUCTS)]
    rows += [{"kind": "industry", "name": n, "position": i} for i, n in enumerate(INDUSTRIES)]
    db.session.execute(insert(Term.__table__), rows)
    db.session.commit()
    by_kind: dict[str, dict[str, int]] = {}
    for kind, name, term_id in db.session.execute(select(Term.kind, Term.name, Term.id)):
        by_kind.setdefault(kind, {})[name] = term_id
    content_types = list(by_kind["content_type"].values())
    return by_kind["product"], by_kind["industry"], by_kind["stage"], content_types


def insert_assets(count: int, users: dict[int, str], rng: random.Random, now: datetime) -> Library:
    """Assets with one version each and their terms, bulk inserted; 60% older than the log."""
    products, industries, stages, content_types = insert_taxonomy()
    editors = [i for i, role in users.items() if role in ("marketer", "admin")]
    window_start = now - timedelta(days=DAYS)
    library = Library(
        users, editors, [now], [0], [0], [""], [""], products, industries, stages, window_start
    )
    assets, versions, links = [], [], []
    for asset_id in range(1, count + 1):
        old = rng.random() < 0.6
        start, span = (window_start - timedelta(days=730), 730) if old else (window_start, DAYS)
        created = start + timedelta(seconds=rng.uniform(8 * 3600, (span - 1) * 86400))
        status = rng.choices(("published", "draft", "archived"), (0.84, 0.08, 0.08))[0]
        expires = None
        if status == "published" and rng.random() < 0.2:
            expires = now.date() + timedelta(days=rng.randint(-300, 300))
        owner = rng.choice(editors)
        product = rng.sample(list(products), rng.randint(1, 2))
        sha, size = rng.randbytes(32).hex(), int(rng.lognormvariate(13.5, 1.2))
        assets.append(
            {
                "id": asset_id,
                "title": f"{product[0]} {rng.choice(TOPICS)} {rng.choice(FORMS) or 'deck'}",
                "description": f"Generated asset {asset_id} for the reports benchmark.",
                "status": status,
                "owner_id": owner,
                "content_type_id": rng.choice(content_types),
                "tags": rng.sample(TOPICS, rng.randint(0, 3)),
                "expires_at": expires,
                "current_version_number": 1,
                "download_count": 0,
                "created_at": created,
                "updated_at": created,
            }
        )
        versions.append(
            {
                "asset_id": asset_id,
                "number": 1,
                "original_filename": f"asset-{asset_id}.pdf",
                "blob_sha256": sha,
                "size": size,
                "mime_type": "application/pdf",
                "kind": "pdf",
                "page_count": rng.randint(1, 40),
                "has_text": True,
                "extraction_error": None,
                "file_metadata": {},
                "uploaded_by_id": owner,
                "uploaded_at": created,
                "note": "",
                "thumbnail_sha256": None,
            }
        )
        terms = [products[p] for p in product]
        terms += rng.sample(list(industries.values()), rng.randint(0, 2))
        terms += rng.sample(list(stages.values()), rng.randint(1, 2))
        links += [{"asset_id": asset_id, "term_id": t} for t in terms]
        library.created.append(created)
        library.owners.append(owner)
        library.sizes.append(size)
        library.shas.append(sha)
        library.statuses.append(status)
        if old:
            library.oldest.append(asset_id)
    for start in range(0, count, BATCH):
        db.session.execute(insert(Asset.__table__), assets[start : start + BATCH])
        db.session.execute(insert(Version.__table__), versions[start : start + BATCH])
    db.session.execute(insert(asset_term), links)
    db.session.commit()
    return library


def vocabulary(rng: random.Random, size: int = 3000) -> list[tuple[str, int]]:
    """Queries by popularity, each with how many assets it finds; ~4.5% of searches find none."""
    words = TOPICS + [p.lower() for p in PRODUCTS] + [i.lower() for i in INDUSTRIES]
    queries: dict[str, int] = {}
    while len(queries) < size:
        count = 1 if len(queries) < 60 else rng.choice((1, 2, 2, 3))
        query = f"{' '.join(rng.sample(words, count))} {rng.choice(FORMS)}".strip()
        queries.setdefault(query, max(1, int(rng.lognormvariate(3.0, 1.3))))
    ranked = list(queries.items())
    weights = [1 / r for r in range(1, size + 1)]
    missing, share, total = set(), 0.0, sum(weights)
    for rank in rng.sample(range(10, size), size - 10):
        if share >= 0.045:
            break
        missing.add(rank)
        share += weights[rank] / total
    gaps = itertools.chain(
        (f"{m} {f}".strip() for f in FORMS[2:] + ("",) for m in MISSING),
        (f"{m} {n}" for n in range(size) for m in MISSING),
    )
    return [(next(gaps), 0) if r in missing else q for r, q in enumerate(ranked)]


class History:
    """Events of the last DAYS days in time order, as rows for `insert(Event)`, in sessions:
    a login, then searches, views and downloads, some views and downloads led by a search."""

    def __init__(self, library: Library, total: int, first_id: int, rng: random.Random) -> None:
        self.lib, self.total, self.next_id, self.rng = library, total, first_id, rng
        users = list(library.users)
        self.ips = {u: f"10.0.{u // 256}.{u % 256}" for u in users}
        activity = [ROLE_ACTIVITY[library.users[u]] * rng.lognormvariate(0, 1) for u in users]
        self.sessions_by = weighted(users, activity, rng)
        ids = list(range(1, len(library.created)))
        rng.shuffle(ids)
        ids.sort(key=lambda a: library.statuses[a] != "draft")  # drafts are never downloaded
        never = len(ids) // 10
        self.downloads = Zipf(ids[never:], 1.05, rng)
        self.views = Zipf(ids[never:] + ids[:never], 0.9, rng)
        self.queries = Zipf(vocabulary(rng), 1.0, rng)
        self.download_counts = [0] * len(library.created)
        self.updated: dict[int, datetime] = {}
        self.uploads_on: dict[int, list[int]] = {}
        for asset_id in range(1, len(library.created)):
            day = (library.created[asset_id] - library.window_start).days
            if day >= 0:
                self.uploads_on.setdefault(day, []).append(asset_id)
        self.counts: dict[str, int] = dict.fromkeys(("linked", "zero", "filtered"), 0)

    def days(self):
        """Each day's event rows and event_term rows, oldest day first; ids in time order."""
        weights = [
            (0.25 if (self.lib.window_start + timedelta(days=d)).weekday() >= 5 else 1.0)
            * (0.7 + 0.6 * d / DAYS)
            for d in range(DAYS)
        ]
        made, whole = 0, sum(weights)
        for d, reached in enumerate(itertools.accumulate(weights)):
            target = round(self.total * reached / whole) if d < DAYS - 1 else self.total
            rows, terms = self.day(d, max(0, target - made))
            made += len(rows)
            yield rows, terms

    def day(self, index: int, count: int) -> tuple[list[dict], list[dict]]:
        rng, start = self.rng, self.lib.window_start + timedelta(days=index)
        rows: list[dict] = []
        links: list[tuple[dict, dict]] = []
        terms: list[tuple[dict, list[int]]] = []
        for asset_id in self.uploads_on.get(index, []):
            detail = {
                "filename": f"asset-{asset_id}.pdf",
                "size": self.lib.sizes[asset_id],
                "sha256": self.lib.shas[asset_id],
                "searchable_text": True,
                "text_error": None,
            }
            owner = self.lib.owners[asset_id]
            rows.append(self.row(self.lib.created[asset_id], "upload", owner, asset_id, 1, detail))
        for _ in range(int(count * UPDATE_SHARE + rng.random())):
            at = start + timedelta(hours=rng.uniform(7, 20))
            asset_id = self.pick(self.views, at)
            old, new = f"Generated asset {asset_id}.", f"Revised {at:%Y-%m-%d}."
            detail = {"changes": {"description": [old, new]}}
            editor = rng.choice(self.lib.editors)
            rows.append(self.row(at, "update", editor, asset_id, None, detail))
            self.updated[asset_id] = at
        while len(rows) < count:
            self.session(start, count - len(rows), rows, links, terms)
        rows.sort(key=lambda row: row["at"])
        for row in rows:
            row["id"] = self.next_id
            self.next_id += 1
        for row, search in links:
            row["search_event_id"] = search["id"]
        self.counts["linked"] += len(links)
        return rows, [{"event_id": s["id"], "term_id": t} for s, ids in terms for t in ids]

    def session(self, start: datetime, room: int, rows: list, links: list, terms: list) -> None:
        rng, end = self.rng, start + timedelta(days=1)
        user = self.sessions_by.draw()
        at = start + timedelta(hours=min(21.0, max(6.0, rng.gauss(14, 3))))
        if rng.random() < 0.9:
            rows.append(self.row(at, "login", user))
            room -= 1
        recent = None  # the last search that found something
        for _ in range(min(room, 1 + int(rng.expovariate(1 / 12)))):
            at += timedelta(seconds=2 + rng.expovariate(1 / 40))
            if at >= end:
                break
            r = rng.random()
            if r < SEARCH_SHARE:
                row, term_ids = self.search(at, user)
                if term_ids:
                    terms.append((row, term_ids))
                if row["result_count"]:
                    recent = row
            else:
                kind = "view" if r < SEARCH_SHARE + VIEW_SHARE else "download"
                asset_id = self.pick(self.views if kind == "view" else self.downloads, at)
                row = self.row(at, kind, user, asset_id, 1)
                if kind == "download":
                    self.download_counts[asset_id] += 1
                if recent and at - recent["at"] < LINK_WINDOW and rng.random() < LINK_CHANCE:
                    links.append((row, recent))
            rows.append(row)

    def search(self, at: datetime, user: int) -> tuple[dict, list[int]]:
        """A search as `record_search` writes it: detail, normalized query, count, terms."""
        rng = self.rng
        query, found = self.queries.draw()
        filters: dict[str, list[str]] = {}
        term_ids: list[int] = []
        narrowing = 1.0
        if rng.random() < 0.25:
            self.counts["filtered"] += 1
            for facet, terms, chance, share in (
                ("product", self.lib.products, 0.7, 0.25),
                ("industry", self.lib.industries, 0.35, 0.3),
                ("stage", self.lib.stages, 0.3, 0.4),
            ):
                if rng.random() < chance or (facet == "stage" and not filters):
                    name = rng.choice(list(terms))
                    filters[facet] = [name]
                    term_ids.append(terms[name])
                    narrowing *= share
            if rng.random() < 0.3:
                query, found = "", len(self.lib.created) * 8 // 10
        results = int(found * narrowing * rng.uniform(0.7, 1.3))
        self.counts["zero"] += results == 0
        typed = query.capitalize() if rng.random() < 0.15 else query
        sort = rng.choices(("relevance", "newest", "popular"), (0.8, 0.15, 0.05))[0]
        detail = {"query": typed, "filters": filters, "results": results, "sort": sort}
        row = self.row(at, "search", user, None, None, detail)
        row["search_query"], row["result_count"] = normalized_query(typed), results
        return row, term_ids

    def pick(self, drawer: Zipf, at: datetime) -> int:
        """A popular asset that existed at `at` (an old one if the draws keep missing)."""
        for _ in range(6):
            asset_id = drawer.draw()
            if self.lib.created[asset_id] < at:
                return asset_id
        return self.rng.choice(self.lib.oldest) if self.lib.oldest else asset_id

    def row(self, at, kind, user, asset=None, version=None, detail=None) -> dict[str, Any]:
        return {
            "id": 0,
            "at": at,
            "type": kind,
            "user_id": user,
            "asset_id": asset,
            "version_number": version,
            "detail": detail or {},
            "ip": self.ips[user],
            "search_query": None,
            "result_count": None,
            "search_event_id": None,
        }


def insert_history(library: Library, total: int, rng: random.Random) -> dict[str, Any]:
    """Insert `total` events in batches of BATCH, one transaction each; the mix made."""
    first_id = (db.session.scalar(select(func.max(Event.id))) or 0) + 1
    history = History(library, total, first_id, rng)
    started = time.perf_counter()
    made, shown, rows, terms = 0, 0, [], []
    for day_rows, day_terms in itertools.chain(history.days(), [([], [])]):
        rows += day_rows
        terms += day_terms
        if len(rows) >= BATCH or (not day_rows and rows):
            db.session.execute(insert(Event.__table__), rows)
            if terms:
                db.session.execute(insert(event_term), terms)
            db.session.commit()
            made += len(rows)
            rows, terms = [], []
            if made - shown >= total // 10 or made >= total:
                shown = made
                rate = made / (time.perf_counter() - started)
                print(f"  events: {made:>9,} of {total:,}  ({rate:,.0f}/s)", flush=True)
    db.session.execute(
        update(Asset),
        [
            {"id": a, "download_count": n, "updated_at": history.updated.get(a, created)}
            for a, (n, created) in enumerate(
                zip(history.download_counts, library.created, strict=True)
            )
            if a
        ],
    )
    db.session.commit()
    by_type = dict(db.session.execute(select(Event.type, func.count()).group_by(Event.type)).all())
    uses = by_type.get("view", 0) + by_type.get("download", 0)
    searches = by_type.get("search", 0)
    never = sum(1 for n in history.download_counts[1:] if n == 0)
    return {
        "events": made,
        "by_type": by_type,
        "linked_share": round(history.counts["linked"] / max(1, uses), 3),
        "zero_result_share": round(history.counts["zero"] / max(1, searches), 3),
        "filtered_share": round(history.counts["filtered"] / max(1, searches), 3),
        "never_downloaded_share": round(never / max(1, len(library.created) - 1), 3),
        "seconds": round(time.perf_counter() - started, 1),
    }


def generate(app, args: argparse.Namespace) -> dict[str, Any]:
    """Fill a fresh instance's database; the figures of the generation."""
    rng = random.Random(20261123)
    now = datetime.combine(datetime.now(UTC).date(), datetime.min.time())
    with app.app_context():
        setup.init_database()
        started = time.perf_counter()
        users = insert_users(args.users, rng)
        library = insert_assets(args.assets, users, rng, now)
        setup_seconds = time.perf_counter() - started
        print(f"  {len(users)} users, {args.assets:,} assets in {setup_seconds:.1f} s", flush=True)
        figures = insert_history(library, args.events, rng)
        figures["setup_seconds"] = round(setup_seconds, 1)
        db.engine.dispose()
    return figures
