"""The blob store in an S3-compatible bucket, against a real server (`make test-s3` starts
SeaweedFS): bytes and ranges come back exactly, large files go in parts without being held in
memory, a stored blob is never sent again, page images and thumbnails live in the bucket,
`check`, `backup` and `restore` work on it, and nothing is written under the local uploads/."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import time
import tracemalloc
from pathlib import Path

import pytest

from collateral import create_app
from collateral.extensions import db
from collateral.services.consistency import check_library, repair_library
from collateral.services.resources import blob_store, search_index
from collateral.storage import BlobMissing, open_blob_store
from collateral.storage.s3 import TRANSFER_THREADS, S3BlobStore
from tests import databases
from tests.buckets import BUCKET, ENDPOINT, fresh_blob_url, s3_client, s3_settings
from tests.conftest import Api, app_config, run_jobs
from tests.factories import make_pdf
from tests.test_bench_smoke import run_bench

pytestmark = pytest.mark.s3
MIB = 1024 * 1024


def bucket_keys(store) -> list[str]:
    """Every key under the store's prefix, seen from outside the store."""
    pages = (
        s3_client()
        .get_paginator("list_objects_v2")
        .paginate(Bucket=store.bucket, Prefix=store.prefix)
    )
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def empty(store) -> None:
    keys = bucket_keys(store)
    for start in range(0, len(keys), 1000):
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        s3_client().delete_objects(Bucket=store.bucket, Delete={"Objects": batch})


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def store(tmp_path):
    made = open_blob_store(
        fresh_blob_url("store"),
        upload_root=tmp_path / "uploads",
        temp_root=tmp_path / "blob-tmp",
        endpoint_url=ENDPOINT,
    )
    yield made
    empty(made)


def s3_app(root: Path, database: str, name: str):
    app = create_app({**app_config(root, database), **s3_settings(name)})
    with app.app_context():
        search_index().ensure_exists()
    return app


def close(app) -> None:
    with app.app_context():
        empty(blob_store())
        search_index().close()
        db.engine.dispose()


@pytest.fixture
def app(tmp_path, template_db, request):
    """The library of conftest.py, its blobs in a prefix of the test bucket of its own."""
    database = databases.database_for_test(template_db[0], tmp_path)
    made = s3_app(tmp_path, database, request.node.name)
    yield made
    close(made)


def test_a_blob_goes_to_the_bucket_under_its_hash_and_comes_back(store, tmp_path):
    data = os.urandom(300_000)
    with store.staged(io.BytesIO(data)) as staged:
        store.commit(staged)
    sha = hashlib.sha256(data).hexdigest()
    assert staged.sha256 == sha and staged.size == len(data)
    assert bucket_keys(store) == [f"{store.prefix}blobs/{sha[:2]}/{sha[2:4]}/{sha}"]
    assert store.exists(sha) and list(store.iter_blobs()) == [sha]
    assert store.read_bytes(sha) == data and store.blob_matches(sha)
    assert store.describe(sha).startswith(f"s3://{store.bucket}/{store.prefix}blobs/")
    opened = store.open(sha)
    with opened.stream as stream:
        assert opened.size == len(data)
        stream.seek(1000)
        assert stream.read(500) == data[1000:1500]
        stream.seek(-10, io.SEEK_END)
        assert stream.read() == data[-10:]
        stream.seek(0)
        assert stream.read(3) == data[:3]
    with store.local_copy(sha) as path:
        assert path.read_bytes() == data and path.parent == tmp_path / "blob-tmp"
    assert not path.exists()
    assert list(store.iter_temp_files()) == []
    assert not (tmp_path / "uploads").exists()
    store.delete(sha)
    assert not store.exists(sha) and bucket_keys(store) == []
    with pytest.raises(BlobMissing):
        store.open(sha)
    with pytest.raises(BlobMissing), store.local_copy(sha):
        pass
    assert files_under(tmp_path / "blob-tmp") == []


def test_an_upload_that_fails_before_its_commit_leaves_nothing(store, tmp_path):
    with pytest.raises(RuntimeError), store.staged(io.BytesIO(b"half a deck")):
        raise RuntimeError("extraction blew up")
    assert bucket_keys(store) == [] and files_under(tmp_path / "blob-tmp") == []


