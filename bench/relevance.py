"""Ranking quality on the Cranfield collection: the search API against a plain BM25 baseline.

    .venv/bin/python bench/relevance.py [--collection ../shared/ir/cranfield] [--depth 100]
                                        [--docs N] [--queries N]

Imports Cranfield's 1,400 abstracts through the product's bulk import (`flask import` with a
manifest: the title from `.T`, the file holding `.W`; extraction in child processes, recording,
index; or, with `--loader service`, through the recording service and a reindex, as
bench/corpus.py loads), keeps that library under bench/out/ for later runs, then sends the 225
queries to GET /api/v1/assets as a rep (Flask's test client, Bearer token) and scores the top
`depth` results: nDCG@10, MAP and P@10 (ir-measures) against the graded judgments
(`qrels_convA.trec`: gain 5 - grade, the -1 rows dropped). The baseline, computed in the same
run, is rank_bm25's BM25Okapi over the same title and text, lower-cased, stop words dropped,
Porter-stemmed, cut at the same depth. `--docs`/`--queries` take the first N only (for smoke
tests). Prints a table and JSON lines.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402

ROOT = corpus.ROOT
COLLECTION = ROOT.parent / "shared" / "ir" / "cranfield"
LIBRARY_VERSION = 1
MEASURES = ("nDCG@10", "AP", "P@10")


@dataclass
class Document:
    number: str
    title: str
    text: str


def _fields(path: Path) -> list[dict[str, str]]:
    """The records of a Cranfield file: `.I` starts one, `.X` lines name its fields."""
    records: list[dict[str, str]] = []
    field = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        marker = re.match(r"^\.([A-Z])\b ?(.*)$", line)
        if marker and marker.group(1) == "I":
            records.append({"I": marker.group(2).strip()})
            field = None
        elif marker:
            field = marker.group(1)
            records[-1][field] = ""
        elif field is not None:
            records[-1][field] += line + "\n"
    return records


def read_documents(folder: Path) -> list[Document]:
    return [
        Document(r["I"], " ".join(r.get("T", "").split()), r.get("W", "").strip())
        for r in _fields(folder / "cran.all.1400")
    ]


def uploadable(documents: list[Document]) -> list[Document]:
    """The documents with any text: an empty file is refused by the upload, as it should be."""
    return [doc for doc in documents if doc.text or doc.title]


def read_queries(folder: Path) -> list[tuple[str, str]]:
    """(id, text); the id is the query's position, as the judgments number them."""
    records = _fields(folder / "cran.qry")
    return [(str(n), " ".join(r.get("W", "").split())) for n, r in enumerate(records, start=1)]


def read_judgments(folder: Path) -> list[tuple[str, str, int]]:
    rows = []
    for line in (folder / "qrels_convA.trec").read_text().splitlines():
        query_id, _, doc, gain = line.split()
        rows.append((query_id, doc, int(gain)))
    return rows


# The library ---------------------------------------------------------------------------------


def filename_of(doc: Document) -> str:
    return f"cranfield-{int(doc.number):04d}.txt"


def ensure_library(documents: list[Document], loader: str) -> tuple[Path, dict]:
    """A library holding `documents`, loaded by `loader`; reused when already built."""
    folder = corpus.OUT / f"cranfield-{len(documents)}-{loader}-v{LIBRARY_VERSION}"
    ready = folder / "library.json"
    if ready.exists():
        return folder, json.loads(ready.read_text())
    building = folder.with_name(folder.name + ".partial")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    app = corpus.make_app(building)
    corpus.prepare_instance(app)
    if loader == "service":
        return _load_by_service(app, documents, building, folder)
    from collateral.extensions import db
    from collateral.services import bulk_import, import_plan

    with tempfile.TemporaryDirectory() as temp, app.app_context():
        files = Path(temp) / "cranfield"
        files.mkdir()
        manifest = Path(temp) / "manifest.csv"
        with manifest.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["file", "title", "status"])
            for doc in uploadable(documents):
                # A few Cranfield abstracts are empty: the title is then the file's only text.
                (files / filename_of(doc)).write_text(doc.text or doc.title, encoding="utf-8")
                writer.writerow([filename_of(doc), doc.title or filename_of(doc), "published"])
        user = import_plan.importing_user("marketer@bench.example")
        started = time.perf_counter()
        plan = import_plan.plan_import(files, manifest, user)
        report = bulk_import.run_import(plan, user, processes=2)
        seconds = time.perf_counter() - started
        db.engine.dispose()
    info = {
        "loader": "import",
        "imported": len(report.with_status("imported")),
        "failed": len(report.with_status("failed")),
        "skipped": len(report.with_status("skipped")),
        "import_s": round(seconds, 1),
        "files_per_s": round(len(documents) / seconds, 1),
    }
    return _keep(building, folder, info)


def _load_by_service(app, documents: list[Document], building: Path, folder: Path):
    """The generated library's way in (bench/corpus.py): recording service, then reindex."""
    started = time.perf_counter()
    assets = (
        corpus.GeneratedAsset(
            number=n,
            title=doc.title or filename_of(doc),
            description="",
            body=doc.text or doc.title,
            filename=filename_of(doc),
            products=[],
            industries=[],
            stages=[],
            content_type="",
        )
        for n, doc in enumerate(uploadable(documents))
    )
    imported = corpus.record_assets(app, assets)
    corpus.build_index(app)
    seconds = time.perf_counter() - started
    info = {
        "loader": "service",
        "imported": imported,
        "failed": 0,
        "skipped": 0,
        "import_s": round(seconds, 1),
        "files_per_s": round(len(documents) / seconds, 1),
    }
    return _keep(building, folder, info)


