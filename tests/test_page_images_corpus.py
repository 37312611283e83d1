"""Every paged file of ../shared/corpus (damaged, encrypted, odd) ends ready, none or failed
with a reason, within the time limit, with no job left and no renderer left running."""

import time

import pytest

from collateral import create_app
from collateral.extensions import db
from collateral.models import Version
from collateral.page_images import PAGED_KINDS
from collateral.services.resources import search_index
from tests import databases
from tests.conftest import Api, app_config, run_jobs
from tests.corpus import CORPUS, corpus_rows, needs_corpus
from tests.factories import file_field, multipart

pytestmark = needs_corpus
LIMIT_SECONDS = 60
ROWS = [row for row in corpus_rows() if row["filename"].rsplit(".", 1)[-1] in PAGED_KINDS]


def pending(app) -> int:
    with app.app_context():
        count = db.session.query(Version).filter(Version.preview_status == "pending").count()
        db.session.rollback()
        return count


@pytest.fixture(scope="module")
def drawn(tmp_path_factory, template_db):
    """The corpus's paged files uploaded into one library, then every job run."""
    root = tmp_path_factory.mktemp("corpus-pages")
    database, tokens = template_db
    url = databases.copy_database(database, root)
    # A few pages per file are enough to see each one end; the cap keeps the suite quick.
    settings = {"RENDER_TIMEOUT_SECONDS": LIMIT_SECONDS, "MAX_PAGE_IMAGES": 10}
    app = create_app({**app_config(root, url), **settings})
    api = Api(app.test_client(), tokens)
    ids = {}
    for row in ROWS:
        fields = {"file": file_field(CORPUS / row["filename"]), "title": row["filename"]}
        response = api.post("/api/v1/assets", **multipart(fields))
        if response.status_code == 201:
            ids[row["filename"]] = response.get_json()["id"]
    # Two job threads, as a web process with JOBS_THREADS=2 runs them: half the wait.
    jobs = app.extensions["collateral.jobs"]
    started = time.monotonic()
    jobs.start_in_process(2)
    try:
        while pending(app) and time.monotonic() - started < len(ids) * LIMIT_SECONDS:
            time.sleep(0.5)
    finally:
        jobs.stop_in_process()
    elapsed = time.monotonic() - started
    leftover = run_jobs(app)  # the threads left nothing: this finds no work
    previews = {
        name: api.get(f"/api/v1/assets/{i}").get_json()["preview"] for name, i in ids.items()
    }
    with app.app_context():
        queued = jobs.counts()["queued"]
    yield previews, elapsed, queued + leftover, root
    with app.app_context():
        search_index().close()
        db.engine.dispose()
    databases.drop_database(url)


def test_the_corpus_has_paged_files():
    assert len(ROWS) >= 10


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["filename"])
def test_each_file_ends_ready_none_or_failed_with_a_reason(drawn, row):
    previews, _, _, _ = drawn
    preview = previews.get(row["filename"])
    if preview is None:
        pytest.skip("refused at upload (its own tests say why)")
    assert preview["status"] in ("ready", "none", "failed"), preview
    if preview["status"] == "ready":
        assert preview["pages"] >= 1
    else:
        assert preview["message"], preview
    if row["flag"] == "ENCRYPTED" and row["filename"].endswith(".pdf"):
        assert preview["status"] == "failed" and "password" in preview["message"]


def test_nothing_is_left_queued_or_running_and_each_job_kept_its_limit(drawn):
    previews, elapsed, queued, root = drawn
    assert queued == 0
    assert all(p["status"] != "pending" for p in previews.values())
    assert elapsed < len(previews) * LIMIT_SECONDS
    from tests.test_page_images import processes_mentioning

    assert processes_mentioning(str(root)) == []
