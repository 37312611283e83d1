"""Page images: seconds per deck, pages per second with one and two workers, memory, and what
the background jobs cost the upload answer.

    .venv/bin/python bench/render.py [--slides 10 40 100] [--rounds 5] [--no-corpus]

1. Generated decks of 10, 40 and 100 slides (python-pptx, text and a coloured shape on each):
   seconds to the first image and to all images, through the same limited child the jobs use
   (LibreOffice to PDF, then pdfium to WebP), and the largest resident memory of the child,
   LibreOffice included.
2. The paged files of ../shared/corpus, each the same way: status and seconds.
3. Pages per second with one worker, then with two at once (four 40-slide decks each).
4. End to end: a 40-slide deck uploaded to a throwaway library whose web process runs its job
   thread, until `preview.status` is `ready` (target: within 20 s).
5. The upload answer's p50 with the job queued after the commit, against the same upload with
   the queueing switched off (what the answer cost before page images; target: within 10%).
6. WebP against JPEG for the images of a 40-slide deck: bytes and encode time per page.
Prints a table, then one JSON line per figure.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pptx import Presentation  # noqa: E402
from pptx.dml.color import RGBColor  # noqa: E402
from pptx.enum.shapes import MSO_SHAPE  # noqa: E402
from pptx.util import Inches  # noqa: E402

from collateral import create_app  # noqa: E402
from collateral.extensions import db  # noqa: E402
from collateral.page_images import (  # noqa: E402
    PAGED_KINDS,
    RenderFailed,
    find_soffice,
    render_pages_in_child,
)
from collateral.services import accounts, setup  # noqa: E402
from collateral.services.resources import search_index  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
ROWS: list[dict] = []


def emit(**row) -> None:
    ROWS.append(row)


def make_deck(slides: int, seed: int = 0) -> bytes:
    deck = Presentation()
    for number in range(slides):
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        slide.shapes.title.text = f"Deck {seed} slide {number + 1}: pipeline and renewal plan"
        shape = slide.shapes.add_shape(
            MSO_SHAPE.ROUNDED_RECTANGLE, Inches(1), Inches(2), Inches(8), Inches(4.5)
        )
        shape.fill.solid()
        shape.fill.fore_color.rgb = RGBColor((number * 37) % 256, (seed * 91) % 256, 140)
        shape.text_frame.text = "Forecast accuracy, churn and onboarding in one view. " * 3
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def render(path: Path, kind: str, soffice: str | None) -> tuple[float, dict, int]:
    """Seconds, the child's own timings, and pages drawn."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        rendering = render_pages_in_child(
            path,
            kind,
            folder,
            width=1280,
            max_pages=300,
            soffice=soffice,
            timeout_seconds=120,
            memory_mb=2048,
        )
        return time.monotonic() - started, rendering.timings, len(rendering.sizes)


def bench_decks(work: Path, sizes: list[int], soffice: str) -> None:
    for slides in sizes:
        path = work / f"deck-{slides}.pptx"
        path.write_bytes(make_deck(slides))
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        seconds, timings, pages = render(path, "pptx", soffice)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        first = timings["convert"] + timings["first_page"]
        emit(
            bench="render",
            what="deck",
            slides=slides,
            pages=pages,
            seconds_all=round(seconds, 2),
            seconds_first_image_in_child=round(first, 2),
            seconds_libreoffice=round(timings["convert"], 2),
            peak_child_mb=round(max(before, peak) / 1024),
        )


def bench_corpus(soffice: str) -> None:
    if not CORPUS.is_dir():
        emit(bench="render", what="corpus", skipped="../shared/corpus is absent")
        return
    for path in sorted(CORPUS.iterdir()):
        kind = path.suffix.lstrip(".").lower()
        if kind not in PAGED_KINDS:
            continue
        started = time.monotonic()
        try:
            seconds, _, pages = render(path, kind, soffice)
            status = "ready"
        except RenderFailed as exc:
            seconds, pages, status = time.monotonic() - started, 0, f"failed: {exc}"[:90]
        emit(
            bench="render",
            what="corpus",
            file=path.name,
            pages=pages,
            seconds=round(seconds, 2),
            status=status,
        )


def bench_workers(work: Path, soffice: str, decks: int = 4, slides: int = 40) -> None:
    paths = []
    for number in range(decks):
        path = work / f"w-{number}.pptx"
        path.write_bytes(make_deck(slides, seed=number + 1))
        paths.append(path)
    rates = {}
    for workers in (1, 2):
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda path: render(path, "pptx", soffice), paths))
        drawn = [sum(pages for _, _, pages in results)]
        seconds = time.monotonic() - started
        rates[workers] = drawn[0] / seconds
        emit(
            bench="render",
            what="workers",
            workers=workers,
            pages=drawn[0],
            seconds=round(seconds, 2),
            pages_per_second=round(rates[workers], 2),
        )
    emit(bench="render", what="speedup", two_over_one=round(rates[2] / rates[1], 2), target=1.6)


