"""Generated collateral for the search benchmarks: seeded, realistic, loaded through the product.

    .venv/bin/python bench/corpus.py --assets 10000 [--seed 7]   # build (or reuse) one library

Each asset has a title, a short description, a body of a few hundred to 20,000 words drawn from a
Zipfian vocabulary (common English words at the head, sales and business terms through the middle,
a long tail of rarer words), 1-2 of 20 products, 1-3 of 15 industries, 1-2 stages, a content type,
a few tags and a status. The same size and seed always give the same library.

Loading goes through the product's own code, never straight into the index: each body is stored
in the blob store, read by the product's plain-text reader (in this process: the child process
that isolates a stranger's file costs ~150 ms a file and protects nothing here), checked by
`parse_asset_fields` and recorded by `record_new_asset` (asset, version, pages, outbox row, audit
event), then the index is built from the database by `rebuild_index`, what `flask reindex` runs.
A finished library is kept under bench/out/library-<size>-s<seed>-v<N>/ so later runs reuse it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the collateral package, when run as a script
OUT = ROOT / "bench" / "out"
CORPUS_VERSION = 2  # bump when the generator changes, so cached libraries are rebuilt

PRODUCTS = (
    "Harborline CRM", "Quillmetric Analytics", "Tidewell Payments", "Fernway Support Desk",
    "Brightloom Marketing Cloud", "Cobaltpeak Security", "Driftstone Data Platform",
    "Emberfield HR Suite", "Glasswing Commerce", "Ironbark ERP", "Juniper Field Service",
    "Kestrel Procurement", "Lanternway Learning", "Marlowe Contract Manager",
    "Northwind Logistics", "Oakridge Billing", "Pinecrest Identity", "Quarrystone Backup",
    "Ravenmoor Observability", "Saltmarsh Telephony",
)  # fmt: skip
INDUSTRIES = (
    "Healthcare", "Retail", "Financial services", "Manufacturing", "Public sector", "Education",
    "Insurance", "Telecommunications", "Energy", "Logistics", "Hospitality", "Media",
    "Life sciences", "Real estate", "Nonprofit",
)  # fmt: skip
STAGES = ("Prospecting", "Discovery", "Demo", "Proposal", "Negotiation", "Onboarding", "Renewal")
CONTENT_TYPES = (
    "Presentation", "Case study", "Datasheet", "Battlecard", "One-pager", "Whitepaper",
    "Pricing", "Proposal template",
)  # fmt: skip
BUSINESS_TERMS = """
pricing discount renewal contract subscription license tier enterprise quota pipeline forecast
revenue margin churn retention upsell onboarding implementation integration migration security
compliance audit encryption governance dashboard analytics reporting workflow automation
scalability uptime availability latency support escalation ticket customer prospect buyer
stakeholder procurement budget invoice billing payment checkout fraud chargeback reconciliation
inventory fulfilment shipping warehouse supplier vendor partner reseller channel marketplace
competitor battlecard objection differentiation roadmap release feature adoption training
certification consulting services outcome benchmark roi payback savings efficiency productivity
deployment cloud hybrid premises api connector webhook sandbox pilot trial proof evaluation
rfp proposal negotiation signature approval legal privacy gdpr hipaa soc iso accessibility
localization mobile tablet offline sync backup recovery disaster continuity monitoring alerting
incident observability identity sso mfa provisioning permissions role sla warranty maintenance
telemetry segmentation personalization campaign attribution conversion funnel lead nurture
webinar newsletter testimonial reference case study datasheet whitepaper playbook checklist
""".split()
COMMON_WORDS = """
the of and to a in is that for it as with was on be by this are or from at an but not have
we you your our they their will can more all which has one been about into when also than
its may new other these them such what how only most over some time each use any well after
""".split()
TAGS = (
    "q3 launch", "flagship", "competitive", "executive", "technical", "customer story",
    "partner", "regulated", "emea", "apac", "north america", "smb", "mid-market", "enterprise",
    "self-serve", "analyst report", "security review", "pricing update", "webinar", "event",
)  # fmt: skip
_SYLLABLES = (
    "ka ro mi tel van dor sen lu bri qua fen gor hal ist jun kep lor mar nel obi per rus "
    "sol tam ur vex wil yor zan cor dex fra gil hon ima jor kli mun nor opa pla ris sta tor"
).split()


def _tail_words(rng: random.Random, count: int) -> list[str]:
    """Made-up words for the vocabulary's long tail, distinct and 4-12 letters long."""
    seen = set(BUSINESS_TERMS) | set(COMMON_WORDS)
    words = []
    while len(words) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))
        if word not in seen and 4 <= len(word) <= 12:
            seen.add(word)
            words.append(word)
    return words


