"""Every real-world file of ../shared/corpus through the upload API into one library:
each gets a 201 or a clear 4xx (never a 500), and each readable file is found by a phrase."""

import re

import pytest

from collateral import create_app
from collateral.extensions import db
from collateral.services.resources import search_index
from tests import databases
from tests.conftest import Api, app_config
from tests.corpus import CORPUS, corpus_rows, needs_corpus
from tests.factories import file_field, multipart
from tests.test_extract import CORPUS_PHRASES

ROWS = corpus_rows()
pytestmark = needs_corpus
FOUND_WITHIN = 5  # several corpus files share boilerplate phrases ("This is a test document")


@pytest.fixture(scope="module")
def corpus_library(tmp_path_factory, template_db):
    """One library holding every corpus file that is accepted, uploaded as a marketer."""
    root = tmp_path_factory.mktemp("corpus")
    database, tokens = template_db
    url = databases.copy_database(database, root)
    app = create_app(app_config(root, url))
    api = Api(app.test_client(), tokens)
    answers = {}
    for row in ROWS:
        name = row["filename"]
        fields = {"file": file_field(CORPUS / name), "title": f"Corpus file {name}"}
        response = api.post("/api/v1/assets", **multipart(fields))
        answers[name] = (response.status_code, response.get_json())
    yield api, answers
    with app.app_context():
        search_index().close()
        db.engine.dispose()  # PostgreSQL connections left to the garbage collector warn
    databases.drop_database(url)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["filename"])
def test_every_file_is_stored_or_refused_clearly(corpus_library, row):
    _, answers = corpus_library
    status, body = answers[row["filename"]]
    if status == 201:
        version = body["current_version"]
        assert version["size"] == int(row["bytes"])
        if not version["searchable_text"]:
            assert version["text_error"] or version["mime_type"].startswith(("image/", "video/"))
    else:
        assert status == 415, (row["filename"], status, body)
        assert "Accepted:" in body["error"]["message"]
    if row["flag"] in ("FAKE_TYPE", "LEGACY", "UNSUPPORTED", "ARCHIVE"):
        assert status == 415
    if row["flag"] in ("ENCRYPTED", "NO_TEXT"):
        assert status == 201 and body["current_version"]["searchable_text"] is False


# Phrases with a searchable word (emoji, "g h i" and "g&t" are checked in test_extract only).
PHRASES = [
    (name, phrase)
    for name, items in CORPUS_PHRASES.items()
    for _, phrase in items
    if re.search(r"\w{3,}", phrase)
]


@pytest.mark.parametrize(("filename", "phrase"), PHRASES, ids=[p[0] for p in PHRASES])
def test_readable_file_is_found_by_its_phrase(corpus_library, filename, phrase):
    api, answers = corpus_library
    status, body = answers[filename]
    assert status == 201
    results = api.search(q=phrase.replace("\t", " "), per_page=FOUND_WITHIN)["results"]
    assert body["id"] in [r["id"] for r in results], [r["title"] for r in results]


def test_unreadable_files_are_found_by_their_metadata(corpus_library):
    api, answers = corpus_library
    status, body = answers["pngx__encrypted.pdf"]
    results = api.search(q="pngx__encrypted.pdf")["results"]
    assert body["id"] in [r["id"] for r in results]
