"""Two app nodes on one PostgreSQL database and one S3-compatible bucket, each with its own
index folder and no shared disk: what one node does, the other shows within seconds; a node
stopped catches up, a node that lost its index rebuilds it, and a render lost with its node is
done by the other. `make test-cluster` runs it beside real servers (see tests/cluster.py)."""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import time

import pytest
import sqlalchemy as sa

from tests import databases
from tests.cluster import Node, cluster_settings, prepare
from tests.factories import make_pptx

pytestmark = pytest.mark.cluster

WORDS = [f"cluster{chr(97 + n // 26)}{chr(97 + n % 26)}" for n in range(60)]


def text_file(word: str, number: int) -> bytes:
    # Distinct bytes per file: identical uploads would share one blob.
    return f"Account plan {number} for the {word} rollout.\n{os.urandom(8).hex()}\n".encode()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    database_url = databases.fresh_database_url(root)
    settings = cluster_settings(root, database_url, f"cluster-{os.getpid()}")
    tokens = prepare(settings, root)
    a, b = Node("a", root, settings, tokens), Node("b", root, settings, tokens)
    state = {"a": a, "b": b, "database_url": database_url, "uploaded": {}}
    try:
        a.start()
        b.start()
        yield state
    finally:
        for node in (a, b):
            node.kill()


def test_uploads_on_a_are_found_on_b_within_seconds_and_download_byte_identical(cluster):
    a, b, uploaded = cluster["a"], cluster["b"], cluster["uploaded"]
    delays = []
    for number, word in enumerate(WORDS[:20]):
        content = text_file(word, number)
        asset = a.upload(content, f"plan-{number}.txt", f"Plan {number}")
        uploaded[word] = (asset["id"], content)
        delays.append(b.wait_found(word, asset["id"], 5.0))
    print(f"\nA to B: p50 {statistics.median(delays):.2f} s, max {max(delays):.2f} s")
    for asset_id, content in uploaded.values():
        download = b.get(f"/api/v1/assets/{asset_id}/download")
        assert download.status == 200
        assert hashlib.sha256(download.data).digest() == hashlib.sha256(content).digest()
    assert a.local_files() == [] and b.local_files() == []


def test_edits_and_archives_on_b_show_in_searches_on_a(cluster):
    a, b, uploaded = cluster["a"], cluster["b"], cluster["uploaded"]
    renamed, archived = uploaded[WORDS[0]][0], uploaded[WORDS[1]][0]
    response = b.patch(f"/api/v1/assets/{renamed}", json={"title": "Clusterrenamed brief"})
    assert response.status == 200, response.data
    assert b.post(f"/api/v1/assets/{archived}/archive").status == 200
    a.wait_found("clusterrenamed", renamed, 5.0)
    a.wait_found(WORDS[1], archived, 5.0, present=False)  # reps no longer find it


def test_a_stopped_node_catches_up_by_itself_when_it_returns(cluster):
    a, b, uploaded = cluster["a"], cluster["b"], cluster["uploaded"]
    b.stop()
    later = {}
    for number, word in enumerate(WORDS[20:40], start=20):
        content = text_file(word, number)
        later[word] = (a.upload(content, f"plan-{number}.txt", f"Plan {number}")["id"], content)
    uploaded.update(later)
    b.start(wait_ready=False)
    b.wait_ready(60)
    for word, (asset_id, _) in later.items():
        b.wait_found(word, asset_id, 5.0)


def test_a_node_whose_index_folder_is_gone_rebuilds_it_and_is_not_ready_until_then(cluster):
    b, uploaded = cluster["b"], cluster["uploaded"]
    b.stop()
    shutil.rmtree(b.index_root)
    # Without its follower nothing builds the index, so "not ready" can be seen without a race
    # (with it, forty small files are indexed before the first answer can be read).
    b.env["COLLATERAL_INDEX_FOLLOW"] = "false"
    try:
        b.start(wait_ready=False)
        for _ in range(5):
            response = b.readyz()
            assert response.status == 503, response.data
            assert response.json()["index"]["status"] == "building", response.data
            time.sleep(0.1)
        b.stop()
    finally:
        del b.env["COLLATERAL_INDEX_FOLLOW"]
    b.start(wait_ready=False)
    assert b.wait_ready(120)[-1] == 200
    for word, (asset_id, _) in list(uploaded.items())[2:]:
        assert asset_id in b.search(word), word
    assert b.local_files() == []


def test_a_render_lost_with_its_node_is_done_by_the_other(cluster):
    a, b = cluster["a"], cluster["b"]
    slides = [
        (f"Clusterdeck slide {n}", "\n".join(f"Point {n}.{k} " * 8 for k in range(8)), "")
        for n in range(80)
    ]
    asset = a.upload(make_pptx(slides), "big-deck.pptx", "Clusterdeck")
    engine = sa.create_engine(cluster["database_url"], poolclass=sa.pool.NullPool)
    query = sa.text(
        "SELECT preview_status, preview_claimed_by FROM version WHERE asset_id = :a"
    ).bindparams(a=asset["id"])
    try:
        deadline = time.monotonic() + 60
        while True:  # wait for a runner (on either node) to claim it and start drawing
            with engine.connect() as connection:
                status, holder = connection.execute(query).one()
            if holder:
                break
            assert status == "pending" and time.monotonic() < deadline, (status, holder)
            time.sleep(0.05)
        pid = int(holder.rpartition(":")[2])
        doomed, survivor = (a, b) if pid in a.processes() else (b, a)
        assert pid in doomed.processes(), (holder, a.processes(), b.processes())
        doomed.kill()  # mid-render: LibreOffice still converting
        with engine.connect() as connection:
            assert connection.execute(query).one()[0] == "pending"
        deadline = time.monotonic() + 240
        while True:
            with engine.connect() as connection:
                status, holder = connection.execute(query).one()
            if status != "pending":
                break
            assert time.monotonic() < deadline, "the other node never drew the deck"
            time.sleep(0.5)
    finally:
        engine.dispose()
    assert status == "ready", status
    pages = survivor.get(f"/api/v1/assets/{asset['id']}/pages").json()
    assert pages["preview"]["status"] == "ready" and len(pages["pages"]) == 80
    image = survivor.get(pages["pages"][-1]["image_url"])
    assert image.status == 200 and image.headers["Content-Type"].startswith("image/")
    assert a.local_files() == [] and b.local_files() == []