def test_a_blob_already_in_the_bucket_is_never_sent_again(store):
    data = b"the same pricing deck " * 5000
    sha = store.put_bytes(data)
    key = bucket_keys(store)[0]
    first = s3_client().head_object(Bucket=store.bucket, Key=key)
    sent = []
    for operation in ("PutObject", "CreateMultipartUpload", "UploadPart"):
        store.client.meta.events.register(
            f"before-call.s3.{operation}", lambda model, **_: sent.append(model.name)
        )
    time.sleep(1.1)  # LastModified counts whole seconds
    assert store.put_bytes(data) == sha
    assert sent == []
    again = s3_client().head_object(Bucket=store.bucket, Key=key)
    assert again["ETag"] == first["ETag"] and again["ContentLength"] == len(data)
    # Its date is renewed, so `check --repair` leaves it to the upload that just stored it.
    assert again["LastModified"] > first["LastModified"]
    assert store.read_bytes(sha) == data and list(store.iter_blobs()) == [sha]


def test_a_large_upload_goes_in_parts_without_holding_the_file(tmp_path):
    """Memory is bounded by the parts in flight (part size x threads), not the file's size."""
    store = S3BlobStore(
        BUCKET,
        fresh_blob_url("large").split("/", 3)[3],
        temp_dir=tmp_path / "blob-tmp",
        endpoint_url=ENDPOINT,
        part_bytes=5 * MIB,
    )
    size = 80 * MIB
    big = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with big.open("wb") as out:
        for number in range(size // MIB):
            chunk = hashlib.sha256(str(number).encode()).digest() * (MIB // 32)
            digest.update(chunk)
            out.write(chunk)
    try:
        tracemalloc.start()
        try:
            with big.open("rb") as stream, store.staged(stream) as staged:
                store.commit(staged)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert staged.sha256 == digest.hexdigest() and staged.size == size
        bound = (TRANSFER_THREADS + 2) * store.part_bytes
        assert peak < bound < size / 2, f"{peak / MIB:.1f} MiB held sending {size // MIB} MiB"
        head = s3_client().head_object(Bucket=store.bucket, Key=bucket_keys(store)[0])
        assert head["ContentLength"] == size
        assert head["ETag"].strip('"').endswith(f"-{size // store.part_bytes}")  # in parts
        tracemalloc.start()
        try:
            assert store.blob_matches(staged.sha256)  # read back whole, as a stream
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 8 * MIB, f"{peak / MIB:.1f} MiB held while reading {size // MIB} MiB"
        with store.local_copy(staged.sha256) as path:  # fetched in parts, in order
            copied = hashlib.sha256()
            with path.open("rb") as fetched:
                while chunk := fetched.read(MIB):
                    copied.update(chunk)
            assert copied.hexdigest() == staged.sha256
        assert not path.exists()
    finally:
        empty(store)


def test_downloads_stream_from_the_bucket_with_ranges(app, api, tmp_path):
    content = make_pdf(["Axolotl case study", "Axolotl saved forty hours"])
    response = api.upload(content, "case.pdf", title="Axolotl case")
    assert response.status_code == 201, response.get_json()
    asset = response.get_json()
    url = asset["download_url"]
    full = api.get(url)
    assert full.status_code == 200 and full.data == content
    assert full.headers["Content-Length"] == str(len(content))
    assert full.headers["Accept-Ranges"] == "bytes"
    etag = full.headers["ETag"]
    assert etag == f'"{asset["current_version"]["sha256"]}"'
    asked = []
    with app.app_context():
        blob_store().client.meta.events.register(
            "before-call.s3.GetObject", lambda params, **_: asked.append(params["headers"]["Range"])
        )
    part = api.get(url, headers={"Range": "bytes=10-99"})
    assert part.status_code == 206 and part.data == content[10:100]
    assert part.headers["Content-Range"] == f"bytes 10-99/{len(content)}"
    assert asked == ["bytes=10-99"]  # the range alone is fetched from the bucket
    tail = api.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.data == content[-50:]
    same = api.get(url, headers={"Range": "bytes=5-9", "If-Range": etag})
    assert same.status_code == 206 and same.data == content[5:10]
    changed = api.get(url, headers={"Range": "bytes=5-9", "If-Range": '"another"'})
    assert changed.status_code == 200 and changed.data == content
    assert api.get(url, headers={"If-None-Match": etag}).status_code == 304
    past = api.get(url, headers={"Range": f"bytes={len(content) + 10}-"})
    assert past.status_code == 416
    with app.app_context():
        keys = bucket_keys(blob_store())
    assert any(key.endswith(asset["current_version"]["sha256"]) for key in keys)
    assert not (tmp_path / "uploads").exists()
    assert files_under(tmp_path / "instance" / "blob-tmp") == []


def test_page_images_and_thumbnails_live_in_the_bucket(app, api, tmp_path):
    content = make_pdf(["Capybara pricing", "Tiers for capybara teams", "Questions"])
    asset = api.upload(content, "pricing.pdf", title="Capybara pricing").get_json()
    assert run_jobs(app) >= 1
    listing = api.get(f"/api/v1/assets/{asset['id']}/pages").get_json()
    assert listing["preview"]["status"] == "ready" and len(listing["pages"]) == 3
    image = api.get(listing["pages"][1]["image_url"])
    assert image.status_code == 200 and image.mimetype.startswith("image/")
    assert (
        api.get(
            listing["pages"][1]["image_url"], headers={"If-None-Match": image.headers["ETag"]}
        ).status_code
        == 304
    )
    thumbnail = api.get(f"/api/v1/assets/{asset['id']}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.data[:3] == b"\xff\xd8\xff"  # a JPEG
    sha = asset["current_version"]["sha256"]
    with app.app_context():
        store = blob_store()
        keys = bucket_keys(store)
        derived = [k for k in keys if k.startswith(f"{store.prefix}derived/{sha[:2]}/{sha}/")]
        assert len(derived) == 3 and list(store.iter_derived()) == [sha]
        thumbnail_sha = hashlib.sha256(thumbnail.data).hexdigest()
        assert set(store.iter_blobs()) == {sha, thumbnail_sha}
    assert not (tmp_path / "uploads").exists()
    assert files_under(tmp_path / "instance" / "blob-tmp") == []


def test_check_finds_and_mends_what_is_wrong_in_the_bucket(app, api, runner):
    kept = api.upload(make_pdf(["Ocelot security brief"]), "brief.pdf", title="Ocelot")
    sha = kept.get_json()["current_version"]["sha256"]
    run_jobs(app)
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    gone = hashlib.sha256(b"a deck deleted long ago").hexdigest()
    with app.app_context():
        store = blob_store()
        leftover = store.put_bytes(b"left by an upload killed before its rows")
        store.put_derived(gone, "page-1-w800", ".webp", b"RIFF")
        found = check_library(grace_seconds=0)
        kinds = sorted(f.kind for f in found.findings)
        assert kinds == ["orphan-derived", "unreferenced-blob"]
        (unused,) = found.of_kind("unreferenced-blob")
        assert unused.subject == leftover and store.describe(leftover) in unused.message
        repair_library(found, grace_seconds=0)
        assert not store.exists(leftover) and list(store.iter_derived()) == [sha]
        assert check_library(grace_seconds=0).findings == []
        # Bytes changed behind the store's back are found, never taken for the real thing.
        s3_client().put_object(Bucket=store.bucket, Key=store._blob_key(sha), Body=b"damaged")
        (corrupt,) = check_library(grace_seconds=0).of_kind("corrupt-blob")
        assert corrupt.subject == sha and f"s3://{store.bucket}/" in corrupt.message
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1 and "corrupt-blob: s3://" in result.output


def test_check_aborts_uploads_a_killed_worker_left_unfinished(app):
    with app.app_context():
        store = blob_store()
        client = s3_client()
        key = store._blob_key(hashlib.sha256(b"a big deck, cut off").hexdigest())
        upload = client.create_multipart_upload(Bucket=store.bucket, Key=key)
        client.upload_part(
            Bucket=store.bucket,
            Key=key,
            UploadId=upload["UploadId"],
            PartNumber=1,
            Body=b"x" * 1024,
        )
        # Young: a live worker may still be sending it.
        assert check_library(grace_seconds=0).findings == []
        found = check_library(grace_seconds=0, upload_grace_seconds=0)
        (abandoned,) = found.of_kind("abandoned-upload")
        assert abandoned.subject == f"s3://{store.bucket}/{key}#{upload['UploadId']}"
        assert repair_library(found, grace_seconds=0) == [
            "aborted unfinished uploads to the bucket: 1"
        ]
        left = client.list_multipart_uploads(Bucket=store.bucket, Prefix=store.prefix)
        assert left.get("Uploads", []) == []
        assert check_library(grace_seconds=0, upload_grace_seconds=0).findings == []
        with pytest.raises(ValueError):
            store.abort_upload("s3://elsewhere/blobs/x#1")


def test_backup_and_restore_through_the_bucket(app, api, tmp_path, tokens):
    files = {
        "case.pdf": make_pdf(["Axolotl case study", "Axolotl saved forty hours"]),
        "notes.txt": b"Narwhal notes for the renewal call",
    }
    made = {}
    for name, content in files.items():
        response = api.upload(content, name, title=name.split(".")[0])
        assert response.status_code == 201, response.get_json()
        made[name] = response.get_json()
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    with app.app_context():
        assert {b["sha256"] for b in manifest["blobs"]} == set(blob_store().iter_blobs())

    root = tmp_path / "fresh"
    url = databases.fresh_database_url(root)
    fresh = s3_app(root, url, "restored")
    try:
        result = fresh.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup")])
        assert result.exit_code == 0, result.output
        there = Api(fresh.test_client(), tokens)
        for name, asset in made.items():
            response = there.get(asset["download_url"])
            assert response.status_code == 200 and response.data == files[name]
        assert there.search(q="narwhal")["total"] == 1
        with fresh.app_context():
            assert set(blob_store().iter_blobs()) == {b["sha256"] for b in manifest["blobs"]}
        result = fresh.test_cli_runner().invoke(args=["check"])
        assert result.exit_code == 0, result.output
    finally:
        close(fresh)
        databases.drop_database(url)
    assert not (tmp_path / "uploads").exists() and not (root / "uploads").exists()


def test_readyz_says_whether_the_bucket_answers(app, client, tmp_path, template_db):
    assert client.get("/readyz").get_json()["blob_store"] == "ok"
    root = tmp_path / "elsewhere"
    database = databases.database_for_test(template_db[0], root)
    settings = {**app_config(root, database), "S3_ENDPOINT_URL": ENDPOINT}
    missing = create_app({**settings, "BLOB_URL": "s3://no-such-bucket-here"})
    # A server that does not answer: /readyz says so within seconds, as load balancers wait.
    unreachable = create_app(
        {**settings, "BLOB_URL": "s3://collateral-test", "S3_ENDPOINT_URL": "http://127.0.0.1:9"}
    )
    try:
        for gone in (missing, unreachable):
            started = time.monotonic()
            response = gone.test_client().get("/readyz")
            assert response.status_code == 503
            assert response.get_json()["blob_store"] == "unavailable"
            assert time.monotonic() - started < 5
    finally:
        for gone in (missing, unreachable):
            with gone.app_context():
                db.engine.dispose()


@pytest.mark.skipif(shutil.which("curl") is None, reason="the benchmark's client is curl")
def test_the_blob_store_benchmark_runs():
    output, rows = run_bench("blob_store.py", "--megabytes", "2", "--rounds", "1")
    assert [row["store"] for row in rows] == ["local", "s3"]
    for row in rows:
        assert row["upload_mb_per_s"] > 0 and row["download_mb_per_s"] > 0
        assert row["store_api_mb_per_s"] > 0 and row["worker_peak_mb"] > 0
    assert rows[0]["local_files_written"] > 0 and rows[1]["local_files_written"] == 0
    assert "store API MB/s" in output


def test_a_bucket_that_cannot_be_reached_answers_503_and_keeps_nothing(
    tmp_path, template_db, tokens
):
    root = tmp_path / "cut-off"
    database = databases.database_for_test(template_db[0], root)
    settings = {**app_config(root, database), "BLOB_URL": "s3://collateral-test/cut-off"}
    cut_off = create_app({**settings, "S3_ENDPOINT_URL": "http://127.0.0.1:9"})
    try:
        there = Api(cut_off.test_client(), tokens)
        response = there.upload(b"Walrus notes for the call", "walrus.txt", title="Walrus")
        assert response.status_code == 503, response.get_json()
        assert response.get_json()["error"]["code"] == "store_unavailable"
        assert response.headers["Retry-After"] == "5"
        assert there.search(q="walrus")["total"] == 0
        assert files_under(root / "instance" / "blob-tmp") == []
        assert not (root / "uploads").exists()
    finally:
        with cut_off.app_context():
            db.engine.dispose()