def _keep(building: Path, folder: Path, info: dict) -> tuple[Path, dict]:
    """Mark the library complete and move it where later runs find it."""
    (building / "library.json").write_text(json.dumps(info))
    shutil.rmtree(folder, ignore_errors=True)
    building.rename(folder)
    return folder, info


def api_run(folder: Path, queries: list[tuple[str, str]], depth: int) -> tuple[dict, float]:
    """Per query, {doc: score} from the search API's ranking; and the mean ms per query."""
    from collateral.extensions import db
    from collateral.services import accounts

    app = corpus.make_app(folder)
    with app.app_context():
        token = accounts.create_api_token(accounts.find_user("rep@bench.example"), "relevance")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    run: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    for query_id, text in queries:
        response = client.get(
            "/api/v1/assets", query_string={"q": text, "per_page": depth}, headers=headers
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        results = response.get_json()["results"]
        ranked = {}
        for rank, item in enumerate(results):
            match = re.fullmatch(r"cranfield-(\d+)\.txt", item["current_version"]["filename"])
            if match:
                ranked[str(int(match.group(1)))] = float(depth - rank)
        run[query_id] = ranked
    mean_ms = (time.perf_counter() - started) * 1000 / max(1, len(queries))
    with app.app_context():
        db.engine.dispose()
    return run, mean_ms


# The baseline --------------------------------------------------------------------------------


def bm25_run(documents: list[Document], queries: list[tuple[str, str]], depth: int) -> dict:
    """Per query, {doc: score}: rank_bm25's BM25Okapi over title and text, Porter-stemmed."""
    from rank_bm25 import BM25Okapi
    from whoosh.analysis import STOP_WORDS
    from whoosh.lang.porter import stem

    def tokens(text: str) -> list[str]:
        words = re.findall(r"[a-z0-9]+", text.lower())
        return [stem(word) for word in words if word not in STOP_WORDS]

    model = BM25Okapi([tokens(f"{d.title} {d.text}") for d in documents])
    run = {}
    for query_id, text in queries:
        scores = model.get_scores(tokens(text))
        best = sorted(range(len(documents)), key=lambda i: -scores[i])[:depth]
        run[query_id] = {documents[i].number: float(scores[i]) for i in best if scores[i] > 0}
    return run


def evaluate(run: dict, judgments: list[tuple[str, str, int]]) -> dict[str, float]:
    import ir_measures
    from ir_measures import parse_measure

    qrels = [ir_measures.Qrel(q, d, g) for q, d, g in judgments]
    scored = [ir_measures.ScoredDoc(q, d, s) for q, docs in run.items() for d, s in docs.items()]
    measures = [parse_measure(m) for m in MEASURES]
    found = ir_measures.calc_aggregate(measures, qrels, scored)
    return {name: round(found[parse_measure(name)], 4) for name in MEASURES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collection", type=Path, default=COLLECTION)
    parser.add_argument("--depth", type=int, default=100, help="results scored per query")
    parser.add_argument(
        "--out", type=Path, default=corpus.OUT, help="where built libraries are kept for reuse"
    )
    parser.add_argument("--docs", type=int, default=None, help="the first N documents only")
    parser.add_argument("--queries", type=int, default=None, help="the first N queries only")
    parser.add_argument(
        "--loader",
        choices=("import", "service"),
        default="import",
        help="import: the bulk import, as `flask import` runs it (extraction in child "
        "processes); service: the recording service and a reindex, as bench/corpus.py loads",
    )
    args = parser.parse_args()
    corpus.OUT = args.out
    if not (args.collection / "cran.all.1400").is_file():
        sys.exit(f"{args.collection}: no Cranfield collection (cran.all.1400) there.")
    documents = read_documents(args.collection)[: args.docs]
    queries = read_queries(args.collection)[: args.queries]
    kept = {d.number for d in documents}
    asked = {q for q, _ in queries}
    judgments = [j for j in read_judgments(args.collection) if j[1] in kept and j[0] in asked]
    judged = {q for q, _, _ in judgments}
    queries = [q for q in queries if q[0] in judged]  # a query with nothing relevant scores 0

    folder, info = ensure_library(documents, args.loader)
    api, mean_ms = api_run(folder, queries, args.depth)
    rows = [
        {"bench": "relevance", "system": "search API", "queries": len(queries),
         "documents": len(documents), **evaluate(api, judgments), "mean_ms": round(mean_ms, 1)},
        {"bench": "relevance", "system": "BM25 baseline", "queries": len(queries),
         "documents": len(documents), **evaluate(bm25_run(documents, queries, args.depth),
                                                  judgments)},
    ]  # fmt: skip
    rows.append({"bench": "relevance_library", "documents": len(documents), **info})
    print(f"{'system':<16}{'queries':>8}{'nDCG@10':>9}{'MAP':>8}{'P@10':>8}")
    for r in rows[:2]:
        print(f"{r['system']:<16}{r['queries']:>8}{r['nDCG@10']:>9}{r['AP']:>8}{r['P@10']:>8}")
    how = "the bulk import" if info["loader"] == "import" else "the recording service"
    print(f"loaded {info['imported']} documents in {info['import_s']} s "
          f"({info['files_per_s']} files/s) through {how}")  # fmt: skip
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
