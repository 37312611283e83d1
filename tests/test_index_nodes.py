"""Several nodes on one database, each with its own index, following the change log.

Two apps here share one database (and, for brevity, one blob folder; tests/test_cluster.py runs
real servers with no shared disk) and keep separate index folders, as two machines would.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from collateral import create_app
from collateral.extensions import db
from collateral.models import ChangeLog, IndexNode
from collateral.services import change_log, indexing
from collateral.services.resources import search_index
from tests import databases
from tests.conftest import Api, app_config


def make_node(root, database, **settings):
    shared = root.parent / "uploads"
    shared.mkdir(exist_ok=True)
    config = {**app_config(root, database), "UPLOAD_ROOT": str(shared)}
    app = create_app({**config, **settings})
    return app


@pytest.fixture
def nodes(tmp_path, template_db):
    """Nodes A and B: A's index built, B's not yet (a machine just added)."""
    database = databases.database_for_test(template_db[0], tmp_path)
    made = []

    def node(name: str, **settings):
        app = make_node(tmp_path / name, database, **settings)
        made.append(app)
        return app, Api(app.test_client(), template_db[1])

    a, api_a = node("a")
    with a.app_context():
        indexing.rebuild_index()
    yield node, (a, api_a)
    for app in made:
        app.extensions["collateral.index_follower"].stop_in_process()
        with app.app_context():
            search_index().close()
            db.engine.dispose()


def found(api: Api, word: str) -> list[int]:
    return [r["id"] for r in api.search(role="marketer", q=word)["results"]]


def follow(app) -> int:
    with app.app_context():
        return indexing.apply_pending_index_updates(rounds=1000, rebuild=True)


def test_a_change_on_one_node_reaches_the_other_through_the_log(nodes):
    node, (a, api_a) = nodes
    b, api_b = node("b")
    ids = [
        api_a.upload(f"Quokka plan number {n}".encode(), f"q{n}.txt", title=f"Q{n}").get_json()[
            "id"
        ]
        for n in range(3)
    ]
    assert sorted(found(api_a, "quokka")) == sorted(ids)
    assert b.test_client().get("/readyz").status_code == 503  # no index yet: it must build
    follow(b)  # its first look builds it from the database
    assert sorted(found(api_b, "quokka")) == sorted(ids)
    assert b.test_client().get("/readyz").get_json()["index"] == {"status": "ok", "lag": 0}

    # An edit and an archive on B reach A only through the log.
    api_b.patch(f"/api/v1/assets/{ids[0]}", json={"title": "Wombat"})
    api_b.post(f"/api/v1/assets/{ids[1]}/archive")
    assert "wombat" not in str(api_a.search(role="marketer", q="wombat"))
    with a.app_context():
        assert indexing.pending_index_updates() == 2
    assert a.test_client().get("/readyz").get_json()["index"] == {"status": "ok", "lag": 2}
    assert follow(a) == 2
    assert found(api_a, "wombat") == [ids[0]]
    assert ids[1] not in found(api_a, "quokka")


def test_the_position_is_recorded_with_the_documents_and_survives_a_restart(nodes, tmp_path):
    node, (a, api_a) = nodes
    asset = api_a.upload(b"Numbat roadmap", "n.txt", title="Numbat").get_json()
    with a.app_context():
        newest = change_log.last_position()
        assert search_index().applied_position() == newest
    # The same folder opened afresh (a restarted process): nothing owed, nothing rebuilt.
    again, api_again = node("a")
    with again.app_context():
        assert indexing.pending_index_updates() == 0
        assert indexing.apply_pending_index_updates(rebuild=True) == 0
    assert found(api_again, "numbat") == [asset["id"]]


def test_rows_go_once_every_recent_node_has_passed_them_and_a_node_left_behind_rebuilds(
    nodes,
):
    node, (a, api_a) = nodes
    b, api_b = node("b")
    follow(b)
    with b.app_context():
        change_log.report_position(search_index().applied_position())
    api_a.upload(b"Tapir one", "t1.txt", title="Tapir one")
    with a.app_context():
        change_log.report_position(search_index().applied_position())
        assert change_log.prune() == 0  # B has not applied the row yet
        assert change_log.count_after(None) == 1
    follow(b)
    with b.app_context():
        change_log.report_position(search_index().applied_position())
        assert change_log.prune() == 1
        assert change_log.count_after(None) == 0
    # B goes quiet for longer than nodes are remembered; A's changes are pruned without it.
    with a.app_context():
        long_ago = change_log.utcnow() - timedelta(hours=100)
        db.session.execute(
            update(IndexNode)
            .where(IndexNode.name != change_log.node_name())
            .values(seen_at=long_ago)
        )
        db.session.commit()
    second = api_a.upload(b"Tapir two", "t2.txt", title="Tapir two").get_json()
    with a.app_context():
        change_log.report_position(search_index().applied_position())
        assert change_log.prune() == 1
        assert db.session.scalar(select(IndexNode.name)) == change_log.node_name()
    # B's index is older than the log: it says so, and its next look rebuilds it.
    assert b.test_client().get("/readyz").get_json()["index"]["status"] == "building"
    assert b.test_client().get("/readyz").status_code == 503
    assert second["id"] not in found(api_b, "tapir")
    follow(b)
    assert second["id"] in found(api_b, "tapir")
    assert b.test_client().get("/readyz").status_code == 200


def test_the_follower_thread_brings_another_nodes_upload_within_two_seconds(nodes):
    node, (a, api_a) = nodes
    b, api_b = node("b", INDEX_FOLLOW=True, INDEX_POLL_SECONDS=0.2)
    assert b.test_client().get("/healthz").status_code == 200  # starts B's follower
    deadline = time.monotonic() + 30
    while b.test_client().get("/readyz").status_code != 200:  # B builds its index first
        assert time.monotonic() < deadline, "B never became ready"
        time.sleep(0.1)
    asset = api_a.upload(b"Axolotl briefing", "ax.txt", title="Axolotl").get_json()
    uploaded = time.monotonic()
    while found(api_b, "axolotl") != [asset["id"]]:
        assert time.monotonic() - uploaded < 2.0, "not searchable on B within 2 s"
        time.sleep(0.05)
    # B reports its position, so A may prune what both have applied.
    deadline = time.monotonic() + 10
    while True:
        with a.app_context():
            positions = dict(db.session.execute(select(IndexNode.name, IndexNode.position)).all())
            newest = change_log.last_position()
        if any(p >= newest for n, p in positions.items() if n.endswith("/b/index")):
            break
        assert time.monotonic() < deadline, positions
        time.sleep(0.2)


def test_a_removed_index_folder_is_rebuilt_and_readyz_says_503_until_then(nodes):
    node, (a, api_a) = nodes
    asset = api_a.upload(b"Pangolin notes", "p.txt", title="Pangolin").get_json()
    import shutil

    shutil.rmtree(a.config["INDEX_ROOT"])
    client = a.test_client()
    assert client.get("/readyz").status_code == 503
    assert client.get("/readyz").get_json()["index"]["status"] == "building"
    follow(a)
    assert client.get("/readyz").status_code == 200
    assert found(api_a, "pangolin") == [asset["id"]]


def test_a_log_row_written_outside_a_change_still_reaches_every_node(nodes):
    """Rows inserted straight into the table (as a migration from the old outbox does) count."""
    node, (a, api_a) = nodes
    asset = api_a.upload(b"Okapi", "o.txt", title="Okapi").get_json()
    with a.app_context():
        db.session.add(ChangeLog(asset_id=asset["id"]))
        db.session.commit()
        assert indexing.pending_index_updates() == 1
    assert follow(a) == 1


def test_after_a_restore_every_node_rebuilds_from_the_restored_database(nodes):
    """Positions a node recorded belong to the database as it was; a restore starts anew."""
    node, (a, api_a) = nodes
    b, api_b = node("b")
    before = api_a.upload(b"Gecko brief", "g.txt", title="Gecko").get_json()
    follow(b)
    assert found(api_b, "gecko") == [before["id"]]
    with a.app_context():
        floor = change_log.start_new_epoch()  # what `restore` does before rebuilding
        indexing.rebuild_index()
    assert b.test_client().get("/readyz").get_json()["index"]["status"] == "building"
    follow(b)
    with b.app_context():
        assert search_index().applied_position() == floor
    after = api_a.upload(b"Gecko sequel", "g2.txt", title="Gecko two").get_json()
    with a.app_context():
        assert change_log.last_position() > floor
    follow(b)
    assert sorted(found(api_b, "gecko")) == sorted([before["id"], after["id"]])


def test_looking_at_the_log_often_leaves_nothing_in_the_index_folder(nodes):
    """The follower looks a few times a second; a look that finds nothing owed writes nothing."""
    node, (a, api_a) = nodes
    api_a.upload(b"Kiwi", "k.txt", title="Kiwi")
    with a.app_context():
        for _ in range(5):
            assert indexing.apply_pending_index_updates(rebuild=True) == 0
        index = search_index()
        index.apply([], [])  # a writer with nothing to write, as before the log
        # (The generation the fixture's rebuild replaced is kept a while for open searchers.)
        assert [path for path in index.leftovers(min_age=0) if path.is_file()] == []
