"""`flask check`: each disagreement between database, blob store and index, provoked on a real
library, is reported in one line, and `--repair` mends it (or says it cannot)."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from collateral.extensions import db
from collateral.models import Asset, Version
from collateral.search_index import IndexDocument
from collateral.services.consistency import BLOB_GRACE_SECONDS
from collateral.services.indexing import queue_index_update
from collateral.services.resources import blob_store, search_index
from tests.factories import make_pdf


@pytest.fixture
def library(app, api):
    """Two assets with real files and thumbnails, index and store in agreement."""
    pdf = api.upload(make_pdf(["Quokka pricing tiers", "Quokka rollout plan"]), "q.pdf", title="Q")
    txt = api.upload(b"Wombat security overview", "w.txt", title="Wombat")
    assert pdf.status_code == txt.status_code == 201
    return {"pdf": pdf.get_json(), "txt": txt.get_json()}


def check(runner, *args: str):
    result = runner.invoke(args=["check", *args])
    return result.exit_code, result.output.splitlines()


def lines_of(output: list[str], kind: str) -> list[str]:
    return [line for line in output if line.startswith(f"{kind}: ")]


def assert_clean(runner):
    code, output = check(runner)
    assert code == 0, output
    assert output[-1].endswith(": consistent."), output


def test_a_library_in_agreement_is_consistent(library, runner):
    code, output = check(runner)
    assert code == 0
    assert output == ["Checked 2 assets, 2 versions, 4 blobs, 2 index documents: consistent."]


def test_a_missing_blob_is_reported_and_cannot_be_repaired(app, library, runner):
    sha256 = library["txt"]["current_version"]["sha256"]
    with app.app_context():
        blob_store().path_for(sha256).unlink()
    code, output = check(runner, "--repair")
    assert code == 1
    missing = lines_of(output, "missing-blob")
    # Named by asset, version and file; nothing to mend, so no second check.
    assert len(missing) == 1 and f"asset {library['txt']['id']} version 1 (w.txt)" in missing[0]
    assert "cannot mend" in missing[0] and "Checked again after the repair:" not in output
    assert output[-1].startswith("Error: 1 disagreement between")


def test_a_corrupt_blob_is_reported_and_cannot_be_repaired(app, library, runner):
    sha256 = library["pdf"]["current_version"]["sha256"]
    with app.app_context():
        path = blob_store().path_for(sha256)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    code, output = check(runner, "--repair")
    assert code == 1
    corrupt = lines_of(output, "corrupt-blob")
    assert len(corrupt) == 1 and str(path) in corrupt[0] and "(q.pdf)" in corrupt[0]
    assert path.read_bytes() == bytes(data)  # never deleted: a person decides


def drop_blob(app, content: bytes, age_seconds: float) -> str:
    """A complete blob no version names, as a killed upload leaves it."""
    with app.app_context(), blob_store().staged(io.BytesIO(content)) as staged:
        blob_store().commit(staged)
        path = blob_store().path_for(staged.sha256)
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return staged.sha256


def test_an_unreferenced_blob_is_removed(app, library, runner):
    sha256 = drop_blob(app, b"left by a killed upload", BLOB_GRACE_SECONDS + 60)
    code, output = check(runner)
    assert code == 1
    assert len(lines_of(output, "unreferenced-blob")) == 1 and sha256 in output[0]
    code, output = check(runner, "--repair")
    assert code == 0, output
    assert "repaired: removed blobs no version uses: 1" in output
    with app.app_context():
        assert not blob_store().exists(sha256)
    assert_clean(runner)


def test_a_young_unreferenced_blob_is_left_for_its_upload(app, library, runner):
    sha256 = drop_blob(app, b"an upload about to record its rows", 5)
    code, output = check(runner, "--repair")
    assert code == 1
    young = lines_of(output, "unreferenced-blob")
    assert len(young) == 1 and "may be an upload still recording" in young[0]
    with app.app_context():
        assert blob_store().exists(sha256)


def test_thumbnails_count_as_uses_of_a_blob(app, library, runner):
    with app.app_context():
        thumbnails = set(db.session.scalars(select(Version.thumbnail_sha256)))
        assert None not in thumbnails and thumbnails <= set(blob_store().iter_blobs())
    assert_clean(runner)


def test_an_orphan_temp_file_is_removed_but_a_live_one_is_not(app, library, runner):
    with app.app_context():
        store = blob_store()
        store.temp_dir.mkdir(parents=True, exist_ok=True)
        orphan = store.temp_dir / ".upload-killed.part"
        orphan.write_bytes(b"half an upload")
        with store.staged(io.BytesIO(b"an upload still running")) as running:
            code, output = check(runner, "--repair")
            assert running.temp_path.exists()  # its writer holds the lock
        assert [str(orphan) in line for line in lines_of(output, "orphan-temp-file")] == [True]
        assert str(running.temp_path) not in "\n".join(output)
        assert code == 0 and not orphan.exists()
    assert_clean(runner)


def test_page_images_of_a_file_no_longer_used_are_removed(app, library, runner):
    gone = hashlib.sha256(b"a deck deleted long ago").hexdigest()
    kept = library["pdf"]["current_version"]["sha256"]
    with app.app_context():
        blob_store().put_derived(gone, "page-1-w800", ".jpg", b"jpeg")
        blob_store().put_derived(kept, "page-1-w800", ".jpg", b"jpeg")
    code, output = check(runner)
    assert code == 1 and [gone in line for line in lines_of(output, "orphan-derived")] == [True]
    assert check(runner, "--repair")[0] == 0
    with app.app_context():
        assert not blob_store().derived_exists(gone, "page-1-w800", ".jpg")
        assert blob_store().derived_exists(kept, "page-1-w800", ".jpg")


def test_an_asset_missing_from_the_index_is_indexed_again(app, api, library, runner):
    asset_id = library["pdf"]["id"]
    with app.app_context():
        search_index().apply([], deletes=[asset_id])
    assert api.search(q="quokka")["total"] == 0
    code, output = check(runner)
    assert code == 1 and lines_of(output, "index-missing") == [
        f"index-missing: asset {asset_id} is not in the index"
    ]
    code, output = check(runner, "--repair")
    assert code == 0, output
    assert [r["id"] for r in api.search(q="quokka")["results"]] == [asset_id]
    assert_clean(runner)


def test_an_index_document_for_an_asset_not_in_the_database_is_removed(app, api, library, runner):
    ghost = IndexDocument(
        asset_id=9999,
        title="Ghost quokka",
        description="",
        body="",
        filename="ghost.pdf",
        tags=[],
        products=[],
        industries=[],
        stages=[],
        content_type=None,
        status="published",
        sort_date=datetime(2024, 1, 1),
        expires_on=None,
    )
    with app.app_context():
        search_index().apply([ghost])
    code, output = check(runner)
    assert code == 1 and len(lines_of(output, "index-extra")) == 1 and "9999" in output[0]
    assert check(runner, "--repair")[0] == 0
    with app.app_context():
        assert 9999 not in search_index().asset_ids()
    assert_clean(runner)


def test_an_asset_indexed_with_stale_metadata_is_indexed_again(app, api, library, runner):
    asset_id = library["txt"]["id"]
    with app.app_context():
        # A change committed without its outbox row: what a bug or a hand edit leaves.
        db.session.get(Asset, asset_id).title = "Platypus overview"
        db.session.commit()
    assert api.search(q="platypus")["total"] == 0
    code, output = check(runner)
    assert code == 1 and [f"asset {asset_id} is indexed" in x for x in output[:-2]] == [True]
    assert lines_of(output, "index-stale")
    assert check(runner, "--repair")[0] == 0
    assert [r["id"] for r in api.search(q="platypus")["results"]] == [asset_id]


def test_index_updates_still_owed_are_applied(app, api, library, runner):
    asset_id = library["txt"]["id"]
    with app.app_context():
        db.session.get(Asset, asset_id).title = "Echidna overview"
        queue_index_update(asset_id)
        db.session.commit()
    code, output = check(runner)
    assert code == 1
    assert lines_of(output, "outbox-pending") == [
        f"outbox-pending: 1 assets wait for index updates still owed (assets {asset_id})"
    ]
    assert not lines_of(output, "index-stale")  # covered by the outbox line, not twice
    assert check(runner, "--repair")[0] == 0
    assert [r["id"] for r in api.search(q="echidna")["results"]] == [asset_id]
    assert_clean(runner)


def test_a_deleted_thumbnail_is_drawn_again(app, api, library, runner):
    asset_id = library["pdf"]["id"]
    with app.app_context():
        version = db.session.scalar(select(Version).where(Version.asset_id == asset_id))
        thumbnail = version.thumbnail_sha256
        blob_store().delete(thumbnail)
    code, output = check(runner)
    assert code == 1 and [thumbnail in x for x in lines_of(output, "missing-thumbnail")] == [True]
    code, output = check(runner, "--repair")
    assert code == 0 and "repaired: drew missing thumbnails: 1" in output
    response = api.get(f"/api/v1/assets/{asset_id}/thumbnail")
    assert response.status_code == 200 and response.data[:2] == b"\xff\xd8"
    assert_clean(runner)


def test_every_disagreement_at_once_is_mended_in_one_repair(app, api, library, runner):
    with app.app_context():
        store = blob_store()
        (store.temp_dir / ".upload-a.part").write_bytes(b"x")
        search_index().apply([], deletes=[library["pdf"]["id"]])
        queue_index_update(library["txt"]["id"])
        db.session.commit()
    drop_blob(app, b"orphan", BLOB_GRACE_SECONDS * 2)
    code, output = check(runner)
    kinds = {line.split(":", 1)[0] for line in output[:-2]}
    assert kinds == {"orphan-temp-file", "index-missing", "outbox-pending", "unreferenced-blob"}
    assert output[-1] == (
        "Error: 4 disagreements between database, blob store and index; run `check --repair` "
        "to mend what can be."
    )
    code, output = check(runner, "--repair")
    assert code == 0, output
    assert_clean(runner)


# A writer that added a document and was killed before its commit, as a gunicorn worker
# timeout kills one: its segment files and its MAIN.tmp folder stay behind. A rebuild killed
# before its swap leaves a whole generation folder.
KILLED_WRITER = """
import os, signal, sys
from collateral.search_index import SearchIndex, writing
index = SearchIndex(sys.argv[1])
writer = writing.open_writer(index._generations, 5, limitmb=16)
writer.add_document(asset_id=999, title="half written", body="quokka " * 1000)
index._generations.new()
os.kill(os.getpid(), signal.SIGKILL)
"""


def leave_killed_writer(app, age_seconds: float) -> list[Path]:
    """Run a writer in a child process and kill it; what it left under the index root."""
    root = Path(app.config["INDEX_ROOT"])
    before = set(root.rglob("*"))
    subprocess.run([sys.executable, "-c", KILLED_WRITER, str(root)], check=False)
    left = sorted(path for path in set(root.rglob("*")) - before if "WRITELOCK" not in path.name)
    then = time.time() - age_seconds
    for path in left:
        os.utime(path, (then, then))
    return [path for path in left if path.parent not in left]  # the folders, not their files


def test_files_left_by_a_killed_index_writer_are_removed(app, api, library, runner):
    left = leave_killed_writer(app, BLOB_GRACE_SECONDS + 60)
    names = {path.name for path in left}
    assert "MAIN.tmp" in names and any(name.startswith("gen-") for name in names)
    assert any(name.startswith("MAIN_") for name in names), names
    code, output = check(runner)
    assert code == 1
    assert sorted(lines_of(output, "index-leftover")) == sorted(
        f"index-leftover: {path} was left in the index folder by an interrupted index writer"
        for path in left
    )
    code, output = check(runner, "--repair")
    assert code == 0, output
    assert f"repaired: removed index files left by interrupted writers: {len(left)}" in output
    assert not any(path.exists() for path in left)
    assert_clean(runner)
    # The live index is whole: it finds what it held and takes new documents.
    assert api.search(q="quokka")["total"] == 1
    assert api.upload(b"Numbat battlecard", "n.txt", title="Numbat").status_code == 201
    assert api.search(q="numbat")["total"] == 1


def test_young_index_leftovers_and_a_running_writer_are_left_alone(app, library, runner):
    young = leave_killed_writer(app, 5)
    assert_clean(runner)  # a writer that started seconds ago may still be running
    old = leave_killed_writer(app, BLOB_GRACE_SECONDS + 60)
    # On leaving, Whoosh cancels the writer and removes MAIN.tmp, the killed writers' runs with it.
    with app.app_context(), search_index().holding_writer_lock(timeout=5):
        code, output = check(runner, "--repair")
        assert [path for path in young + old if not path.exists()] == []
    assert code == 1 and len(lines_of(output, "index-busy")) == 1
    assert not lines_of(output, "index-leftover")
