"""A tour of every HTML page of the app, for every role and for a visitor with no account.

The browser tests (axe-core, sideways scroll) walk it; `tests/test_page_tour.py` checks that it
is complete. The pages come from the app's url_map, not from a list written by hand: every GET
route is either toured, with its parameters filled from content seeded here, or named in
`SKIPPED` with the reason, so a page added later fails the completeness test until someone
decides which.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from flask import Flask, url_for

from collateral import create_app
from collateral.permissions import can
from collateral.services import indexing
from collateral.services.resources import search_index
from tests import databases
from tests.conftest import PASSWORD, ROLES, Api, app_config, run_jobs
from tests.factories import file_field, make_docx, make_pdf, make_pptx, multipart

# GET routes that answer with something other than a page (all of `api.*` is JSON, too).
SKIPPED = {
    "static": "the stylesheets and scripts themselves",
    "health.healthz": "plain-text probe for the load balancer",
    "health.readyz": "plain-text probe for the load balancer",
    "library.download": "the asset's file",
    "library.video": "the asset's video, played inline by the asset page's <video>",
    "library.page_image": "a WebP page image",
    "library.thumbnail": "a JPEG thumbnail",
    "collections.download": "a ZIP of the collection",
    "buyer.download": "the shared file",
    "buyer.page_image": "a WebP page image for the buyer",
}
SKIPPED_PREFIXES = ("api.",)  # the JSON API

# A few bytes Chromium does not play, but which the upload accepts as an MP4 video.
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom\x00\x00\x00\x08mdat"


@dataclass
class Seeded:
    """What the tour's URLs point at: ids made by `seed`."""

    assets: dict[str, int]  # pptx, pdf, docx, video, draft -> asset id
    collections: dict[str, int]  # role -> a collection of theirs
    shares: dict[str, int]  # role -> a link of theirs
    people: dict[str, int]  # role -> user id
    buyer: dict[str, str]  # open, passcode, email, revoked, expired -> the link's token


@dataclass(frozen=True)
class Stop:
    """One page of the tour: what it is, which route draws it, its path and expected status.

    A stop with `fill` is a form sent wrong: the page at `path` is opened, the fields (CSS
    selector, value) filled and their form submitted; `status` is then the answer's, and the
    page checked is the one that tells what was wrong.
    """

    name: str
    endpoint: str
    path: str
    status: int = 200
    fill: tuple[tuple[str, str], ...] = ()

    @property
    def submit(self) -> str:
        """The submit button of the form holding the first field filled."""
        return f"form:has({self.fill[0][0]}) [type=submit]"


@dataclass
class Variant:
    name: str
    values: dict = field(default_factory=dict)  # route arguments and query string
    status: int = 200
    fill: dict[str, str] = field(default_factory=dict)  # a form sent wrong: selector -> value


def _as(api, role: str, method: str, path: str, **kwargs):
    response = getattr(api, method)(path, role=role, **kwargs)
    assert response.status_code in (200, 201, 204), (path, response.get_data(as_text=True))
    return response.get_json(silent=True)


