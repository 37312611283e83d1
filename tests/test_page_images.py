"""Page images of decks, documents and sheets: drawn by background jobs from real files.

LibreOffice takes seconds per file, so the files rendered through it are uploaded and drawn once
for the module (`library`); the tests that need their own settings use PDFs, which need no
LibreOffice, or a stand-in `soffice` program that hangs or dies as a broken one would.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.util import Inches

from collateral import create_app
from collateral.extensions import db
from collateral.models import Version
from collateral.services.resources import search_index
from tests import databases
from tests.conftest import Api, Browser, app_config, run_jobs
from tests.factories import make_docx, make_pdf, make_pptx, make_xlsx

REPO = Path(__file__).resolve().parents[1]
# Outside CI a machine without LibreOffice skips the tests that convert through it.
needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None and not os.environ.get("CI"),
    reason="LibreOffice is not installed (.ci/run installs libreoffice-impress-nogui and others)",
)
COLOURS = {1: (30, 150, 60), 2: (30, 60, 200), 3: (210, 30, 30), 4: (240, 200, 20)}
WORDS = {1: "Welcome", 2: "Agenda", 3: "Osprey pricing guarantee", 4: "Next steps"}


def coloured_deck() -> bytes:
    """Four slides, each with a title and a large rectangle of its own colour."""
    deck = Presentation()
    for number, colour in COLOURS.items():
        slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
        slide.shapes.title.text = f"Slide {number}: {WORDS[number]}"
        box = slide.shapes.add_shape(
            MSO_SHAPE.RECTANGLE, Inches(2), Inches(2.5), Inches(6), Inches(4)
        )
        box.fill.solid()
        box.fill.fore_color.rgb = RGBColor(*colour)
        box.line.fill.background()
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def picture(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def close_to(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def upload(api, content: bytes, filename: str, **fields) -> dict:
    response = api.upload(content, filename, title=fields.pop("title", filename), **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def preview_of(api, asset_id: int) -> dict:
    return api.get(f"/api/v1/assets/{asset_id}").get_json()["preview"]


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that name `text` (a test's own folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().split(") ")[-1][:1]
        except OSError:
            continue
        if text in command and state != "Z":
            found.append(command)
    return found


@pytest.fixture(scope="module")
def library(tmp_path_factory, template_db):
    """One library with a deck, a document and a sheet, their pages drawn by the jobs."""
    root = tmp_path_factory.mktemp("page-images")
    database, tokens = template_db
    url = databases.copy_database(database, root)
    app = create_app(app_config(root, url))
    api = Api(app.test_client(), tokens)
    assets = {
        "deck": upload(api, coloured_deck(), "colours.pptx", title="Colour deck"),
        "document": upload(api, make_docx(["Heron onboarding guide", "Step one"]), "guide.docx"),
        "sheet": upload(api, make_xlsx({"Prices": [["Plan", "Price"], ["Pro", 40]]}), "p.xlsx"),
    }
    started = time.monotonic()
    ran = run_jobs(app)
    yield app, api, assets, ran, time.monotonic() - started
    with app.app_context():
        search_index().close()
        db.engine.dispose()
    databases.drop_database(url)


@needs_libreoffice
def test_an_upload_answers_before_its_pages_are_drawn(library):
    _, _, assets, ran, _ = library
    assert ran == 3
    assert assets["deck"]["preview"] == {"status": "pending", "pages": 0, "message": None}


@needs_libreoffice
def test_every_slide_is_an_image_and_slide_three_is_not_slide_two(library):
    _, api, assets, _, _ = library
    deck = assets["deck"]["id"]
    listing = api.get(f"/api/v1/assets/{deck}/pages").get_json()
    assert listing["preview"] == {"status": "ready", "pages": 4, "message": None}
    assert [p["label"] for p in listing["pages"]] == [f"slide {n}" for n in range(1, 5)]
    assert {(p["width"], p["height"]) for p in listing["pages"]} == {(1280, 960)}
    centres = {}
    for page in listing["pages"]:
        response = api.get(page["image_url"])
        assert response.status_code == 200 and response.mimetype == "image/webp"
        image = picture(response.data)
        assert image.size == (page["width"], page["height"])
        centres[page["number"]] = image.getpixel((640, 576))  # inside the rectangle
    for number, colour in COLOURS.items():
        assert close_to(centres[number], colour), (number, centres[number])
    assert not close_to(centres[3], centres[2])


@needs_libreoffice
def test_page_images_are_cacheable_with_an_etag(library):
    _, api, assets, _, _ = library
    url = api.get(f"/api/v1/assets/{assets['deck']['id']}/pages").get_json()["pages"][2][
        "image_url"
    ]
    first = api.get(url)
    assert "immutable" in first.headers["Cache-Control"]
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    again = api.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@needs_libreoffice
def test_the_first_slide_becomes_the_thumbnail(library):
    _, api, assets, _, _ = library
    asset = api.get(f"/api/v1/assets/{assets['deck']['id']}").get_json()
    assert asset["thumbnail_url"] != assets["deck"]["thumbnail_url"]
    thumbnail = picture(api.get(asset["thumbnail_url"]).data)
    assert thumbnail.size == (320, 240)
    assert close_to(thumbnail.getpixel((160, 144)), COLOURS[1])


@needs_libreoffice
def test_a_new_title_keeps_the_slide_as_the_thumbnail(library):
    _, api, assets, _, _ = library
    path = f"/api/v1/assets/{assets['deck']['id']}"
    before = api.get(path).get_json()["thumbnail_url"]
    renamed = api.patch(path, json={"title": "Colour deck, renamed"}).get_json()
    assert renamed["thumbnail_url"] == before


@needs_libreoffice
def test_documents_and_sheets_are_drawn_too(library):
    _, api, assets, _, _ = library
    for name in ("document", "sheet"):
        listing = api.get(f"/api/v1/assets/{assets[name]['id']}/pages").get_json()
        assert listing["preview"]["status"] == "ready", listing
        assert listing["pages"][0]["label"] == "page 1"
        image = picture(api.get(listing["pages"][0]["image_url"]).data)
        assert image.width == 1280
        assert image.convert("L").getextrema()[0] < 100  # some dark text on the page


@needs_libreoffice
def test_a_search_hit_links_to_its_slide_with_the_words_marked(library):
    app, api, assets, _, _ = library
    found = api.search(q="osprey guarantee")
    hit = next(r for r in found["results"] if r["id"] == assets["deck"]["id"])
    assert hit["highlights"][0]["where"] == "slide 3" and hit["highlights"][0]["page"] == 3
    browser = Browser(app.test_client())
    browser.login("rep")
    results = browser.client.get("/?q=osprey+guarantee").get_data(as_text=True)
    assert f"/assets/{hit['id']}?" in results and "q=osprey+guarantee#slide-3" in results
    page = browser.client.get(f"/assets/{hit['id']}?q=osprey+guarantee").get_data(as_text=True)
    section = page[page.index('id="slide-3"') :]
    section = section[: section.index("</section>")]
    assert 'class="page-image" loading="lazy"' in section
    assert "<mark>Osprey</mark> pricing <mark>guarantee</mark>" in section
    assert "<mark>" not in page[page.index('id="slide-2"') : page.index('id="slide-3"')]


@needs_libreoffice
def test_readyz_reports_the_jobs(library):
    _, api, _, _, _ = library
    response = api.client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "database": "ok",
        "blob_store": "ok",
        "index": {"status": "ok", "lag": 0},
        "jobs": {"queued": 0, "failed": 0},
    }


def test_health_probes_need_no_sign_in_and_say_when_the_store_is_gone(app, client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    Path(app.config["UPLOAD_ROOT"]).mkdir(parents=True, exist_ok=True)
    assert client.get("/readyz").status_code == 200
    Path(app.config["UPLOAD_ROOT"]).rename(Path(app.config["UPLOAD_ROOT"] + ".gone"))
    response = client.get("/readyz")
    assert response.status_code == 503 and response.get_json()["blob_store"] == "unavailable"


@needs_libreoffice
def test_without_libreoffice_the_status_says_what_to_install(app, api, runner):
    app.config["SOFFICE_PATH"] = "/nonexistent/soffice"
    deck = upload(api, make_pptx([("Falcon", "One slide", "")]), "falcon.pptx")
    document = upload(api, make_docx(["Falcon memo"]), "memo.docx")
    assert deck["preview"] == {
        "status": "none",
        "pages": 0,
        "message": "Install libreoffice-impress-nogui to see slides.",
    }
    assert document["preview"]["message"] == "Install libreoffice-writer-nogui to see pages."
    pdf = upload(api, make_pdf(["Falcon page"]), "falcon.pdf")
    assert pdf["preview"]["status"] == "pending"  # PDFs need no LibreOffice
    run_jobs(app)
    assert preview_of(api, pdf["id"])["status"] == "ready"
    checked = runner.invoke(args=["check"])
    assert checked.exit_code == 1
    assert "libreoffice-missing: LibreOffice is not installed" in checked.output
    assert "libreoffice-calc-nogui libreoffice-impress-nogui" in checked.output
    app.config["SOFFICE_PATH"] = "soffice"  # installed since: the repair queues what is owed
    repaired = runner.invoke(args=["check", "--repair"])
    assert "repaired: queued page image jobs: 2" in repaired.output, repaired.output
    run_jobs(app)
    assert preview_of(api, deck["id"]) == {"status": "ready", "pages": 1, "message": None}


def test_a_file_claiming_more_pages_than_the_cap_gets_the_first_ones(app, api):
    app.config["MAX_PAGE_IMAGES"] = 2
    asset = upload(api, make_pdf(["one", "two", "three"]), "three.pdf")
    run_jobs(app)
    assert preview_of(api, asset["id"]) == {
        "status": "ready",
        "pages": 2,
        "message": "Images of the first 2 of 3 pages; download the file for the rest.",
    }
    assert api.get(f"/api/v1/assets/{asset['id']}/pages/3").status_code == 404


def fake_soffice(tmp_path: Path, body: str) -> str:
    """A program standing in for a broken LibreOffice (one that hangs, or one that dies)."""
    program = tmp_path / "soffice"
    program.write_text(f"#!/bin/sh\n{body}\n")
    program.chmod(0o755)
    return str(program)


def test_a_libreoffice_that_hangs_is_killed_at_the_limit(app, api, tmp_path):
    app.config["SOFFICE_PATH"] = fake_soffice(tmp_path, "sleep 300")
    app.config["RENDER_TIMEOUT_SECONDS"] = 2
    asset = upload(api, make_pptx([("Hanging", "deck", "")]), "hang.pptx")
    started = time.monotonic()
    run_jobs(app)
    assert time.monotonic() - started < 15
    assert preview_of(api, asset["id"]) == {
        "status": "failed",
        "pages": 0,
        "message": "LibreOffice stopped after 2 s: the deck may be damaged; "
        "open and save it again.",
    }
    assert processes_mentioning(str(tmp_path)) == []  # no LibreOffice left behind


def test_a_render_killed_from_outside_is_retried_then_given_up_with_the_reason(app, api, tmp_path):
    app.config["SOFFICE_PATH"] = fake_soffice(tmp_path, "kill -9 $PPID; sleep 5")
    app.config["RENDER_ATTEMPTS"] = 2
    asset = upload(api, make_pptx([("Crashing", "deck", "")]), "crash.pptx")
    run_jobs(app)  # the first try fails; its retry waits
    assert preview_of(api, asset["id"])["status"] == "pending"
    with app.app_context():
        assert app.extensions["collateral.jobs"].counts()["queued"] == 1
    run_jobs(app, retries_now=True)
    preview = preview_of(api, asset["id"])
    assert preview["status"] == "failed" and "SIGKILL" in preview["message"], preview
    with app.app_context():
        version = db.session.query(Version).filter_by(asset_id=asset["id"]).one()
        assert version.preview_attempts == 2 and version.preview_claimed_by is None


def worker_environment(app) -> dict[str, str]:
    config = app.config
    return {
        **os.environ,
        "COLLATERAL_DATABASE_URL": config["DATABASE_URL"],
        "COLLATERAL_INSTANCE_PATH": app.instance_path,
        "COLLATERAL_UPLOAD_ROOT": config["UPLOAD_ROOT"],
        "COLLATERAL_INDEX_ROOT": config["INDEX_ROOT"],
        "COLLATERAL_SECRET_KEY": config["SECRET_KEY"],
    }


@needs_libreoffice
def test_a_render_whose_worker_is_killed_runs_again(app, api, tmp_path):
    deck = make_pptx([(f"Slide {n}", "Words on a slide " * 8, "") for n in range(30)])
    asset = upload(api, deck, "long.pptx")
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--threads", "1"],
        cwd=REPO,
        env=worker_environment(app),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        claimed = None
        while claimed is None and time.monotonic() < deadline:
            time.sleep(0.2)
            with app.app_context():
                claimed = db.session.query(Version).filter_by(asset_id=asset["id"]).one()
                claimed = claimed.preview_claimed_by
        assert claimed and claimed.endswith(f":{worker.pid}")
        time.sleep(1.0)  # LibreOffice is at work
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    deadline = time.monotonic() + 10
    while processes_mentioning(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_mentioning(str(tmp_path)) == []  # its renderer and LibreOffice went too
    assert preview_of(api, asset["id"])["status"] == "pending"
    run_jobs(app)  # the sweep finds the dead worker's claim and queues the job again
    assert preview_of(api, asset["id"]) == {"status": "ready", "pages": 30, "message": None}
    with app.app_context():
        version = db.session.query(Version).filter_by(asset_id=asset["id"]).one()
        assert version.preview_attempts == 2


def test_web_processes_run_the_jobs_themselves(tmp_path, template_db):
    database = databases.database_for_test(template_db[0], tmp_path)
    app = create_app({**app_config(tmp_path, database), "JOBS_IN_WEB": True})
    api = Api(app.test_client(), template_db[1])
    jobs = app.extensions["collateral.jobs"]
    try:
        assert api.client.get("/healthz").status_code == 200  # the first request starts them
        asset = upload(api, make_pdf(["Plover one", "Plover two"]), "plover.pdf")
        deadline = time.monotonic() + 60
        while preview_of(api, asset["id"])["status"] == "pending":
            assert time.monotonic() < deadline, "the web process's job runner drew nothing"
            time.sleep(0.2)
        assert preview_of(api, asset["id"]) == {"status": "ready", "pages": 2, "message": None}
    finally:
        jobs.stop_in_process()
        with app.app_context():
            search_index().close()
            db.engine.dispose()


def draw(tmp_path: Path, content: bytes, **limits) -> object:
    from collateral.page_images import render_pages_in_child

    source = tmp_path / "source.pdf"
    source.write_bytes(content)
    out = tmp_path / "out"
    out.mkdir()
    options = {"width": 1280, "max_pages": 10, "timeout_seconds": 60, "memory_mb": 1024}
    return render_pages_in_child(source, "pdf", out, soffice=None, **{**options, **limits})


def test_a_very_tall_page_is_drawn_narrower(tmp_path):
    from fpdf import FPDF

    from collateral.page_images import MAX_PAGE_PIXELS

    strip = FPDF(format=(100, 4000))  # millimetres: a 40:1 strip
    strip.add_page()
    rendering = draw(tmp_path, bytes(strip.output()))
    ((width, height),) = rendering.sizes
    assert width * height <= MAX_PAGE_PIXELS and width < 1280


def test_a_renderer_out_of_memory_says_so(tmp_path):
    from collateral.page_images import RenderFailed

    with pytest.raises(RenderFailed, match="memory") as failure:
        draw(tmp_path, make_pdf(["Tern"]), memory_mb=40)
    assert failure.value.final
