"""What a request sends, read once for pages and API alike: who acts and from where, a JSON
body, a multipart upload and the asset fields beside it."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask import request, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from .booleans import parse_bool
from .errors import DuplicateFile, InvalidInput
from .services.actor import Actor
from .services.asset_fields import FIELDS, LIST_FIELDS


def acting() -> Actor:
    """Who makes this request (None when not signed in) and from which address; behind a
    proxy the address is the caller's once ProxyFix is configured (COLLATERAL_PROXY_COUNT)."""
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return Actor(user, request.remote_addr)


def wants_json() -> bool:
    """The API always; a page's script that asks for JSON alone (Accept: application/json),
    so its errors (a stale CSRF token, a file over the limit) come back as JSON too."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def json_object() -> dict:
    """The request's JSON body as an object, or a 400 that says what to send."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # absurdly nested JSON
        body = None
    if not isinstance(body, dict):
        raise InvalidInput("Send a JSON object (Content-Type: application/json).")
    return body


def link_duplicate(exc: DuplicateFile) -> DuplicateFile:
    """Name the page of the asset that already holds a refused file, for the person to open."""
    asset = exc.extra.get("asset")
    if asset is not None and "url" not in asset:
        exc.locate(url_for("library.asset", asset_id=asset["id"]))
    return exc


def uploaded_file() -> FileStorage:
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InvalidInput("file: attach the file as multipart field 'file'.", field="file")
    return file


# Form fields that steer the upload rather than describe the asset.
UPLOAD_OPTIONS = ("csrf_token", "allow_duplicate")


def allow_duplicate() -> bool:
    """Whether the client asked to keep a copy of a file already in the library."""
    raw = request.form.get("allow_duplicate", request.args.get("allow_duplicate", ""))
    try:
        return parse_bool(raw, "allow_duplicate")
    except ValueError as error:
        raise InvalidInput(str(error), field="allow_duplicate") from None


def unknown_field(allowed: Collection[str]) -> str | None:
    """The first form field outside `allowed`; a 400 for a field sent without a name."""
    unknown = [name for name in request.form if name not in allowed]
    if any(not name for name in unknown):  # a part with no name reads as None: sorting it fails
        raise InvalidInput("A form field has no name; give every part of the form its name.")
    return min(unknown, default=None)


def upload_fields() -> dict[str, Any]:
    """The asset fields sent as form fields; list fields may repeat."""
    form = request.form
    unknown = unknown_field((*FIELDS, *UPLOAD_OPTIONS))
    if unknown:
        raise InvalidInput(
            f"{unknown}: not a field of an asset. Fields: {', '.join(FIELDS)}.", field=unknown
        )
    return {
        name: (form.getlist(name) if name in LIST_FIELDS else form.get(name))
        for name in FIELDS
        if name in form
    }
