"""The transfer benchmark still runs (tiny size); downloads stay on the sendfile path."""

import shutil

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wsgi import FileWrapper

from tests.factories import make_pdf
from tests.test_bench_smoke import run_bench


@pytest.mark.skipif(shutil.which("curl") is None, reason="the benchmark's client is curl")
def test_the_transfer_benchmark_runs():
    output, rows = run_bench("transfer.py", "--megabytes", "2", "--rounds", "1")
    upload, download = rows
    assert upload["bench"] == "transfer_upload" and upload["megabytes"] == 2.1
    assert upload["seconds"] > 0 and upload["worker_peak_mb"] >= upload["worker_peak_mb_before"] > 0
    assert download["bench"] == "transfer_download" and download["gunicorn_mb_per_s"] > 0
    if shutil.which("nginx") or shutil.which("/usr/sbin/nginx"):
        assert download["nginx_mb_per_s"] > 0 and download["ratio"] > 0
    assert "worker peak RSS" in output and "gunicorn" in output


class ServerFileWrapper(FileWrapper):
    """Stands for the server's `wsgi.file_wrapper` (gunicorn sends these with os.sendfile)."""


def _download(app, api, url: str, **headers: str):
    environ = EnvironBuilder(path=url, headers={**api.headers("rep"), **headers}).get_environ()
    environ["wsgi.file_wrapper"] = ServerFileWrapper
    statuses = []
    body = app(environ, lambda status, response_headers, exc_info=None: statuses.append(status))
    return statuses[0], body


def test_a_whole_download_is_handed_to_the_server_file_wrapper(app, api):
    content = make_pdf(["Sendfile page"])
    asset = api.upload(content, "sendfile.pdf", title="Sendfile").get_json()
    status, body = _download(app, api, asset["download_url"])
    try:
        assert status.startswith("200")
        # The body must be the server's own wrapper, unwrapped, or gunicorn copies it in Python.
        assert type(body) is ServerFileWrapper
        assert b"".join(body) == content
    finally:
        body.close()
    status, body = _download(app, api, asset["download_url"], Range="bytes=0-9")
    try:
        assert status.startswith("206") and b"".join(body) == content[:10]
    finally:
        body.close()
