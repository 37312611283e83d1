"""The search benchmarks still run (tiny sizes): their figures in notes must stay reproducible."""

from pathlib import Path

from tests.corpus import needs_cranfield
from tests.test_bench_smoke import run_bench

# Eight abstracts and five queries in Cranfield's formats, so these tests run in any clone.
TINY_CRANFIELD = Path(__file__).resolve().parent / "data" / "cranfield"


def test_search_benchmark_times_the_api_and_the_bare_index(tmp_path):
    output, rows = run_bench(
        "search.py",
        *("--assets", "30", "--queries", "12", "--clients", "1", "3"),
        *("--concurrent-rounds", "1", "--workers", "1", "--threads", "2"),
        *("--out", str(tmp_path)),
    )
    library = next(r for r in rows if r["bench"] == "search_library")
    assert library["assets"] == library["indexed"] == 30
    api = {r["clients"]: r for r in rows if r["bench"] == "search_api"}
    assert set(api) == {1, 3}
    assert api[1]["requests"] == api[3]["requests"] == 12
    assert all(
        r["errors"] == 0 and 0 < r["p50_ms"] <= r["p95_ms"] <= r["p99_ms"] for r in api.values()
    )
    bare = {r["work"]: r for r in rows if r["bench"] == "search_bare_index"}
    assert set(bare) == {"search_only", "with_highlights"}
    assert all(r["requests"] == 12 and r["p50_ms"] > 0 for r in bare.values())
    overhead = next(r for r in rows if r["bench"] == "search_overhead")
    assert overhead["ratio"] > 0 and "did you mean adds" in output
    # A second run reuses the library kept in --out instead of building it again.
    _, again = run_bench(
        "search.py",
        *("--assets", "30", "--queries", "2", "--clients", "1", "--out", str(tmp_path)),
    )
    assert (
        next(r for r in again if r["bench"] == "search_library")["record_s"] == library["record_s"]
    )


def relevance_rows(output: str, rows: list[dict], documents: int) -> dict[str, dict]:
    """The two systems' rows, checked for what every relevance run must print."""
    systems = {r["system"]: r for r in rows if r["bench"] == "relevance"}
    assert set(systems) == {"search API", "BM25 baseline"}
    for row in systems.values():
        assert row["queries"] > 0 and row["documents"] == documents
        assert all(0 < row[m] <= 1 for m in ("nDCG@10", "AP", "P@10")), row
    assert "BM25 baseline" in output
    return systems


def test_relevance_benchmark_scores_the_api_against_bm25(tmp_path):
    output, rows = run_bench(
        "relevance.py",
        *("--collection", str(TINY_CRANFIELD), "--loader", "service", "--out", str(tmp_path)),
    )
    systems = relevance_rows(output, rows, documents=8)
    # A query's id is its position in cran.qry: read by its .I number (1, 2, 4, 8, 9), only
    # three of the five queries would meet their judgments.
    assert systems["search API"]["queries"] == systems["BM25 baseline"]["queries"] == 5
    library = next(r for r in rows if r["bench"] == "relevance_library")
    assert (library["imported"], library["failed"]) == (8, 0)


def test_relevance_benchmark_imports_through_the_bulk_import(tmp_path):
    _, rows = run_bench(
        "relevance.py",
        *("--collection", str(TINY_CRANFIELD), "--docs", "6", "--queries", "3"),
        *("--loader", "import", "--out", str(tmp_path)),
    )
    library = next(r for r in rows if r["bench"] == "relevance_library")
    assert (library["loader"], library["imported"], library["failed"]) == ("import", 6, 0)


@needs_cranfield
def test_relevance_benchmark_runs_on_the_real_cranfield_collection(tmp_path):
    output, rows = run_bench(
        "relevance.py",
        *("--docs", "60", "--queries", "30", "--loader", "service", "--out", str(tmp_path)),
    )
    relevance_rows(output, rows, documents=60)
    library = next(r for r in rows if r["bench"] == "relevance_library")
    assert library["imported"] == 60 and library["failed"] == 0


def test_index_build_benchmark_builds_and_times_the_bare_index():
    output, rows = run_bench("index_build.py", "--docs", "60", "--queries", "5")
    (row,) = rows
    assert (row["bench"], row["docs"], row["queries"]) == ("index_build", 60, 5)
    assert row["build_s"] > 0 and 0 < row["search_p50_ms"] <= row["search_max_ms"]
    assert "60 docs x 65 words: build" in output


def test_highlight_benchmark_times_big_document_searches_and_sign_in(tmp_path):
    output, rows = run_bench(
        "highlight.py",
        *("--assets", "20", "--text-mb", "0.1", "--exports", "2", "--export-mb", "0.05"),
        *("--requests", "4", "--concurrent", "3", "--rounds-each", "1"),
        *("--workers", "1", "--threads", "2", "--out", str(tmp_path)),
    )
    library = next(r for r in rows if r["bench"] == "highlight_library")
    assert library["assets"] == library["indexed"] == 23 and library["big"] == 3
    searches = {r["per_page"]: r for r in rows if r["bench"] == "highlight_search"}
    assert set(searches) == {20, 100}
    assert all(r["requests"] == 4 and r["errors"] == 0 for r in searches.values())
    [load] = [r for r in rows if r["bench"] == "highlight_sign_in_under_load"]
    assert load["concurrent_searches"] == 3 and load["requests"] >= 1 and load["errors"] == 0
    assert 0 < load["p50_ms"] <= load["p95_ms"] and "sign-in page, 3 searches at once" in output
