"""`flask import DIR --manifest CSV`: real files made in tmp_path, run through the CLI runner."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from collateral import create_app
from collateral.extensions import db
from collateral.models import Asset, Event, Version
from collateral.services import accounts, bulk_import, import_plan
from collateral.services.resources import blob_store, search_index
from tests import databases
from tests.conftest import app_config
from tests.corpus import CORPUS, needs_corpus
from tests.factories import make_docx, make_pdf, make_pptx, make_xlsx

ROOT = Path(__file__).resolve().parents[1]
MANIFEST_HEADER = (
    "file,title,description,products,industries,stages,content_type,tags,status,expires_at\n"
)


def write_files(folder: Path, files: dict[str, bytes | str]) -> Path:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    return folder


def run_import(runner, folder: Path, *args: str):
    return runner.invoke(args=["import", str(folder), "--no-progress", *args])


def asset_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Asset.id)))


def library(app) -> list[tuple]:
    """What an import left, comparable across libraries: one tuple per asset."""
    with app.app_context():
        assets = db.session.scalars(select(Asset).order_by(Asset.title)).all()
        return [
            (
                a.title,
                a.current_version.original_filename,
                a.current_version.has_text,
                sorted(t.name for t in a.terms),
                a.owner.email,
            )
            for a in assets
        ]


@pytest.fixture
def fresh_app(tmp_path, template_db):
    """Another library, beside the `app` fixture's, from the same template database."""
    made = []

    def make(name: str):
        root = tmp_path / name
        root.mkdir()
        app = create_app(app_config(root, databases.copy_database(template_db[0], root)))
        with app.app_context():
            search_index().ensure_exists()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            search_index().close()
            db.engine.dispose()


@pytest.fixture
def mixed_folder(tmp_path) -> Path:
    """Good files, one unsupported, one without text, one hidden, nested folders."""
    return write_files(
        tmp_path / "collateral",
        {
            "q3_pricing-sheet.pdf": make_pdf(["Quarterly pricing for the walrus tier"]),
            "decks/atlas-overview.pptx": make_pptx(
                [("Atlas overview", "Pipeline hygiene for narwhal teams", "Say hello")]
            ),
            "decks/beacon.docx": make_docx(["Beacon dashboards for retailers"]),
            "sheets/rates.xlsx": make_xlsx({"Rates": [["Tier", "Price"], ["Gold", 99]]}),
            "notes/faq.txt": "Frequently asked questions about okapi billing",
            "scanned.pdf": make_pdf([""]),
            "tool.exe": b"MZ\x90\x00" + bytes(200),
            ".DS_Store": b"\x00\x00\x00\x01Bud1",
        },
    )


BAD_MANIFEST = (
    MANIFEST_HEADER
    + "decks/atlas-overview.pptx,Atlas overview deck,For first calls,Atlas CRM;Beacon Analytics,"
    "Retail,Discovery;Demo,Presentation,intro;pipeline,published,2031-06-30\n"
    + "decks/beacon.docx,Beacon,,Foo CRM,,,,,,\n"  # line 3: unknown product
    + "missing.pdf,Ghost,,,,,,,,\n"  # line 4: no such file
    + "../escape.pdf,Escape,,,,,,,,\n"  # line 5: outside the folder
    + "sheets/rates.xlsx,Rates,,,,,,,,next spring\n"  # line 6: bad date
    + "notes/faq.txt,FAQ one,,,,,,,,\n"  # lines 7 and 8 name the same file
    + "notes/faq.txt,FAQ two,,,,,,,,\n"
)


