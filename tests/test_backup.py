"""`flask backup DEST` and `flask restore SRC`: a snapshot taken while the library is written to
comes back whole in a fresh instance; a damaged backup or a library in use is refused."""

from __future__ import annotations

import io
import json
import threading

import pytest
from sqlalchemy import inspect, select

from collateral import create_app
from collateral.extensions import db
from collateral.models import Asset, Event, Version
from collateral.services.resources import blob_store, search_index
from tests import databases
from tests.conftest import Api, app_config
from tests.factories import make_docx, make_pdf, make_pptx

FILES = {
    "deck.pptx": make_pptx([("Capybara pricing", "Tiers for capybara teams", "Mind the notes")]),
    "brief.docx": make_docx(["Ocelot security brief", "Audit trails for ocelot buyers"]),
    "case.pdf": make_pdf(["Axolotl case study", "Axolotl saved forty hours"]),
}


@pytest.fixture
def library(app, api):
    """Three assets with real files, a second version, downloads and searches."""
    made = {}
    for name, content in FILES.items():
        response = api.upload(content, name, title=name.split(".")[0].title())
        assert response.status_code == 201, response.get_json()
        made[name] = response.get_json()
    new = make_pdf(["Axolotl case study, revised", "Axolotl saved fifty hours"])
    response = api.post(
        f"/api/v1/assets/{made['case.pdf']['id']}/versions",
        data={"file": (io.BytesIO(new), "case-v2.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    for asset in made.values():
        assert api.get(asset["download_url"]).status_code == 200
    api.search(q="capybara")
    return made


def snapshot(app) -> dict:
    """What must survive: assets with their versions' files, and the audit log."""
    with app.app_context():
        assets = {
            a.id: (a.title, a.status, a.current_version_number)
            for a in db.session.scalars(select(Asset))
        }
        versions = {
            (v.asset_id, v.number): (v.original_filename, v.blob_sha256, v.thumbnail_sha256)
            for v in db.session.scalars(select(Version))
        }
        events = {
            (e.id, e.type, e.asset_id, e.user_id, e.at) for e in db.session.scalars(select(Event))
        }
        db.session.rollback()
    return {"assets": assets, "versions": versions, "events": events}


@pytest.fixture
def fresh(tmp_path):
    """A second instance that has never run: no database, store or index yet."""
    root = tmp_path / "fresh"
    url = databases.fresh_database_url(root)
    target = create_app(app_config(root, url))
    yield target
    with target.app_context():
        search_index().close()
        db.engine.dispose()
    databases.drop_database(url)


def invoke(app, *args: str):
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def test_a_backup_taken_while_writing_restores_whole(app, api, library, fresh, tmp_path, tokens):
    before = snapshot(app)
    writing, searches = threading.Event(), []

    def search_meanwhile() -> None:  # another connection adds events throughout the backup
        writer = Api(app.test_client(), tokens)
        while not writing.is_set():
            searches.append(writer.search(q="ocelot")["total"])

    writer = threading.Thread(target=search_meanwhile)
    writer.start()
    try:
        code, output = invoke(app, "backup", str(tmp_path / "backup"))
    finally:
        writing.set()
        writer.join()
    assert code == 0, output
    assert searches and set(searches) == {1}
    after = snapshot(app)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    named = {sha for _, sha, thumb in before["versions"].values() for sha in (sha, thumb)}
    assert {b["sha256"] for b in manifest["blobs"]} == named
    assert manifest["schema_revision"] and manifest["database"]["sha256"]

    code, output = invoke(fresh, "restore", str(tmp_path / "backup"))
    assert code == 0, output
    restored = snapshot(fresh)
    assert restored["assets"] == before["assets"] and restored["versions"] == before["versions"]
    # The audit log as it stood at one moment during the backup: nothing lost, nothing made up.
    assert before["events"] <= restored["events"] <= after["events"]

    there = Api(fresh.test_client(), tokens)  # the users and their tokens came back too
    for name, asset in library.items():
        first = there.get(asset["download_url"] + "?version=1", role="marketer")
        assert first.status_code == 200 and first.data == FILES[name]
        current = there.get(asset["download_url"])
        assert current.data == api.get(asset["download_url"]).data
    hits = {q: [r["id"] for r in there.search(q=q)["results"]] for q in ("capybara", "ocelot")}
    assert hits == {
        "capybara": [library["deck.pptx"]["id"]],
        "ocelot": [library["brief.docx"]["id"]],
    }
    assert there.search(q="fifty hours")["total"] == 1  # the current version's text
    code, output = invoke(fresh, "check")
    assert code == 0, output
    for sha in named:  # thumbnails too, byte for byte
        with app.app_context():
            original = blob_store().path_for(sha).read_bytes()
        with fresh.app_context():
            assert blob_store().path_for(sha).read_bytes() == original


def test_a_damaged_backup_is_refused_and_nothing_touched(app, library, fresh, tmp_path):
    backup = tmp_path / "backup"
    assert invoke(app, "backup", str(backup))[0] == 0
    victim = sorted((backup / "blobs").rglob("*"))[-1]
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0x01
    victim.write_bytes(bytes(data))
    code, output = invoke(fresh, "restore", str(backup))
    assert code == 1
    assert output.strip() == (
        f"Error: Damaged backup: {victim.relative_to(backup)} does not match its hash in the "
        "manifest; nothing was restored."
    )
    with fresh.app_context():
        assert list(blob_store().iter_blobs()) == []
        assert not inspect(db.engine).has_table("asset")
    victim.unlink()
    code, output = invoke(fresh, "restore", str(backup))
    assert code == 1 and "is missing; nothing was restored" in output
    (backup / "manifest.json").unlink()
    code, output = invoke(fresh, "restore", str(backup))
    assert code == 1 and "has no manifest.json" in output


def test_restoring_over_a_library_in_use_needs_force(app, api, library, tmp_path):
    backup = tmp_path / "backup"
    assert invoke(app, "backup", str(backup))[0] == 0
    before = snapshot(app)
    later = api.upload(b"Narwhal notes added after the backup", "n.txt", title="Narwhal")
    assert later.status_code == 201
    code, output = invoke(app, "restore", str(backup))
    assert code == 1
    assert "The library is not empty (4 assets, 4 users, " in output and "--force" in output
    assert api.search(q="narwhal")["total"] == 1  # untouched
    code, output = invoke(app, "restore", str(backup), "--force")
    assert code == 0, output
    assert snapshot(app)["assets"] == before["assets"]
    assert api.search(q="narwhal")["total"] == 0
    with app.app_context():
        assert later.get_json()["current_version"]["sha256"] not in set(blob_store().iter_blobs())
    assert invoke(app, "check")[0] == 0


def test_a_backup_goes_only_into_a_new_or_empty_folder(app, library, tmp_path):
    dest = tmp_path / "used"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    code, output = invoke(app, "backup", str(dest))
    assert (
        code == 1
        and output.strip() == f"Error: {dest} is not an empty folder; back up into a new one."
    )
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]
