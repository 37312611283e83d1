"""Sending stored files: downloads as attachments with Range requests; previews as images."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, request, send_file

from .models import MAX_ID
from .query_params import positive_int
from .request_input import acting
from .services.audit import search_origin
from .services.collections import ZipDownload
from .services.downloads import (
    PageImage,
    Preview,
    open_download,
    open_page_image,
    open_thumbnail,
    open_video,
    record_download,
)
from .storage import OpenedBlob

PREVIEW_MAX_AGE = 365 * 24 * 3600


def send_stored(
    opened: OpenedBlob,
    *,
    mimetype: str,
    etag: str,
    as_attachment: bool = False,
    download_name: str | None = None,
) -> Response:
    """A stored file, streamed from whichever store holds it, answering Range, If-Range and
    If-None-Match by its ETag as for a file on disk (werkzeug knows the size of a path only)."""
    try:
        response = send_file(
            opened.stream,
            mimetype=mimetype,
            as_attachment=as_attachment,
            download_name=download_name,
            conditional=False,
            etag=etag,
            last_modified=opened.modified,
            max_age=0,
        )
        response.content_length = opened.size
        response = response.make_conditional(
            request.environ, accept_ranges=True, complete_length=opened.size
        )
    except BaseException:
        # A range past the end raises 416 here: no body will be sent, so nothing else would
        # ever close the file (or the bucket's connection).
        opened.stream.close()
        raise
    content_range = response.content_range
    if response.status_code == 206 and opened.expect_end and content_range.stop is not None:
        opened.expect_end(content_range.stop)  # a bucket then fetches only the range sent
    return response


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
    actor = acting()
    download = open_download(actor.user, asset_id, _requested_version())
    response = send_stored(
        download.opened,
        mimetype=download.mime_type,
        etag=download.sha256,
        as_attachment=True,
        download_name=download.filename,
    )
    if _sends_first_byte(response):
        origin = search_origin(actor.user, request.args.get("search"))
        record_download(actor, download, origin)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Whatever the file holds, it never runs as a page of this origin.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def send_video(asset_id: int):
    """A video to play in the page: inline, with its content's type and Range requests, so
    the player can seek. Not counted as a download: the asset page's view is already counted."""
    video = open_video(acting().user, asset_id, _requested_version())
    response = send_stored(video.opened, mimetype=video.mime_type, etag=video.sha256)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _send_preview(preview: Preview | PageImage, fingerprint: str, mimetype: str = "image/jpeg"):
    """An image; cached for a year when the URL names its content, else revalidated."""
    response = send_stored(preview.opened, mimetype=mimetype, etag=preview.etag)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if fingerprint and preview.etag.startswith(fingerprint):
        response.headers["Cache-Control"] = f"private, max-age={PREVIEW_MAX_AGE}, immutable"
    else:
        response.headers["Cache-Control"] = "private, no-cache"
    return response


def send_thumbnail(asset_id: int):
    preview = open_thumbnail(acting().user, asset_id, _requested_version())
    return _send_preview(preview, request.args.get("v", ""))


def send_page_image(asset_id: int, number: int):
    """A page image drawn by the background jobs (never drawn on request)."""
    image = open_page_image(acting().user, asset_id, number)
    return _send_preview(image, request.args.get("v", ""), image.mime_type)


def send_zip(download: ZipDownload) -> Response:
    """A zip written while it is sent (no length known beforehand), as an attachment."""
    ascii_name = download.filename.encode("ascii", "replace").decode().replace('"', "_")
    response = Response(download.chunks, mimetype="application/zip", direct_passthrough=True)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download.filename)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
