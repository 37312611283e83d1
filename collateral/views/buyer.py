"""What buyers see: /s/<token>, its page images, downloads and the time beacons.

A buyer is not a user of the library. These routes take a share token and reach only that
share's assets; they never read or set the library's session (web.LibrarySession skips this
blueprint) and keep the buyer's proof of passcode or email in a cookie of their own, signed
and scoped to the link's path.
"""

from __future__ import annotations

import hmac
import json
import secrets
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import HTTPException

from ..errors import InvalidInput, ServiceError
from ..extensions import limiter, retry_after_seconds
from ..file_responses import send_stored
from ..models import Share, utcnow
from ..services.share_access import (
    Link,
    beacon_pages,
    buyer_assets,
    open_buyer_page_image,
    open_link,
    open_shared_download,
    passcode_matches,
    passcode_proof,
    shared_asset,
)
from ..services.share_mail import dispatch_share_opened_mail
from ..services.share_visits import (
    BeaconConflict,
    TooManyBeacons,
    begin_visit,
    current_visit,
    record_beacon,
    record_share_download,
)
from ..services.shares import EMAIL, token_hash

buyer_bp = Blueprint("buyer", __name__, url_prefix="/s")

COOKIE = "collateral_buyer"
MAX_BEACON_BYTES = 64 * 1024
BUYER_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
BEACON_TYPES = ("text/plain", "application/json")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="collateral-buyer")


def _proof() -> dict[str, str]:
    """The buyer's cookie: visitor key, form nonce, passcode proof and email (or empty)."""
    raw = request.cookies.get(COOKIE, "")
    try:
        value = _serializer().loads(raw) if raw else {}
    except BadSignature:
        value = {}
    if not isinstance(value, dict):
        value = {}
    proof = {k: str(value.get(k, "")) for k in ("v", "n", "p", "e")}
    if len(proof["v"]) < 16:
        proof["v"] = secrets.token_urlsafe(16)
    if len(proof["n"]) < 16:
        proof["n"] = secrets.token_urlsafe(16)
    return proof


def _keep(response, token: str, proof: dict[str, str]):
    response.set_cookie(
        COOKIE,
        _serializer().dumps(proof),
        max_age=90 * 24 * 3600,
        path=f"/s/{token}",
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
        httponly=True,
        samesite="Lax",
    )
    return response


def _form_token(proof: dict[str, str]) -> str:
    """The form's CSRF token: tied to the nonce in the buyer's own signed cookie."""
    key = current_app.secret_key.encode() if isinstance(current_app.secret_key, str) else b""
    return hmac.new(key, b"buyer-form:" + proof["n"].encode(), "sha256").hexdigest()


def _gate(share: Share, proof: dict[str, str]) -> str | None:
    """The form a buyer must fill first ("passcode", "email"), or None."""
    if share.passcode_hash is not None and not hmac.compare_digest(
        proof["p"], passcode_proof(share)
    ):
        return "passcode"
    if share.require_email and not proof["e"]:
        return "email"
    return None


@buyer_bp.after_request
def _buyer_headers(response):
    """Not indexed, no referrer leaking the token, no inline script, never cached shared."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Content-Security-Policy", BUYER_CSP)
    response.headers.setdefault("Cache-Control", "private, no-store")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _gone(link: Link):
    """The same page for unknown (404) and revoked or expired (410) links, apart from the
    sentence naming the sender, so the page never tells which tokens exist."""
    page = render_template(
        "buyer/gone.html",
        company=current_app.config["COMPANY_NAME"],
        sender=link.sender if link.status == 410 else "",
    )
    return make_response(page, link.status)


def _working_link(token: str) -> tuple[Share, dict[str, str]]:
    """The share behind a working link whose forms the buyer has passed; else abort with
    the gone page (404/410) or a 403 for assets asked before the forms."""
    link = open_link(token)
    if link.status != 200:
        abort(_gone(link))
    proof = _proof()
    if _gate(link.share, proof):
        abort(make_response("Open the link first.", 403))
    return link.share, proof


def _gate_page(share: Share, proof: dict[str, str], gate: str, status: int = 200, error=""):
    page = render_template(
        "buyer/gate.html",
        share=share,
        gate=gate,
        company=current_app.config["COMPANY_NAME"],
        form_token=_form_token(proof),
        error=error,
        email=proof["e"],
    )
    return _keep(make_response(page, status), share.token, proof)


@buyer_bp.get("/<token>")
def page(token: str):
    link = open_link(token)
    if link.status != 200:
        return _gone(link)
    share, proof = link.share, _proof()
    gate = _gate(share, proof)
    if gate:
        return _gate_page(share, proof, gate)
    assets, left_out = buyer_assets(share)
    visit, new = begin_visit(share, proof["v"], proof["e"] or None, request.remote_addr, assets)
    if new:
        dispatch_share_opened_mail(visit.id, url_for("library.search", _external=True))
    html = render_template(
        "buyer/page.html",
        share=share,
        assets=assets,
        left_out=left_out,
        visit=visit,
        company=current_app.config["COMPANY_NAME"],
        sender=link.sender,
    )
    return _keep(make_response(html), token, proof)


def _passcode_key() -> str:
    return "share:" + token_hash(request.view_args.get("token", ""))


def _wrong_passcode(response) -> bool:
    return response.status_code == 401


@buyer_bp.post("/<token>")
@limiter.limit(
    lambda: current_app.config["SHARE_PASSCODE_LIMIT"],
    key_func=_passcode_key,
    deduct_when=_wrong_passcode,
    scope="share-passcode-link",
)
@limiter.limit(
    lambda: current_app.config["SHARE_PASSCODE_ADDRESS_LIMIT"],
    key_func=get_remote_address,
    deduct_when=_wrong_passcode,
    scope="share-passcode-address",
)
def unlock(token: str):
    """The passcode or email form: checked against the buyer's own cookie nonce (CSRF)."""
    link = open_link(token)
    if link.status != 200:
        return _gone(link)
    share, proof = link.share, _proof()
    sent = request.form.get("form_token", "")
    if not hmac.compare_digest(sent.encode(), _form_token(proof).encode()):
        gate = _gate(share, proof) or "passcode"
        message = "The form had expired; please try again."
        return _gate_page(share, proof, gate, 400, message)
    if share.passcode_hash is not None and _gate(share, proof) == "passcode":
        if not passcode_matches(share, request.form.get("passcode", "")):
            return _gate_page(share, proof, "passcode", 401, "That passcode is not right.")
        proof["p"] = passcode_proof(share)
    if share.require_email and not proof["e"]:
        email = request.form.get("email", "").strip()[:254]
        if "email" in request.form or _gate(share, proof) == "email":
            if not EMAIL.match(email):
                return _gate_page(share, proof, "email", 400, "Type your email address.")
            proof["e"] = email
    return _keep(redirect(url_for("buyer.page", token=token), 303), token, proof)


