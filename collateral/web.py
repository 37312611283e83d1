"""Request wiring shared by pages and API: who is calling, CSRF, headers, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import (
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from gunicorn.http.errors import NoMoreData, ParseException
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, ValidationError

from .errors import (
    DuplicateFile,
    Forbidden,
    HiddenAsset,
    InvalidInput,
    NotSignedIn,
    ServiceError,
    TooLarge,
)
from .extensions import csrf, database_busy, db, login_manager, retry_after_seconds
from .filetypes import ACCEPTED_EXTENSIONS
from .models import LIST_TERM_KINDS, MAX_ID, User
from .request_input import acting, link_duplicate, wants_json
from .services.accounts import user_for_session
from .services.audit import record_refusal
from .storage import blob_store_unreachable

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
MAX_SMALL_BODY = 1024 * 1024
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def error_response(status: int, code: str, message: str, extra: dict | None = None):
    """The contract's JSON error for the API; a page with the message elsewhere."""
    if wants_json():
        return jsonify({"error": {"code": code, "message": message, **(extra or {})}}), status
    return render_template("error.html", status=status, message=message), status


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user a session or remember cookie names, unless signed out or disabled since, or
    signed in longer ago than "Keep me signed in" lasts."""
    return user_for_session(session_id, current_app.config["REMEMBER_COOKIE_DURATION"])


def _bearer_user() -> None:
    """Sign the request in from `Authorization: Bearer <token>`; such requests skip CSRF."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return
    from .services.accounts import user_for_token

    user = user_for_token(header[7:].strip())
    if user is None:
        raise NotSignedIn("The API token is invalid or revoked; create a new one on your profile.")
    g._login_user = user  # flask-login's per-request user; no session cookie is written
    g.token_auth = True


BUYER_BLUEPRINT = "buyer"


class LibrarySession(SecureCookieSessionInterface):
    """Flask's signed-cookie session, never written on a buyer's pages (/s/...): a buyer is
    not a user of the library, and a rep opening their own link leaves their session as it was."""

    def save_session(self, app, session, response) -> None:
        if request.blueprint == BUYER_BLUEPRINT:
            return
        super().save_session(app, session, response)


def _check_csrf() -> None:
    """Cookie sessions need the CSRF token; Bearer requests and anonymous API calls (401) don't.
    Buyer routes hold no session: they check their own form token and beacon key."""
    if request.method not in UNSAFE_METHODS or g.get("token_auth"):
        return
    if request.blueprint == BUYER_BLUEPRINT:
        return
    # Only the API answers 401 to the anonymous; a page asking for JSON (the sign-in form
    # included) still needs its token.
    if request.path.startswith("/api/") and not current_user.is_authenticated:
        return
    csrf.protect()


def note_refusal(reason: str, asset_id: int | None = None) -> None:
    """Mark this request as refused, to be audited once its own work is rolled back.

    For refusals that do not look like one (a hidden asset answered with 404); every 403
    is audited anyway, and this adds why.
    """
    g.collateral_refusal = {"reason": reason[:300], "asset_id": asset_id}


def _audit_refusal(response):
    """Record a refused request (403, or a hidden asset answered 404) as a `forbidden` event.

    The request's own work is rolled back first, so the event commits alone.
    """
    note = g.pop("collateral_refusal", None)
    if note is None and response.status_code != 403:
        return response
    db.session.rollback()
    try:
        note = note or {"reason": "refused"}
        if note.get("asset_id") is None:
            note["asset_id"] = (request.view_args or {}).get("asset_id")
        record_refusal(acting(), request.method, request.path, response.status_code, note)
    except Exception:  # the refusal stands even when the log cannot take it
        current_app.logger.exception("could not record a refused request")
        db.session.rollback()
    return response


