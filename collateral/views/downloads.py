"""Sending a stored file: streamed, as an attachment, with Range and conditional requests."""

from __future__ import annotations

from flask import request, send_file
from flask_login import current_user

from ..errors import InvalidInput
from ..services.assets import open_download


def _requested_version() -> int | None:
    raw = request.args.get("version")
    if raw in (None, ""):
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidInput("version: must be a version number (1, 2, ...).", field="version")
    return int(raw)


def _is_first_request_for_file() -> bool:
    """Range requests after the first (video seeking, resumed downloads) are not new downloads."""
    range_header = request.headers.get("Range", "")
    return not range_header or range_header.replace(" ", "").startswith("bytes=0-")


def send_download(asset_id: int):
    download = open_download(
        current_user, asset_id, _requested_version(), audit=_is_first_request_for_file()
    )
    response = send_file(
        download.path,
        mimetype=download.mime_type,
        as_attachment=True,
        download_name=download.filename,
        conditional=True,
        etag=download.sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Whatever the file holds, it never runs as a page of this origin.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