@dataclass
class Vocabulary:
    """Words ranked commonest first, with cumulative Zipf weights for fast sampling."""

    words: list[str]
    cumulative: list[float]

    @classmethod
    def make(cls, seed: int, size: int = 20_000, exponent: float = 1.0) -> Vocabulary:
        rng = random.Random(f"vocabulary-{seed}")
        tail = _tail_words(rng, size - len(COMMON_WORDS) - len(BUSINESS_TERMS))
        # Business terms are spread through ranks ~60..3000: frequent, but never stop words.
        middle = tail[:3000]
        for term in BUSINESS_TERMS:
            middle.insert(int(rng.paretovariate(0.6) * 40) % len(middle), term)
        words = COMMON_WORDS + middle + tail[3000:]
        weights = [1.0 / (rank**exponent) for rank in range(1, len(words) + 1)]
        return cls(words, list(itertools.accumulate(weights)))

    def sample(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def rank_of(self, word: str) -> int:
        return self.words.index(word)


@dataclass
class GeneratedAsset:
    """One asset's file and metadata, as a marketer would upload it."""

    number: int
    title: str
    description: str
    body: str
    filename: str
    products: list[str]
    industries: list[str]
    stages: list[str]
    content_type: str
    tags: list[str] = field(default_factory=list)
    status: str = "published"

    def fields(self) -> dict:
        """The metadata as the upload form or a manifest row sends it (empty ones left out)."""
        fields = {
            "title": self.title,
            "description": self.description,
            "products": self.products,
            "industries": self.industries,
            "stages": self.stages,
            "content_type": self.content_type,
            "tags": self.tags,
            "status": self.status,
        }
        return {name: value for name, value in fields.items() if value}


def body_length(rng: random.Random) -> int:
    """Words in a body: log-normal, median ~600 (a datasheet), 300 up to 20,000 (a whitepaper)."""
    return max(300, min(20_000, int(rng.lognormvariate(math.log(600), 0.8))))


def _sentence(rng: random.Random, vocab: Vocabulary, words: int, extra: list[str]) -> str:
    chosen = vocab.sample(rng, words)
    for term in extra:
        chosen.insert(rng.randrange(len(chosen) + 1), term)
    return " ".join(chosen).capitalize() + "."


def _body(rng: random.Random, vocab: Vocabulary, length: int, topics: list[str]) -> str:
    paragraphs, sentences, written = [], [], 0
    while written < length:
        size = rng.randint(8, 22)
        # The asset's own topics (its products, industries, key terms) recur, as in real files.
        extra = [rng.choice(topics)] if rng.random() < 0.35 else []
        sentences.append(_sentence(rng, vocab, size, extra))
        written += size + len(extra)
        if len(sentences) >= rng.randint(3, 7):
            paragraphs.append(" ".join(sentences))
            sentences = []
    if sentences:
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs) + "\n"


def generate_assets(count: int, seed: int) -> Iterator[GeneratedAsset]:
    """`count` assets, the same ones for the same seed (the first N of a larger run too)."""
    vocab = Vocabulary.make(seed)
    for number in range(count):
        rng = random.Random(f"asset-{seed}-{number}")
        products = rng.sample(PRODUCTS, rng.choice((1, 1, 1, 2)))
        industries = rng.sample(INDUSTRIES, rng.choice((1, 1, 2, 3)))
        stages = rng.sample(STAGES, rng.choice((1, 1, 2)))
        content_type = rng.choice(CONTENT_TYPES)
        key_terms = rng.sample(BUSINESS_TERMS, 3)
        topics = [*key_terms, *(p.split()[0] for p in products), *industries]
        product = products[0]
        title = rng.choice(
            (
                f"{product} {content_type.lower()}: {key_terms[0]} for {industries[0].lower()}",
                f"{key_terms[0].capitalize()} and {key_terms[1]} with {product}",
                f"How {industries[0].lower()} teams cut {key_terms[0]} costs with {product}",
                f"{product} {key_terms[0]} {key_terms[1]} guide",
            )
        )
        description = _sentence(rng, vocab, rng.randint(10, 25), key_terms[:2])
        status = rng.choices(("published", "draft", "archived"), (92, 5, 3))[0]
        yield GeneratedAsset(
            number=number,
            title=f"{title} ({number + 1})",
            description=description,
            body=_body(rng, vocab, body_length(rng), topics),
            filename=f"{product.split()[0].lower()}-{key_terms[0]}-{number + 1}.txt",
            products=list(products),
            industries=list(industries),
            stages=list(stages),
            content_type=content_type,
            tags=rng.sample(TAGS, rng.choice((0, 1, 1, 2, 3))),
            status=status,
        )


