"""The blob store's promises; those every store keeps run against the local folder and, with
a server (`make test-s3`), against a bucket."""

import hashlib
import io
import re

import pytest

from collateral.storage import BlobTooLarge, open_blob_store
from collateral.storage import LocalBlobStore as BlobStore
from tests import buckets


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def any_store(request, tmp_path):
    """Each kind of store, empty."""
    if request.param == "local":
        yield BlobStore(tmp_path / "uploads")
        return
    store = open_blob_store(
        buckets.fresh_blob_url("storage"),
        upload_root=tmp_path / "uploads",
        temp_root=tmp_path / "blob-tmp",
        endpoint_url=buckets.ENDPOINT,
    )
    yield store
    for sha256 in list(store.iter_blobs()):
        store.delete(sha256)
    for sha256 in list(store.iter_derived()):
        store.delete_derived(sha256)
    assert not (tmp_path / "uploads").exists()  # a bucket writes nothing there


def test_staged_then_committed_lands_under_its_hash(tmp_path):
    store = BlobStore(tmp_path)
    data = b"pricing deck" * 1000
    with store.staged(io.BytesIO(data)) as staged:
        assert staged.sha256 == hashlib.sha256(data).hexdigest()
        assert staged.size == len(data)
        store.commit(staged)
    path = store.path_for(staged.sha256)
    assert path == tmp_path / staged.sha256[:2] / staged.sha256[2:4] / staged.sha256
    assert path.read_bytes() == data
    assert list(store.iter_temp_files()) == []
    assert list(store.iter_blobs()) == [staged.sha256]


def test_identical_content_is_stored_once(any_store):
    store = any_store
    for _ in range(2):
        with store.staged(io.BytesIO(b"same")) as staged:
            store.commit(staged)
    assert len(list(store.iter_blobs())) == 1
    assert list(store.iter_temp_files()) == []


def test_an_error_before_commit_leaves_nothing(any_store):
    store = any_store
    with pytest.raises(RuntimeError), store.staged(io.BytesIO(b"abc")):
        raise RuntimeError("extraction blew up")
    assert list(store.iter_blobs()) == []
    assert list(store.iter_temp_files()) == []


def test_too_large_stops_reading_and_keeps_nothing(any_store):
    store = any_store
    with pytest.raises(BlobTooLarge), store.staged(io.BytesIO(b"x" * 5000), max_bytes=4096):
        pass
    assert list(store.iter_temp_files()) == []


@pytest.mark.parametrize("name", ["../../etc/passwd", "abc", "A" * 64, "0" * 63 + "/"])
def test_path_for_refuses_anything_but_a_digest(tmp_path, name):
    with pytest.raises(ValueError):
        BlobStore(tmp_path).path_for(name)


def test_delete_removes_the_blob(any_store):
    store = any_store
    with store.staged(io.BytesIO(b"gone soon")) as staged:
        store.commit(staged)
    store.delete(staged.sha256)
    assert not store.exists(staged.sha256)


def test_the_blob_url_picks_the_store(tmp_path):
    default = open_blob_store("", upload_root=tmp_path / "up", temp_root=tmp_path / "t")
    assert isinstance(default, BlobStore) and default.root == tmp_path / "up"
    other = open_blob_store(f"file://{tmp_path}/other", upload_root="u", temp_root="t")
    assert isinstance(other, BlobStore) and other.root == tmp_path / "other"
    bucket = open_blob_store("s3://library-blobs/eu/prod/", upload_root="u", temp_root=tmp_path)
    assert (bucket.bucket, bucket.prefix, bucket.endpoint_url) == (
        "library-blobs",
        "eu/prod/",
        None,
    )
    assert bucket.describe("0" * 64) == f"s3://library-blobs/eu/prod/blobs/00/00/{'0' * 64}"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("s3://Not_A_Bucket", "is not an S3 bucket name"),
        ("s3://", "is not an S3 bucket name"),
        ("s3://blobs/../escape", "may not contain '..'"),
        ("gs://blobs", "use s3://BUCKET[/PREFIX]"),
        ("file:", "needs a folder"),
    ],
)
def test_a_wrong_blob_url_says_what_to_write(tmp_path, url, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        open_blob_store(url, upload_root=tmp_path, temp_root=tmp_path)


def test_derived_files_are_kept_replaced_and_removed_by_their_blob(any_store):
    store = any_store
    sha = store.put_bytes(b"a deck with pages")
    store.put_derived(sha, "page-1-w800", ".webp", b"first drawing")
    store.put_derived(sha, "page-1-w800", ".webp", b"second drawing")  # drawn again
    assert store.derived_exists(sha, "page-1-w800", ".webp")
    opened = store.open_derived(sha, "page-1-w800", ".webp")
    with opened.stream:
        assert opened.size == len(b"second drawing") and opened.stream.read() == b"second drawing"
    assert list(store.iter_derived()) == [sha]
    with pytest.raises(ValueError):
        store.put_derived(sha, "../escape", ".webp", b"x")
    store.delete_derived(sha)
    assert not store.derived_exists(sha, "page-1-w800", ".webp")
    assert list(store.iter_derived()) == [] and list(store.iter_blobs()) == [sha]
