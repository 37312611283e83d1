"""Bulk-import rate of `flask import`, with one and with two processes, and the speed-up.

    .venv/bin/python bench/importer.py [--corpus DIR] [--generated N] [--processes 1 2]

Two sets of files: the real-world files of ../shared/corpus, and N generated office files
(PPTX, DOCX and PDF in turn, each with its own text, made with python-pptx, python-docx and
fpdf2). For each set and process count, a fresh throwaway instance (database, blob store, index)
imports the whole folder through the service the command calls: plan, hashing, one limited child
per file for the text and thumbnail, recording, index. Prints wall time, files/s, the speed-up
over one process, and the CPU seconds spent in this process (hashing, database, index) and in
the children (reading, drawing), which says where the time goes; then one JSON line per run.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collateral import create_app  # noqa: E402
from collateral.extensions import db  # noqa: E402
from collateral.services import accounts, bulk_import, import_plan, setup  # noqa: E402
from collateral.services.resources import search_index  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
WORDS = (
    "pipeline forecast renewal churn onboarding security compliance pricing discount quarter "
    "analytics dashboard integration migration rollout adoption retention upsell partner "
    "healthcare banking retail logistics manufacturing insurance audit encryption latency "
    "roadmap benchmark customer revenue margin contract procurement champion objection"
).split()


def _sentences(rng: random.Random, count: int) -> list[str]:
    return [" ".join(rng.choices(WORDS, k=12)).capitalize() + "." for _ in range(count)]


def _make_pptx(path: Path, rng: random.Random) -> None:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    for _ in range(3):
        slide = deck.slides.add_slide(deck.slide_layouts[6])
        box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(8), Inches(5))
        box.text_frame.text = " ".join(_sentences(rng, 4))
        slide.notes_slide.notes_text_frame.text = _sentences(rng, 1)[0]
    deck.save(path)


def _make_docx(path: Path, rng: random.Random) -> None:
    from docx import Document

    document = Document()
    document.add_heading(_sentences(rng, 1)[0], level=1)
    for _ in range(6):
        document.add_paragraph(" ".join(_sentences(rng, 3)))
    document.save(path)


def _make_pdf(path: Path, rng: random.Random) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for _ in range(2):
        pdf.add_page()
        pdf.multi_cell(0, 6, " ".join(_sentences(rng, 10)))
    pdf.output(str(path))


def generate_office_files(folder: Path, count: int, seed: int = 7) -> Path:
    """`count` distinct PPTX, DOCX and PDF files (in turn) in `folder`; returns the folder."""
    makers = (("pptx", _make_pptx), ("docx", _make_docx), ("pdf", _make_pdf))
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        kind, make = makers[number % len(makers)]
        make(folder / f"file-{number:05d}.{kind}", rng)
    return folder


def _cpu_seconds() -> tuple[float, float]:
    """CPU (user + system) of this process and of its finished children, so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def import_once(label: str, folder: Path, processes: int) -> dict:
    """Import `folder` into a fresh instance; the figures of that run."""
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        app = create_app(
            {
                "INSTANCE_PATH": str(root / "instance"),
                "UPLOAD_ROOT": str(root / "uploads"),
                "INDEX_ROOT": str(root / "index"),
                "SECRET_KEY": "bench",
            }
        )
        with app.app_context():
            setup.init_database()
            user = accounts.create_user("admin@example.com", "admin", "bench-admin-pass")
            own_before, children_before = _cpu_seconds()
            started = time.perf_counter()
            plan = import_plan.plan_import(folder, None, user)
            report = bulk_import.run_import(plan, user, processes=processes)
            wall = time.perf_counter() - started
            own_after, children_after = _cpu_seconds()
            search_index().close()
            db.engine.dispose()
    files = len(plan.files)
    megabytes = sum(f.size for f in plan.files) / 1e6
    return {
        "bench": "importer",
        "set": label,
        "processes": processes,
        "files": files,
        "megabytes": round(megabytes, 1),
        "imported": len(report.with_status("imported")),
        "skipped": len(report.with_status("skipped")),
        "failed": len(report.with_status("failed")),
        "wall_s": round(wall, 2),
        "files_per_s": round(files / wall, 2),
        "mb_per_s": round(megabytes / wall, 2),
        "parent_cpu_s": round(own_after - own_before, 2),
        "children_cpu_s": round(children_after - children_before, 2),
    }


def add_speed_ups(rows: list[dict]) -> None:
    """Each run's files/s over the one-process run of the same set."""
    for row in rows:
        single = next((r for r in rows if r["set"] == row["set"] and r["processes"] == 1), None)
        row["speed_up"] = round(row["files_per_s"] / single["files_per_s"], 2) if single else None


def print_table(rows: list[dict]) -> None:
    print(
        f"{'set':<18}{'procs':>6}{'files':>7}{'MB':>7}{'wall s':>9}{'files/s':>9}"
        f"{'speed-up':>9}{'CPU parent':>11}{'CPU children':>13}  result"
    )
    for r in rows:
        result = f"{r['imported']} imported, {r['skipped']} skipped, {r['failed']} failed"
        speed_up = f"{r['speed_up']:.2f}×" if r["speed_up"] is not None else "–"
        print(
            f"{r['set']:<18}{r['processes']:>6}{r['files']:>7}{r['megabytes']:>7}"
            f"{r['wall_s']:>9}{r['files_per_s']:>9}{speed_up:>9}"
            f"{r['parent_cpu_s']:>11}{r['children_cpu_s']:>13}  {result}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="real files to import")
    parser.add_argument("--no-corpus", action="store_true", help="leave the corpus out")
    parser.add_argument("--generated", type=int, default=2000, help="office files to make")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    sets: list[tuple[str, Path]] = []
    if not args.no_corpus:
        if not args.corpus.is_dir():
            sys.exit(f"{args.corpus}: no such folder; pass --corpus DIR or --no-corpus.")
        sets.append(("corpus", args.corpus))
    with tempfile.TemporaryDirectory() as temp:
        if args.generated > 0:
            started = time.perf_counter()
            folder = generate_office_files(Path(temp) / "office", args.generated)
            made_in = time.perf_counter() - started
            print(f"Made {args.generated} office files in {made_in:.1f} s.", file=sys.stderr)
            sets.append((f"office ×{args.generated}", folder))
        rows = [import_once(label, folder, n) for label, folder in sets for n in args.processes]
    add_speed_ups(rows)
    print_table(rows)
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
