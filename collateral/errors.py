"""Errors a service raises for a person to act on; views turn them into pages or JSON."""


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


class Conflict(ServiceError):
    status, code = 409, "conflict"


class DuplicateFile(Conflict):
    """The same content is already another asset's current version; `extra` names it."""

    code = "duplicate"


class TooLarge(ServiceError):
    status, code = 413, "file_too_large"


class UnsupportedType(ServiceError):
    status, code = 415, "unsupported_type"


class Unreadable(ServiceError):
    status, code = 422, "unreadable_file"