def seed(app: Flask, api) -> Seeded:
    """Content for every page to show something: four kinds of file with their page images,
    a draft, a collection and a link per role, links in each state a buyer can meet, usage
    (searches, views, downloads, a buyer's visit) and a notification for most roles."""
    files = {
        "pptx": (
            make_pptx([("Atlas", "Overview", "notes"), ("Pricing", "Atlas pricing tiers", "")]),
            "atlas-pricing.pptx",
            "Atlas pricing deck",
            {"products": ["Atlas CRM"], "industries": ["Retail"]},
        ),
        "pdf": (
            make_pdf(["Beacon pricing for hospitals", "Beacon rollout"]),
            "beacon.pdf",
            "Beacon pricing sheet",
            {"products": ["Beacon Analytics"], "industries": ["Healthcare"]},
        ),
        "docx": (make_docx(["How Cobalt cut costs"]), "cobalt.docx", "Cobalt case study", {}),
        "video": (MP4, "atlas-demo.mp4", "Atlas demo video", {"products": ["Atlas CRM"]}),
        "draft": (make_pdf(["Draft pricing"]), "draft.pdf", "Draft pricing", {"status": "draft"}),
    }
    assets = {}
    for kind, (content, name, title, fields) in files.items():
        response = api.upload(content, name, title=title, **fields)
        assert response.status_code == 201, response.get_json()
        assets[kind] = response.get_json()["id"]
    run_jobs(app)  # page images and thumbnails

    shown = [assets["pptx"], assets["pdf"]]
    collections, shares = {}, {}
    for role in ROLES:
        found = api.search(role=role, q="pricing")
        for result in found["results"][:2]:
            query = {"search": found["search_id"]}
            api.get(result["download_url"], role=role, query_string=query)
        api.search(role=role, q="nothing matches this")
        _as(api, role, "get", f"/api/v1/assets/{assets['docx']}")
        kit = _as(
            api, role, "post", "/api/v1/collections", json={"title": "Q1 kit", "assets": shown}
        )
        collections[role] = kit["id"]
        link = {"assets": shown, "title": f"For Acme ({role})", "recipient": "cfo@acme.example"}
        shares[role] = _as(api, role, "post", "/api/v1/shares", json=link)["id"]

    def link(**fields) -> dict:
        return _as(api, "rep", "post", "/api/v1/shares", json={"assets": shown, **fields})

    buyer = {
        "open": link(title="Open link"),
        "passcode": link(title="With a passcode", passcode="open sesame"),
        "email": link(title="Asks for an email", require_email=True),
        "revoked": link(title="Revoked"),
        "expired": link(title="Expired"),
    }
    _as(api, "rep", "post", f"/api/v1/shares/{buyer['revoked']['id']}/revoke")
    tokens = {name: body["url"].rsplit("/s/", 1)[1] for name, body in buyer.items()}
    for name in ("open", "revoked"):  # a buyer's visit, before the revocation for one
        api.client.get(f"/s/{tokens[name]}").close()

    # A new version of what the others downloaded tells them.
    data = {"file": file_field(make_pdf(["Beacon pricing, 2027"]), "beacon.pdf"), "note": "2027"}
    _as(api, "admin", "post", f"/api/v1/assets/{assets['pdf']}/versions", **multipart(data))

    with app.app_context():
        from collateral.extensions import db
        from collateral.models import Share, User, utcnow

        expired = db.session.get(Share, buyer["expired"]["id"])
        expired.expires_at = utcnow() - timedelta(days=1)
        people = {role: db.session.query(User).filter_by(role=role).first().id for role in ROLES}
        db.session.commit()
    run_jobs(app)
    return Seeded(assets, collections, shares, people, tokens)


def _asset_pages(s: Seeded, role: str) -> list[Variant]:
    kinds = ["pptx", "pdf", "docx", "video"] + (["draft"] if _can(role, "see_drafts") else [])
    pages = [Variant(f"asset ({kind})", {"asset_id": s.assets[kind]}) for kind in kinds]
    return pages + [Variant("asset not found", {"asset_id": 999999}, 404)]


# How each page's route is filled in: (seeded content, role) -> the variants to visit.
ROUTES: dict[str, Callable[[Seeded, str], list[Variant]]] = {
    "library.search": lambda s, role: [
        Variant("home"),
        Variant("search results", {"q": "pricing"}),
        Variant("search, filtered", {"q": "pricing", "product": "Atlas CRM"}),
        Variant("search, nothing found", {"q": "zebra"}),
    ],
    "library.asset": _asset_pages,
    "manage.edit": lambda s, role: [Variant("edit asset", {"asset_id": s.assets["pptx"]})],
    "manage.new_version": lambda s, role: [Variant("new version", {"asset_id": s.assets["pdf"]})],
    "manage.upload": lambda s, role: [Variant("upload")],
    "care.mine": lambda s, role: [Variant("my assets")],
    "care.incomplete": lambda s, role: [Variant("incomplete metadata")],
    "account.profile": lambda s, role: [Variant("account")],
    "auth.change_password": lambda s, role: [
        Variant("change password"),
        Variant(
            "change password, confirmation differs",
            status=400,
            fill={
                "[name=current_password]": PASSWORD,
                "[name=new_password]": "a long new passphrase one",
                "[name=confirm_password]": "a long new passphrase two",
            },
        ),
    ],
    "admin.terms": lambda s, role: [Variant("taxonomy")],
    "admin.users": lambda s, role: [
        Variant("users"),
        Variant(
            "users, a guessable password refused",
            status=400,
            fill={"[name=email]": "new@example.com", "[name=password]": "a" * 12},
        ),
    ],
    "collections.index": lambda s, role: [Variant("collections")],
    "collections.show": lambda s, role: [
        Variant("collection", {"collection_id": s.collections[role]})
    ],
    "notifications.index": lambda s, role: [Variant("notifications")],
    "shares.mine": lambda s, role: [Variant("my links")],
    "shares.new": lambda s, role: [
        Variant("new link", {"asset": [s.assets["pptx"], s.assets["pdf"]]}),
        Variant(
            "new link, a date passed",
            {"asset": [s.assets["pptx"]]},
            400,
            {"[name=expires_at]": "2020-01-31"},
        ),
        Variant("new link from a collection", {"collection": s.collections[role]}),
    ],
    "shares.detail": lambda s, role: [
        Variant("link", {"share_id": s.shares[role]}),
        Variant("link just made", {"share_id": s.shares[role], "new": 1}),
    ],
    "reports.overview": lambda s, role: [Variant("report: overview")],
    "engagement.engagement": lambda s, role: [Variant("report: engagement")],
    "reports.events": lambda s, role: [Variant("report: audit log")],
    "reports.people": lambda s, role: [Variant("report: people")],
    "reports.person": lambda s, role: [Variant("report: a person", {"user_id": s.people["rep"]})],
    "reports.searches": lambda s, role: [Variant("report: searches")],
    "reports.top": lambda s, role: [Variant("report: top assets")],
    "reports.unused": lambda s, role: [Variant("report: unused")],
}

