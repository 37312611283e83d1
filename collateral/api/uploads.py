"""Reading a multipart upload: the file and the asset fields beside it."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask import request
from werkzeug.datastructures import FileStorage

from ..booleans import parse_bool
from ..errors import InvalidInput
from ..services.asset_fields import FIELDS, LIST_FIELDS


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