# Queries ----------------------------------------------------------------------------------


def _typo(rng: random.Random, word: str) -> str:
    """One slip of the hand, never on the first letter: a deletion, swap or wrong letter."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("delete", "swap", "replace"))
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    letter = rng.choice([c for c in "aeioulnrst" if c != word[i]])
    return word[:i] + letter + word[i + 1 :]


def make_queries(seed: int, count: int = 300) -> list[dict]:
    """A fixed mix of searches: 1-4 words, some with facet filters, some misspelt, some empty.

    Each is {"kind", "params"}; a misspelt one also has "intended", its words spelt right.
    """
    rng = random.Random(f"queries-{seed}")
    vocab = Vocabulary.make(seed)
    # Words people search for: business terms and the body of the vocabulary, not stop words.
    searchable = BUSINESS_TERMS + vocab.words[len(COMMON_WORDS) : 1500]
    queries = []
    for n in range(count):
        kind = rng.choices(("words", "filtered", "typo", "empty"), (55, 25, 12, 8))[0]
        words = [rng.choice(searchable) for _ in range(rng.choice((1, 1, 2, 2, 3, 4)))]
        if rng.random() < 0.15:
            words.insert(0, rng.choice(PRODUCTS).split()[0])
        params: dict = {"q": " ".join(words)}
        query = {"kind": kind, "params": params}
        if kind == "typo":
            spots = [i for i, w in enumerate(words) if len(w) >= 5]
            if not spots:
                words.append(rng.choice([t for t in BUSINESS_TERMS if len(t) >= 6]))
                spots = [len(words) - 1]
            query["intended"] = {"q": " ".join(words)}
            spot = rng.choice(spots)
            words[spot] = _typo(rng, words[spot])
            params["q"] = " ".join(words)
        if kind == "empty":
            params["q"] = ""
        if kind in ("filtered", "empty") and (kind == "filtered" or rng.random() < 0.6):
            facets = rng.sample(
                ("product", "industry", "stage", "content_type"), rng.choice((1, 2))
            )
            names = {
                "product": PRODUCTS,
                "industry": INDUSTRIES,
                "stage": STAGES,
                "content_type": CONTENT_TYPES,
            }
            for facet in facets:
                params[facet] = rng.sample(names[facet], rng.choice((1, 1, 2)))
        query["id"] = n
        queries.append(query)
    return queries


# Loading ----------------------------------------------------------------------------------


def library_folder(size: int, seed: int) -> Path:
    return OUT / f"library-{size}-s{seed}-v{CORPUS_VERSION}"


def app_config(folder: Path) -> dict:
    """The settings of an app over a library folder (also as COLLATERAL_* for gunicorn)."""
    return {
        "INSTANCE_PATH": str(folder / "instance"),
        "UPLOAD_ROOT": str(folder / "uploads"),
        "INDEX_ROOT": str(folder / "index"),
        "SECRET_KEY": "bench",
    }


def make_app(folder: Path):
    from collateral import create_app

    return create_app(app_config(folder))


def _ensure_terms(kind: str, names: tuple[str, ...]) -> None:
    from collateral.services import taxonomy

    existing = {t.name.lower() for t in taxonomy.list_terms(kind)}
    for name in names:
        if name.lower() not in existing:
            taxonomy.add_term(kind, name)


def prepare_instance(app) -> None:
    """Database, index, taxonomy and the bench users (a rep, a marketer) of a fresh library."""
    from collateral.services import accounts, setup

    with app.app_context():
        setup.init_database()
        _ensure_terms("product", PRODUCTS)
        _ensure_terms("industry", INDUSTRIES)
        for email, role in (("rep@bench.example", "rep"), ("marketer@bench.example", "marketer")):
            if accounts.find_user(email) is None:
                accounts.create_user(email, role, "bench-password-1", role.capitalize())


def _skip_disk_flushes(engine) -> None:
    """SQLite without waiting for the disk at each commit: a throwaway library needs no
    durability, and the fsync per asset would otherwise be most of the loading time."""
    from sqlalchemy import event

    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=OFF"))
        engine.dispose()  # connections opened before now lack the pragma


def record_assets(app, assets: Iterator[GeneratedAsset], on_progress=None) -> int:
    """Record each asset through the upload service's recording half; returns how many."""
    from collateral.extensions import db
    from collateral.extract import extract_file
    from collateral.filetypes import detect_file_type
    from collateral.services import accounts
    from collateral.services.actor import Actor
    from collateral.services.asset_fields import parse_asset_fields
    from collateral.services.assets import record_new_asset
    from collateral.services.resources import blob_store
    from collateral.services.uploads import StoredFile

    count = 0
    with app.app_context():
        _skip_disk_flushes(db.engine)
        marketer = accounts.find_user("marketer@bench.example")
        store = blob_store()
        for asset in assets:
            data = asset.body.encode("utf-8")
            sha256 = store.put_bytes(data)
            with store.local_copy(sha256) as path:
                file_type = detect_file_type(path, asset.filename)
                stored = StoredFile(
                    sha256,
                    len(data),
                    asset.filename,
                    file_type.kind,
                    file_type.mime_type,
                    extract_file(path, file_type.kind),
                    None,  # no thumbnail: search never reads one
                )
            fields = parse_asset_fields(asset.fields(), partial=False)
            record_new_asset(Actor.of(marketer), fields, stored, index_now=False)
            count += 1
            if count % 500 == 0:
                db.session.expunge_all()  # keep memory flat
                if on_progress:
                    on_progress(count)
    return count