def test_manifest_metadata_is_applied_and_bad_rows_are_reported_by_line(
    app, runner, api, mixed_folder, tmp_path
):
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(BAD_MANIFEST, encoding="utf-8")
    result = run_import(runner, mixed_folder, "--manifest", str(manifest))
    out = result.output
    assert result.exit_code == 1, out
    assert "Imported 3, skipped 0, failed 6 in" in out
    for expected in (
        "decks/beacon.docx: manifest line 3: products: 'Foo CRM' is not in the taxonomy. "
        "Accepted: Atlas CRM, Beacon Analytics, Cobalt Payments.",
        "missing.pdf: manifest line 4: file 'missing.pdf' does not exist in",
        "../escape.pdf: manifest line 5: file '../escape.pdf' points outside",
        "sheets/rates.xlsx: manifest line 6: expires_at: 'next spring' is not a date",
        "notes/faq.txt: manifest lines 7 and 8 all name this file; keep one row per file.",
        "tool.exe: ‘tool.exe’ is not an accepted type.",
        "Imported without searchable text (1; found by metadata):\n  scanned.pdf:",
        "Hidden files and folders left out (names starting '.'): 1.",
    ):
        assert expected in out, out
    assert out.rstrip().splitlines()[-1] == "Error: 6 files failed (listed above)."
    assert "Traceback" not in out

    with app.app_context():
        deck = db.session.scalar(select(Asset).where(Asset.title == "Atlas overview deck"))
        assert deck.description == "For first calls"
        assert sorted(t.name for t in deck.terms_of("product")) == [
            "Atlas CRM",
            "Beacon Analytics",
        ]
        assert [t.name for t in deck.terms_of("stage")] == ["Discovery", "Demo"]
        assert deck.content_type.name == "Presentation"
        assert deck.tags == ["intro", "pipeline"]
        assert deck.expires_at == date(2031, 6, 30)
        assert deck.owner.email == "admin@example.com"  # the first admin, by default
        no_row = db.session.scalar(select(Asset).where(Asset.title == "Q3 pricing sheet"))
        assert no_row is not None and no_row.status == "published" and no_row.terms == []
        events = db.session.scalars(
            select(Event).where(Event.type.in_(["upload", "import"])).order_by(Event.id)
        )
        types = [e.type for e in events]
        assert types.count("upload") == 3 and types[-1] == "import"
        last = db.session.scalar(select(Event).where(Event.type == "import"))
        assert last.detail["imported"] == 3 and last.detail["failed"] == 6
    # Searchable at once: the outbox was applied at the end of the run.
    assert [r["title"] for r in api.search(q="narwhal")["results"]] == ["Atlas overview deck"]
    assert [r["title"] for r in api.search(q="walrus")["results"]] == ["Q3 pricing sheet"]


def test_a_second_run_skips_everything_already_stored(app, runner, mixed_folder):
    first = run_import(runner, mixed_folder)
    assert "Imported 6, skipped 0, failed 1" in first.output, first.output
    second = run_import(runner, mixed_folder)
    assert "Imported 0, skipped 6, failed 1" in second.output, second.output
    assert re.search(r"scanned\.pdf: already stored as asset \d+ \(“Scanned”\)", second.output)
    assert asset_count(app) == 6


def test_identical_files_in_one_run_are_stored_once(app, runner, tmp_path):
    deck = make_pptx([("Same deck", "Copied twice into the share", "")])
    folder = write_files(tmp_path / "in", {"a/deck.pptx": deck, "b/deck (copy).pptx": deck})
    result = run_import(runner, folder, "--as", "marketer@example.com")
    assert result.exit_code == 0, result.output
    assert "Imported 1, skipped 1, failed 0" in result.output
    assert "b/deck (copy).pptx: same content as 'a/deck.pptx', earlier in this run" in result.output
    assert library(app) == [("Deck", "deck.pptx", True, [], "marketer@example.com")]


def test_one_and_two_processes_give_the_same_library(fresh_app, mixed_folder, tmp_path):
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(BAD_MANIFEST, encoding="utf-8")
    libraries, summaries = [], []
    for processes in ("1", "2"):
        app = fresh_app(f"library-{processes}")
        runner = app.test_cli_runner()
        result = run_import(
            runner, mixed_folder, "--manifest", str(manifest), "--processes", processes
        )
        libraries.append(library(app))
        summaries.append(re.sub(r" in [\d.]+ s\.", "", result.output))
    assert libraries[0] == libraries[1] and len(libraries[0]) == 3
    assert summaries[0] == summaries[1]


def test_several_workers_take_the_largest_files_first_and_copies_in_folder_order(tmp_path):
    sizes = {"a.pdf": 10, "b.pdf": 900, "c/copy-1.pdf": 500, "c/copy-2.pdf": 500, "d.pdf": 70}
    files = [import_plan.PlannedFile(name, tmp_path / name, size) for name, size in sizes.items()]
    assert [f.relpath for f in bulk_import.work_order(files, 1)] == list(sizes)
    assert [f.relpath for f in bulk_import.work_order(files, 2)] == [
        "b.pdf",
        "c/copy-1.pdf",
        "c/copy-2.pdf",
        "d.pdf",
        "a.pdf",
    ]


