"""Rebuilding the index in several processes: the same index as documents added one by one,
and a failure anywhere leaves the live generation as it was."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from collateral.search_index import IndexDocument, SearchIndex, SearchQuery, bounded_body
from collateral.search_index.schema import WORD
from collateral.services import change_log
from collateral.services.index_rebuild import slices
from collateral.services.indexing import rebuild_index
from collateral.services.resources import search_index
from tests.factories import make_docx, make_pdf, make_pptx

WORDS = (
    "pricing renewal onboarding security compliance encryption dashboard analytics workflow "
    "integration migration churn retention forecast pipeline quota discount invoice billing "
    "audit governance rollout training adoption roadmap benchmark savings latency uptime"
).split()
PRODUCTS = ["Atlas CRM", "Beacon Analytics", "Cobalt Payments"]
INDUSTRIES = ["Retail", "Healthcare", "Financial services"]
QUERIES = [
    {"q": "pricing"},
    {"q": "security compliance"},
    {"q": "onboarding training rollout"},
    {"q": "churn", "product": ["Beacon Analytics"]},
    {"q": "encryptoin"},  # misspelt: "did you mean"
    {"q": "", "industry": ["Retail"]},
    {"q": "invoice billing", "sort": "newest"},
    {"q": "dashboards analytics", "per_page": 5, "page": 2},
]


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def upload_library(api, count: int = 24) -> list[int]:
    """`count` assets in real PDF, DOCX, PPTX and text files, indexed one by one on upload."""
    rng = random.Random(17)
    ids = []
    for n in range(count):
        pages = [sentence(rng, rng.randint(8, 60)) for _ in range(rng.randint(1, 4))]
        kind = n % 4
        if kind == 0:
            content, name = make_pdf(pages), f"f{n}.pdf"
        elif kind == 1:
            content, name = make_docx(pages), f"f{n}.docx"
        elif kind == 2:
            content, name = (
                make_pptx([(f"Slide {i}", page, "") for i, page in enumerate(pages)]),
                (f"f{n}.pptx"),
            )
        else:
            content, name = "\n\n".join(pages).encode(), f"f{n}.txt"
        response = api.upload(
            content,
            name,
            title=f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {n}",
            description=sentence(rng, 6),
            products=rng.sample(PRODUCTS, rng.randint(1, 2)),
            industries=rng.sample(INDUSTRIES, 1),
            tags=rng.sample(["emea", "flagship", "technical"], rng.randint(0, 2)),
        )
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    return ids


def answers(api) -> tuple[list[dict], list[dict[int, float]]]:
    """Every query's whole answer (hits in order, totals, facets, suggestion, highlights), and
    apart, the hits' scores."""
    found, scores = [], []
    for params in QUERIES:
        body = api.search(**params)
        body.pop("search_id", None)
        by_id = {result["id"]: result.pop("score", None) for result in body["results"]}
        scores.append({asset_id: score for asset_id, score in by_id.items() if score is not None})
        found.append(body)
    return found, scores


def live_folder(app) -> Path:
    root = Path(app.config["INDEX_ROOT"])
    return root / (root / "CURRENT").read_text().strip()


def left_in_live_generation(app) -> list[str]:
    """Temporary folders and files in the live generation (writers remove their own)."""
    return [p.name for p in live_folder(app).iterdir() if p.suffix in (".tmp", ".run")]


def live_segments(app) -> int:
    folder = live_folder(app)
    with whoosh_index.open_dir(folder).reader() as reader:
        return len(reader.leaf_readers())


def by_asset(found: list[dict]) -> list[dict]:
    """Each query's answer with its hits keyed by asset, for indexes whose scores differ a
    little, so near-ties may change places."""
    return [{**body, "results": {r["id"]: r for r in body["results"]}} for body in found]


def test_two_processes_index_what_one_by_one_uploads_indexed(app, api):
    upload_library(api)
    with app.app_context():
        fingerprints = search_index().fingerprints()
    one_by_one, one_by_one_scores = answers(api)
    with app.app_context():
        assert rebuild_index(processes=2) == 24
        assert search_index().fingerprints() == fingerprints  # the same fields, asset by asset
        # The log position the rebuild read is recorded in the same commit as the segments.
        assert search_index().applied_position() == change_log.last_position() > 0
    # One per process, not merged, and the commit's own holding the position.
    assert live_segments(app) == 3
    assert left_in_live_generation(app) == []  # no worker's temporary folder or runs
    in_parts = answers(api)
    # Updates on upload leave replaced documents in the live index's statistics, which move
    # scores slightly; what is found, the facets, suggestions and highlights are the same.
    assert by_asset(in_parts[0]) == by_asset(one_by_one)
    assert in_parts[1] == [pytest.approx(scores, rel=0.01) for scores in one_by_one_scores]
    assert [r["title"] for r in in_parts[0][0]["results"]]  # the queries do find things
    assert in_parts[0][4]["suggestion"] == "encryption"
    with app.app_context():
        assert rebuild_index(processes=1) == 24
    assert live_segments(app) == 1
    assert answers(api) == in_parts  # exactly what one process builds: order and scores too