def _security_headers(response):
    """On every response, error pages included; a view's own stricter CSP is kept, but it
    may never be framed (frame-ancestors does not fall back to default-src)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Content-Security-Policy", CSP)
    if "frame-ancestors" not in response.headers["Content-Security-Policy"]:
        response.headers["Content-Security-Policy"] += "; frame-ancestors 'none'"
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def _no_store_by_default(response):
    """Pages and API answers hold personal data or secrets (a new API token, the users, the
    audit log's CSV), so no browser or proxy cache may keep them: `no-store` unless the view
    chose otherwise. Files and page images choose `private` themselves, so a rep's browser
    revalidates them by ETag; the vendored CSS and JS are the same for everyone."""
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


class BoundedInt(IntegerConverter):
    """`<int:...>` URL parts no larger than a database id, so a huge number is a 404."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        try:
            return super().to_python(value)
        except ValidationError:
            # Werkzeug turns a failed conversion into a 405 when a rule for another method
            # matched the path first (PATCH /assets/<huge>); past the largest id is a 404.
            raise NotFound(f"Nothing has the id {value}; ids go up to {self.max}.") from None


def _refuse_nul_bytes() -> None:
    """A NUL byte is never meaningful in our text fields and some databases refuse it."""
    values = (
        [*request.args.values(), *request.view_args.values()]
        if request.view_args
        else [*request.args.values()]
    )
    if request.method in UNSAFE_METHODS and request.mimetype != "multipart/form-data":
        # Only uploads are large; a JSON or form body past this is not a real request.
        if (request.content_length or 0) > MAX_SMALL_BODY:
            raise TooLarge("Only file uploads may be larger than 1 MB; send the fields as JSON.")
        values += list(request.form.values())
        body = request.get_data(cache=True)
        if b"\x00" in body or b"\\u0000" in body:
            raise InvalidInput("The request contains a NUL character; remove it and try again.")
    if any("\x00" in str(v) for v in values):
        raise InvalidInput("The request contains a NUL character; remove it and try again.")


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInt
    app.jinja_env.globals["term_kinds"] = LIST_TERM_KINDS  # imported macros see globals
    app.session_interface = LibrarySession()
    proxies = int(app.config["PROXY_COUNT"])
    if proxies:  # the caller's real address, for the sign-in limits and the audit log
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    login_manager.login_view = "auth.login"
    login_manager.id_attribute = "new_session_id"  # what login_user keeps in the cookies

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_json():
            return error_response(401, "not_signed_in", "Sign in or send a Bearer token.")
        flash("Sign in to continue.", "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    app.before_request(_refuse_nul_bytes)
    app.before_request(_bearer_user)
    app.before_request(_check_csrf)
    app.after_request(_audit_refusal)
    app.after_request(_security_headers)
    app.after_request(_no_store_by_default)

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        if isinstance(exc, Forbidden):
            note_refusal(exc.message)
        elif isinstance(exc, HiddenAsset):
            note_refusal(**exc.refusal)
        elif isinstance(exc, DuplicateFile) and "asset" in exc.extra:
            link_duplicate(exc)
        if isinstance(exc, NotSignedIn) and not wants_json():
            return unauthorized()
        return error_response(exc.status, exc.code, exc.message, exc.extra)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(
            400,
            "csrf",
            "The form's security token is missing or expired; reload the page and "
            "try again (API clients: send a Bearer token).",
        )

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(exc: RateLimitExceeded):
        wait = retry_after_seconds()
        response = make_response(
            error_response(
                429, "too_many_requests", f"Too many attempts; wait {wait} seconds and try again."
            )
        )
        response.headers["Retry-After"] = str(wait)
        return response

    @app.errorhandler(ParseException)
    @app.errorhandler(NoMoreData)
    def unreadable_body(exc: Exception):
        """gunicorn parses a chunked body only as the app reads it, so a malformed one (a bad
        chunk size or extension, a bare LF) or a body cut short surfaces here: the client's
        fault, answered 400 and logged in one line, not a 500 with a traceback."""
        app.logger.warning(
            "unreadable request body, answered 400: %s %s: %s: %s",
            request.method,
            request.path,
            exc.__class__.__name__,
            exc,
        )
        db.session.rollback()
        return error_response(
            400,
            "malformed_body",
            "The request body could not be read (its chunked encoding is malformed or it "
            "ended early); send it again, with a Content-Length if you can.",
        )

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc):
        limit = app.config["MAX_UPLOAD_MB"]
        return error_response(
            413, "file_too_large", f"The upload is larger than the limit of {limit} MB."
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        response = make_response(error_response(exc.code or 500, code, exc.description or exc.name))
        for name, value in exc.get_headers():  # Allow on a 405, Content-Range on a 416
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if database_busy(exc):  # other workers held the database past the busy timeout
            app.logger.warning("database busy, answered 503: %s", exc.__class__.__name__)
            db.session.rollback()
            response = make_response(
                error_response(
                    503, "busy", "The library is busy with other changes; try again shortly."
                )
            )
            response.headers["Retry-After"] = "5"
            return response
        if blob_store_unreachable(exc):  # the bucket's server is down or failing
            app.logger.warning("blob store unreachable, answered 503: %s", exc)
            db.session.rollback()
            response = make_response(
                error_response(
                    503,
                    "store_unavailable",
                    "The file store cannot be reached right now; try again shortly.",
                )
            )
            response.headers["Retry-After"] = "5"
            return response
        app.logger.exception("unhandled error")
        db.session.rollback()
        return error_response(500, "internal", "Something went wrong on our side; it is logged.")

    @app.context_processor
    def role_helpers():
        from .permissions import can

        def user_can(capability: str) -> bool:
            """Templates ask by capability name: `user_can('upload')`."""
            return can(current_user, capability)

        def unread_notifications() -> int | None:
            """The bell's count, read only by pages that draw the bell; None when the
            database cannot say (an error page must still render)."""
            from sqlalchemy.exc import SQLAlchemyError

            from .services.notifications import unread_count

            try:
                return unread_count(current_user)
            except SQLAlchemyError:
                return None

        def url_with(**changes) -> str:
            """This page's URL with some query parameters changed (None removes one)."""
            args = request.args.copy()
            for key, value in changes.items():
                args.pop(key, None)
                if value is not None:
                    args[key] = value
            return url_for(request.endpoint, **(request.view_args or {})) + (
                "?" + urlencode(list(args.items(multi=True))) if args else ""
            )

        return {
            "user_can": user_can,
            "unread_notifications": unread_notifications,
            "url_with": url_with,
            "today": datetime.now(UTC).date(),
            "accept_attr": ",".join("." + ext for ext in ACCEPTED_EXTENSIONS),
        }
