"""Sending a stored file: streamed, as an attachment, with Range and conditional requests."""

from __future__ import annotations

from flask import request, send_file
from flask_login import current_user

from ..query_params import MAX_ID, positive_int
from ..services.assets import open_download, record_download


def _requested_version() -> int | None:
    raw = request.args.get("version")
    return positive_int(raw, "version", 0, MAX_ID) or None


def _sends_first_byte(response) -> bool:
    """A download worth counting: the whole file, or a range holding its start.

    Later ranges (a video player seeking, a resumed download), 304s and HEADs are the same
    download continuing, or none at all.
    """
    if request.method != "GET":
        return False
    if response.status_code == 200:
        return True
    content_range = response.headers.get("Content-Range", "")
    return response.status_code == 206 and content_range.startswith("bytes 0-")


def send_download(asset_id: int):
    download = open_download(current_user, asset_id, _requested_version())
    response = send_file(
        download.path,
        mimetype=download.mime_type,
        as_attachment=True,
        download_name=download.filename,
        conditional=True,
        etag=download.sha256,
        max_age=0,
    )
    if _sends_first_byte(response):
        record_download(current_user, download)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Whatever the file holds, it never runs as a page of this origin.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