# Pages for a visitor with no account: sign-in, and what a buyer meets behind a link.
SIGNED_OUT: dict[str, Callable[[Seeded], list[Variant]]] = {
    "auth.login": lambda s: [
        Variant("sign in"),
        Variant("sign in, sent from a page", {"next": "/collections"}),
        Variant(
            "sign in, wrong password",
            status=401,
            fill={"[name=email]": "nobody@example.com", "[name=password]": "not the password"},
        ),
    ],
    "buyer.page": lambda s: [
        Variant("buyer: shared page", {"token": s.buyer["open"]}),
        Variant("buyer: passcode gate", {"token": s.buyer["passcode"]}),
        Variant(
            "buyer: wrong passcode", {"token": s.buyer["passcode"]}, 401, {"[name=passcode]": "no"}
        ),
        Variant("buyer: email gate", {"token": s.buyer["email"]}),
        Variant("buyer: revoked link", {"token": s.buyer["revoked"]}, 410),
        Variant("buyer: expired link", {"token": s.buyer["expired"]}, 410),
        Variant("buyer: unknown link", {"token": "no-such-link-" + "x" * 30}, 404),
    ],
}


def _can(role: str, capability: str) -> bool:
    return can(SimpleNamespace(role=role), capability)


def html_get_endpoints(app: Flask) -> set[str]:
    """The endpoints of every GET route that may draw a page (all but `SKIPPED`)."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    return {e for e in endpoints if e not in SKIPPED and not e.startswith(SKIPPED_PREFIXES)}


def untoured(app: Flask) -> set[str]:
    """Page routes neither toured nor skipped: a page added without deciding."""
    return html_get_endpoints(app) - set(ROUTES) - set(SIGNED_OUT)


def _stops(app: Flask, endpoint: str, variants: list[Variant]) -> list[Stop]:
    with app.test_request_context():
        return [
            Stop(v.name, endpoint, url_for(endpoint, **v.values), v.status, tuple(v.fill.items()))
            for v in variants
        ]


def signed_in_stops(app: Flask, seeded: Seeded, role: str) -> list[Stop]:
    """Every page `role` may open (its routes' capabilities say which), plus one it may not
    (the 403 page), in url_map order."""
    stops, forbidden = [], None
    for endpoint, variants in ROUTES.items():
        capability = app.view_functions[endpoint].required_capability
        if _can(role, capability):
            stops += _stops(app, endpoint, variants(seeded, role))
        elif forbidden is None:
            forbidden = _stops(app, endpoint, variants(seeded, role)[:1])[0]
            forbidden = Stop(f"{forbidden.name} (forbidden)", endpoint, forbidden.path, 403)
    return stops + ([forbidden] if forbidden else [])


def signed_out_stops(app: Flask, seeded: Seeded) -> list[Stop]:
    """The sign-in page and the buyer's pages, for someone with no session."""
    stops = []
    for endpoint, variants in SIGNED_OUT.items():
        stops += _stops(app, endpoint, variants(seeded))
    return stops


@contextmanager
def seeded_app(root: Path, template_database: str, tokens: dict[str, str]):
    """An app of its own on `root`, seeded for the tour: shared by a module's tests, since
    seeding (uploads, page images) takes seconds. Yields (app, seeded)."""
    database = databases.database_for_test(template_database, root)
    app = create_app(app_config(root, database))
    with app.app_context():
        indexing.apply_pending_index_updates(rebuild=True)
    try:
        yield app, seed(app, Api(app.test_client(), tokens))
    finally:
        with app.app_context():
            from collateral.extensions import db

            search_index().close()
            db.engine.dispose()