def build_index(app) -> int:
    """Build the index from the database, as `flask reindex` does; returns the documents."""
    from collateral.services.indexing import rebuild_index
    from collateral.services.resources import search_index

    with app.app_context():
        count = rebuild_index()
        search_index().close()
    return count


def ensure_library(size: int, seed: int = 7) -> tuple[Path, dict]:
    """The library of `size` generated assets, built now unless bench/out/ already holds it.

    Returns its folder and how it was built (sizes and rates).
    """
    folder = library_folder(size, seed)
    ready = folder / "library.json"
    if ready.exists():
        return folder, json.loads(ready.read_text())
    building = folder.with_name(folder.name + ".partial")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    app = make_app(building)
    prepare_instance(app)
    started = time.perf_counter()

    def progress(done: int) -> None:
        if done % 5000 == 0:
            rate = done / (time.perf_counter() - started)
            print(f"  recorded {done}/{size} assets ({rate:.0f}/s)", file=sys.stderr)

    recorded = record_assets(app, generate_assets(size, seed), progress)
    record_seconds = time.perf_counter() - started
    indexed_at = time.perf_counter()
    indexed = build_index(app)
    index_seconds = time.perf_counter() - indexed_at
    with app.app_context():
        from collateral.extensions import db

        db.engine.dispose()
    info = {
        "assets": recorded,
        "indexed": indexed,
        "seed": seed,
        "record_s": round(record_seconds, 1),
        "index_s": round(index_seconds, 1),
        "assets_per_s": round(recorded / (record_seconds + index_seconds), 1),
        "text_mb": round(sum(p.stat().st_size for p in (building / "uploads").rglob("*")) / 1e6, 1),
    }
    ready_tmp = building / "library.json"
    ready_tmp.write_text(json.dumps(info))
    shutil.rmtree(folder, ignore_errors=True)
    # Paths inside (SQLite file, index) are taken from config, so the folder can be renamed.
    building.rename(folder)
    return folder, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, nargs="+", default=[10_000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for size in args.assets:
        folder, info = ensure_library(size, args.seed)
        print(json.dumps({"bench": "corpus", "folder": str(folder.relative_to(ROOT)), **info}))


if __name__ == "__main__":
    main()