@buyer_bp.errorhandler(RateLimitExceeded)
def too_many_passcodes(exc: RateLimitExceeded):
    wait = retry_after_seconds()
    link = open_link(request.view_args.get("token", ""))
    if link.status != 200:
        return _gone(link)
    message = f"Too many wrong passcodes. Wait {wait} seconds, then try again."
    response = _gate_page(link.share, _proof(), "passcode", 429, message)
    response.headers["Retry-After"] = str(wait)
    return response


@buyer_bp.get("/<token>/assets/<int:asset_id>/pages/<int:page_number>")
def page_image(token: str, asset_id: int, page_number: int):
    share, _ = _working_link(token)
    _, version = shared_asset(share, asset_id)
    image = open_buyer_page_image(version, page_number)
    response = send_stored(image.opened, mimetype=image.mime_type, etag=image.etag)
    # Revalidated each time, so a revoked link stops showing pages at once.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@buyer_bp.get("/<token>/assets/<int:asset_id>/download")
def download(token: str, asset_id: int):
    share, proof = _working_link(token)
    download = open_shared_download(share, asset_id)
    response = send_stored(
        download.opened,
        mimetype=download.mime_type,
        etag=download.sha256,
        as_attachment=True,
        download_name=download.filename,
    )
    first_byte = response.status_code == 200 or (
        response.status_code == 206
        and response.headers.get("Content-Range", "").startswith("bytes 0-")
    )
    if request.method == "GET" and first_byte:
        visit = current_visit(share, proof["v"])
        record_share_download(share, visit, download, request.remote_addr)
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    # The buyer's own copy: no shared cache keeps it, and a revoked link stops it at once.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _same_origin() -> bool:
    """sendBeacon cannot send a CSRF header; refuse what a browser says came from elsewhere."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    return origin is None or origin == request.host_url.rstrip("/")


def _beacon_body() -> Any:
    if request.mimetype not in BEACON_TYPES:
        raise InvalidInput("Send the beacon as text/plain or application/json.")
    if (request.content_length or 0) > MAX_BEACON_BYTES:
        raise InvalidInput("A beacon is at most 64 KB.")
    try:
        return json.loads(request.get_data(cache=True)[:MAX_BEACON_BYTES])
    except (ValueError, RecursionError):
        raise InvalidInput("The beacon is not JSON.") from None


@buyer_bp.post("/<token>/beacon")
def beacon(token: str):
    """Seconds per page from the buyer's page; answers what it accepted."""
    if not _same_origin():
        raise InvalidInput("Beacons come only from the link's own page.")
    link = open_link(token)
    if link.status != 200:
        return jsonify({"error": {"code": "gone", "message": "This link no longer works."}}), (
            link.status
        )
    body = _beacon_body()
    try:
        outcome = record_beacon(link.share, body, beacon_pages(link.share), utcnow())
    except BeaconConflict:
        response = jsonify(
            {"error": {"code": "busy", "message": "Beacons of this visit crossed; try again."}}
        )
        response.status_code = 503
        response.headers["Retry-After"] = "1"
        return response
    except TooManyBeacons:
        response = jsonify(
            {"error": {"code": "too_many_requests", "message": "Too many beacons; slow down."}}
        )
        response.status_code = 429
        response.headers["Retry-After"] = "60"
        return response
    return jsonify(outcome.as_json())


def _wants_json() -> bool:
    return request.endpoint == "buyer.beacon"


@buyer_bp.errorhandler(ServiceError)
def buyer_error(exc: ServiceError):
    if _wants_json():
        return jsonify({"error": {"code": exc.code, "message": exc.message}}), exc.status
    page = render_template(
        "buyer/error.html", message=exc.message, company=current_app.config["COMPANY_NAME"]
    )
    return page, exc.status


@buyer_bp.errorhandler(HTTPException)
def buyer_http_error(exc: HTTPException):
    if exc.response is not None:
        return exc.response
    message = exc.description or exc.name
    if _wants_json():
        code = (exc.name or "error").lower().replace(" ", "_")
        return jsonify({"error": {"code": code, "message": message}}), exc.code
    page = render_template(
        "buyer/error.html", message=message, company=current_app.config["COMPANY_NAME"]
    )
    return page, exc.code