def library(root: Path, jobs_in_web: bool):
    app = create_app(
        {
            "INSTANCE_PATH": str(root / "instance"),
            "UPLOAD_ROOT": str(root / "uploads"),
            "SECRET_KEY": "bench",
            "SESSION_COOKIE_SECURE": False,
            "JOBS_IN_WEB": jobs_in_web,
        }
    )
    with app.app_context():
        setup.init_database()
        accounts.create_user("m@example.com", "marketer", "correct horse battery", "M")
        token = accounts.create_api_token(accounts.find_user("m@example.com"), "bench")
    return app, {"Authorization": f"Bearer {token}"}


def upload(client, headers, data: bytes, name: str):
    return client.post(
        "/api/v1/assets",
        headers=headers,
        data={"file": (io.BytesIO(data), name), "title": name},
        content_type="multipart/form-data",
    )


def bench_end_to_end(work: Path) -> None:
    app, headers = library(work / "e2e", jobs_in_web=True)
    client = app.test_client()
    client.get("/healthz")  # starts the job thread, as a web process's first request does
    deck = make_deck(40, seed=7)
    started = time.monotonic()
    response = upload(client, headers, deck, "forty.pptx")
    answered = time.monotonic() - started
    asset = response.get_json()["id"]
    while True:
        preview = client.get(f"/api/v1/assets/{asset}", headers=headers).get_json()["preview"]
        if preview["status"] != "pending":
            break
        time.sleep(0.1)
    emit(
        bench="render",
        what="upload_to_ready",
        slides=40,
        status=preview["status"],
        seconds_answer=round(answered, 2),
        seconds_ready=round(time.monotonic() - started, 2),
        target_seconds=20,
    )
    app.extensions["collateral.jobs"].stop_in_process()
    with app.app_context():
        search_index().close()
        db.engine.dispose()


def bench_upload_answer(work: Path, rounds: int) -> None:
    app, headers = library(work / "answer", jobs_in_web=False)
    client = app.test_client()
    jobs = app.extensions["collateral.jobs"]
    queue_job = jobs.enqueue
    times: dict[str, list[float]] = {"with_job": [], "without_job": []}
    for number in range(rounds):
        for mode in ("with_job", "without_job") if number % 2 else ("without_job", "with_job"):
            jobs.enqueue = queue_job if mode == "with_job" else (lambda *_: None)
            deck = make_deck(10, seed=1000 + number * 2 + (mode == "with_job"))
            started = time.monotonic()
            response = upload(client, headers, deck, f"{mode}-{number}.pptx")
            times[mode].append(time.monotonic() - started)
            assert response.status_code == 201, response.get_json()
    with_job = statistics.median(times["with_job"])
    without = statistics.median(times["without_job"])
    emit(
        bench="render",
        what="upload_answer_p50",
        rounds=rounds,
        seconds_with_job=round(with_job, 3),
        seconds_without_job=round(without, 3),
        ratio=round(with_job / without, 3),
        target_ratio=1.1,
    )
    with app.app_context():
        search_index().close()
        db.engine.dispose()


def bench_formats(work: Path, soffice: str) -> None:
    import pypdfium2 as pdfium

    path = work / "formats.pptx"
    path.write_bytes(make_deck(40, seed=3))
    folder = work / "formats"
    folder.mkdir()
    render_pages_in_child(
        path,
        "pptx",
        folder,
        width=1280,
        max_pages=300,
        soffice=soffice,
        timeout_seconds=120,
        memory_mb=2048,
    )
    pdf = pdfium.PdfDocument(str(folder / "convert" / "source.pdf"))
    images = [page.render(scale=1280 / page.get_size()[0]).to_pil().convert("RGB") for page in pdf]
    for name, fmt, options in (
        ("jpeg q80", "JPEG", {"quality": 80}),
        ("webp q80 m0 (chosen)", "WEBP", {"quality": 80, "method": 0}),
        ("webp q80 m4", "WEBP", {"quality": 80}),
    ):
        started = time.monotonic()
        size = 0
        for image in images:
            out = io.BytesIO()
            image.save(out, fmt, **options)
            size += len(out.getvalue())
        emit(
            bench="render",
            what="format",
            format=name,
            kb_per_page=round(size / len(images) / 1024, 1),
            ms_per_page=round((time.monotonic() - started) / len(images) * 1000, 1),
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slides", type=int, nargs="+", default=[10, 40, 100])
    parser.add_argument("--rounds", type=int, default=5, help="uploads per mode for the p50")
    parser.add_argument("--no-corpus", action="store_true")
    parser.add_argument("--quick", action="store_true", help="decks only (the smoke test)")
    args = parser.parse_args()
    soffice = find_soffice("soffice")
    if soffice is None:
        print("LibreOffice (soffice) is not installed; nothing to measure.", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        bench_decks(work, args.slides, soffice)
        if not args.quick:
            if not args.no_corpus:
                bench_corpus(soffice)
            bench_workers(work, soffice)
            bench_end_to_end(work)
            bench_upload_answer(work, args.rounds)
            bench_formats(work, soffice)
    for row in ROWS:
        shown = {k: v for k, v in row.items() if k != "bench"}
        print("  ".join(f"{k}={v}" for k, v in shown.items()))
    for row in ROWS:
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