def test_a_manifest_inside_the_folder_and_links_out_of_it_are_not_imported(app, runner, tmp_path):
    outside = write_files(tmp_path / "outside", {"secret.txt": "not for the library"})
    folder = write_files(tmp_path / "in", {"brief.txt": "The okapi brief"})
    (folder / "manifest.csv").write_text("file,tags\nbrief.txt,okapi\n", encoding="utf-8")
    (folder / "secret.txt").symlink_to(outside / "secret.txt")
    (folder / "linked-folder").symlink_to(outside, target_is_directory=True)
    (folder / "inside-link.txt").symlink_to(folder / "brief.txt")
    os.mkfifo(folder / "pipe")  # opening it would block forever
    result = run_import(runner, folder, "--manifest", str(folder / "manifest.csv"))
    assert result.exit_code == 0, result.output
    assert "Imported 1, skipped 4, failed 0" in result.output
    assert "pipe: not a regular file" in result.output
    assert "secret.txt: a link to outside the folder" in result.output
    assert "linked-folder: a link to a folder; links are not followed" in result.output
    assert "inside-link.txt: same content as 'brief.txt', earlier in this run" in result.output
    with app.app_context():
        assert db.session.scalar(select(Asset.tags)) == ["okapi"]


@pytest.mark.parametrize(
    ("folder", "manifest", "extra", "message"),
    [
        ("nope", None, [], "nope: no such folder."),
        ("in/a.txt", None, [], "a.txt is not a folder."),
        ("in", "absent", [], "manifest: cannot read"),
        ("in", b"file,colour\n", [], "manifest line 1: unknown column 'colour'; the first row"),
        ("in", b"title,tags\n", [], "manifest line 1: no 'file' column"),
        ("in", b"file;title\n", [], "(separate columns with commas)"),
        ("in", b"file\n\xff\xfe\n", [], "manifest: not UTF-8 text"),
        ("in", None, ["--as", "nobody@example.com"], "--as: no user with the email"),
        ("in", None, ["--as", "rep@example.com"], "--as: rep@example.com is a rep"),
    ],
    ids=[
        "no-dir",
        "dir-is-file",
        "no-manifest",
        "unknown-column",
        "no-file-column",
        "semicolons",
        "not-utf8",
        "unknown-user",
        "rep",
    ],
)
def test_a_bad_folder_manifest_or_user_stops_with_one_line(
    app, runner, tmp_path, folder, manifest, extra, message
):
    write_files(tmp_path / "in", {"a.txt": "alpha"})
    args = ["import", str(tmp_path / folder), "--no-progress", *extra]
    if manifest is not None:
        path = tmp_path / "manifest.csv"
        if manifest != "absent":
            path.write_bytes(manifest)
        args += ["--manifest", str(path)]
    result = runner.invoke(args=args)
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and message in result.output, result.output
    assert asset_count(app) == 0


def test_manifest_line_numbers_count_lines_of_the_file(app, tmp_path):
    folder = write_files(tmp_path / "in", {"a.txt": "alpha", "b.txt": "beta", "c.txt": "gamma"})
    manifest = tmp_path / "manifest.csv"
    manifest.write_bytes(
        "\ufeffFile,Title,Description,Products\n"  # a BOM and capitals, as Excel writes them
        'a.txt,Alpha,"two\nlines",Atlas CRM\n'  # lines 2-3
        "\n"  # line 4, blank
        "b.txt,Beta,,Nope\n"  # line 5
        "c.txt,Gamma,,,surplus\n".encode()  # line 6
    )
    with app.app_context():
        user = import_plan.importing_user(None)
        plan = import_plan.plan_import(folder, manifest, user)
        errors = {f.relpath: f.error for f in plan.files}
        assert errors["a.txt"] is None and plan.files[0].fields.description == "two\nlines"
    assert errors["b.txt"].startswith("manifest line 5: products: 'Nope' is not in the taxonomy")
    assert errors["c.txt"] == "manifest line 6: 5 cells, but the header names 4 columns."


def test_without_an_admin_the_import_asks_for_one(app, runner, tmp_path):
    with app.app_context():
        accounts.find_user("admin@example.com").active = False
        db.session.commit()
    result = run_import(runner, write_files(tmp_path / "in", {"a.txt": "alpha"}))
    assert result.exit_code == 1 and "No active admin" in result.output


def test_a_database_never_set_up_stops_with_one_line(tmp_path):
    empty = create_app(app_config(tmp_path, databases.fresh_database_url(tmp_path)))
    folder = write_files(tmp_path / "in", {"a.txt": "alpha"})
    result = run_import(empty.test_cli_runner(), folder)
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
    missing = 'no such table: user|relation "user" does not exist'  # SQLite | PostgreSQL
    assert re.search(rf"Database: ({missing}) \(a new one needs `flask init-db`\)\.", result.output)
    with empty.app_context():
        db.engine.dispose()


