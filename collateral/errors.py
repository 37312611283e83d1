"""Errors a service raises for a person to act on; views turn them into pages or JSON."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that cannot be done as asked; `message` says what to do instead."""

    status = 400
    code = "invalid_input"

    def __init__(
        self, message: str, *, field: str | None = None, extra: dict | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}  # more for API clients, beside code and message


class InvalidInput(ServiceError):
    status, code = 400, "invalid_input"


class NotSignedIn(ServiceError):
    status, code = 401, "not_signed_in"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not_found"


class HiddenAsset(NotFound):
    """An asset the caller may not see, answered as if it did not exist; `refusal` says why,
    for the audit log (the caller is told only that nothing has that id)."""

    def __init__(self, asset_id: int, reason: str) -> None:
        super().__init__(f"No asset with id {asset_id}.")
        self.refusal = {"reason": reason[:300], "asset_id": asset_id}


class Conflict(ServiceError):
    status, code = 409, "conflict"


class DuplicateFile(Conflict):
    """The same content is already another asset's current version; `extra` names it."""

    code = "duplicate"

    @classmethod
    def of_asset(cls, asset_id: int, title: str, status: str) -> DuplicateFile:
        """The refusal naming the asset that has the file; `locate` adds its page's URL."""
        exc = cls("", field="file", extra={"asset": {"id": asset_id, "title": title}})
        exc._status = status
        exc.locate(None)
        return exc

    def locate(self, url: str | None) -> None:
        asset = self.extra["asset"]
        status = "" if self._status == "published" else f" ({self._status})"
        where = f" ({url})" if url else ""
        if url:
            asset["url"] = url
        self.message = (
            f"This file is already in the library as “{asset['title']}”{status}, asset "
            f"{asset['id']}{where}. Upload a new version of that asset instead, or send "
            "allow_duplicate=true to keep a second copy."
        )


class TooLarge(ServiceError):
    status, code = 413, "file_too_large"


class UnsupportedType(ServiceError):
    status, code = 415, "unsupported_type"


class Unreadable(ServiceError):
    status, code = 422, "unreadable_file"