def test_slices_cover_every_id_in_order():
    ids = [3, 4, 9, 10, 11, 20, 21]
    assert slices(ids, 1) == [(None, None)]
    assert slices(ids, 2) == [(None, 9), (10, None)]
    assert slices(ids, 3) == [(None, 4), (9, 10), (11, None)]


# The search index alone: parts that fail in their worker process.


@dataclass(frozen=True)
class GeneratedPart:
    """Documents `first`..`last`; fails after `fail_after` of them (by raising or by dying)."""

    first: int
    last: int
    fail_after: int | None = None
    die: bool = False

    def __call__(self):
        for n in range(self.first, self.last + 1):
            if self.fail_after is not None and n - self.first == self.fail_after:
                if self.die:
                    os._exit(9)  # as if killed: no exception, no clean-up
                raise RuntimeError(f"the database went away at asset {n}")
            yield IndexDocument(
                asset_id=n,
                title=f"Rebuilt okapi {n}",
                description="",
                body="okapi tapir " * 3,
                filename=f"{n}.pdf",
                tags=[],
                products=[1],
                industries=[],
                stages=[],
                content_type=None,
                status="published",
                sort_date=datetime(2024, 1, 1) + timedelta(days=n),
                expires_on=None,
            )


@pytest.fixture
def live_index(tmp_path):
    index = SearchIndex(tmp_path / "index")
    index.rebuild(GeneratedPart(1, 3)())
    yield index
    index.close()


def generation_folders(index: SearchIndex) -> list[str]:
    return sorted(path.name for path in index.root.glob("gen-*"))


@pytest.mark.parametrize(
    "parts, error",
    [
        ([GeneratedPart(10, 40), GeneratedPart(41, 80, fail_after=20)], RuntimeError),
        ([GeneratedPart(10, 40, fail_after=5, die=True), GeneratedPart(41, 80)], Exception),
        ([GeneratedPart(10, 40), GeneratedPart(40, 80)], ValueError),  # asset 40 twice
    ],
    ids=["raises", "dies", "duplicate"],
)
def test_a_failed_rebuild_in_parts_leaves_the_live_index_as_it_was(live_index, parts, error):
    before = generation_folders(live_index)
    current = (live_index.root / "CURRENT").read_text()
    with pytest.raises(error):
        live_index.rebuild_in_parts(parts, timeout=5)
    assert (live_index.root / "CURRENT").read_text() == current
    assert generation_folders(live_index) == before  # the fresh one is gone
    assert live_index.asset_ids() == {1, 2, 3}
    live_index.apply([GeneratedPart(4, 4)()].pop())  # the writer lock was let go
    assert live_index.search(SearchQuery("okapi")).total == 4


def test_a_rebuild_in_parts_replaces_the_live_index(live_index):
    assert live_index.rebuild_in_parts([GeneratedPart(10, 40), GeneratedPart(41, 80)]) == 71
    assert live_index.asset_ids() == set(range(10, 81))
    result = live_index.search(SearchQuery("", sort="newest", per_page=100))
    assert [hit.asset_id for hit in result.hits] == list(range(80, 9, -1))
    assert len(generation_folders(live_index)) == 2  # this one and the previous, still open


def scanned_cut(text: str, max_chars: int, max_words: int) -> str:
    """bounded_body's cut found by scanning every word (its way for every text before the
    shortcut for texts too short to reach a bound)."""
    seen: set[str] = set()
    end = len(text)
    for found in WORD.finditer(text, 0, max_chars + 1):
        if found.end() > max_chars:
            end = found.start()
            break
        seen.add(found.group().lower())
        if len(seen) > max_words:
            end = found.start()
            break
    else:
        if len(text) > max_chars:
            end = max_chars
    return text[:end]


def test_bounded_body_cuts_short_texts_as_a_full_scan_does():
    rng = random.Random(5)
    alphabet = "ab cdé_.1-v2.0ÉZ "
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        max_chars, max_words = rng.randint(0, 45), rng.randint(0, 45)
        assert bounded_body(text, max_chars, max_words) == scanned_cut(text, max_chars, max_words)