def test_the_progress_bar_shows_count_rate_and_time_left(runner, tmp_path):
    folder = write_files(tmp_path / "in", {f"{n}.txt": f"file {n}" for n in range(3)})
    result = runner.invoke(args=["import", str(folder)])
    assert result.exit_code == 0, result.output
    assert re.search(r"3/3 \[\d\d:\d\d<\d\d:\d\d, +[\d.]+file/s\]", result.stderr), result.stderr
    assert "Imported 3" in result.stdout and "file/s" not in result.stdout


def test_an_interrupted_import_keeps_what_was_recorded_and_resumes(app, runner, tmp_path):
    folder = write_files(tmp_path / "in", {f"{n}.txt": f"text number {n}" for n in range(6)})

    imported = []

    def stop_after_two(outcome: import_plan.Outcome) -> None:
        imported.append(outcome.file)
        if len(imported) == 2:
            raise KeyboardInterrupt  # as Ctrl-C would, in the thread that records

    with app.app_context():
        user = import_plan.importing_user(None)
        plan = import_plan.plan_import(folder, None, user)
        report = bulk_import.run_import(plan, user, processes=2, on_progress=stop_after_two)
    assert report.interrupted and len(report.with_status("imported")) == 2
    assert asset_count(app) == 2
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.type == "import"))
        assert event.detail["interrupted"] is True and event.detail["imported"] == 2
    again = run_import(runner, folder)
    assert again.exit_code == 0 and "Imported 4, skipped 2, failed 0" in again.output
    assert asset_count(app) == 6
    with app.app_context():  # the interrupted run left no blob that no version uses
        used = set(db.session.scalars(select(Version.blob_sha256))) | set(
            db.session.scalars(select(Version.thumbnail_sha256))
        )
        assert set(blob_store().iter_blobs()) <= used


def listed_files(output: str) -> dict[str, list[str]]:
    """The files listed under each heading of the summary ("Failed:", "Skipped:", ...)."""
    listed: dict[str, list[str]] = {"Failed": [], "Skipped": []}
    heading = None
    for line in output.splitlines():
        if not line.startswith("  "):
            heading = line.split(" ", 1)[0].rstrip(":")
        elif heading in listed and ": " in line:
            listed[heading].append(line[2:].split(": ", 1)[0])
    return listed


def test_title_from_filename():
    assert import_plan.title_from_filename("q3_pricing-sheet.pdf") == "Q3 pricing sheet"
    assert import_plan.title_from_filename("ACME  Deck.v2.pptx") == "ACME Deck v2"
    assert import_plan.title_from_filename("README") == "README"


@needs_corpus
def test_the_shared_corpus_imports_with_bad_manifest_rows_reported(app, runner, tmp_path):
    manifest = tmp_path / "corpus-manifest.csv"
    manifest.write_text(
        "file,title,products,industries,tags\n"
        "pngx__sample.docx,Sample document,Atlas CRM,Retail,sample;docx\n"
        "pngx__multi-page-digital.pdf,Three pages,Quantum ERP,,\n"  # line 3: unknown product
        "no-such-file.pdf,Ghost,,,\n"  # line 4
        "/etc/passwd,Passwords,,,\n"  # line 5
        "pngx__sample.odt,ODT sample,,Mining,\n",  # line 6: unknown industry
        encoding="utf-8",
    )
    result = run_import(runner, CORPUS, "--manifest", str(manifest))
    out = result.output
    assert "Traceback" not in out and "unexpected error" not in out, out
    assert "pngx__multi-page-digital.pdf: manifest line 3: products: 'Quantum ERP'" in out
    assert "no-such-file.pdf: manifest line 4: file 'no-such-file.pdf' does not exist" in out
    assert "/etc/passwd: manifest line 5: file '/etc/passwd' is an absolute path" in out
    assert "pngx__sample.odt: manifest line 6: industries: 'Mining'" in out
    files = {p.name for p in CORPUS.iterdir() if p.is_file() and not p.name.startswith(".")}
    listed = listed_files(out)
    with app.app_context():
        imported = set(db.session.scalars(select(Version.original_filename)))
    assert not imported & (set(listed["Failed"]) | set(listed["Skipped"]))
    assert imported | set(listed["Failed"]) | set(listed["Skipped"]) == files | {
        "no-such-file.pdf",
        "/etc/passwd",
    }
    assert re.search(rf"Imported {len(imported)}, skipped \d+, failed {len(listed['Failed'])}", out)
    assert result.exit_code == 1 and out.rstrip().endswith("files failed (listed above).")
    with app.app_context():
        sample = db.session.scalar(select(Asset).where(Asset.title == "Sample document"))
        assert [t.name for t in sample.terms_of("product")] == ["Atlas CRM"]
        assert search_index().asset_ids() == set(db.session.scalars(select(Asset.id)))
