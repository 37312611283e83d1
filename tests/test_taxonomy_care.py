"""Admins tend the taxonomy: rename, reorder, retire, restore and merge terms, through the pages."""

import pytest
from sqlalchemy import func, select

from collateral.errors import Conflict, InvalidInput
from collateral.extensions import db
from collateral.models import Asset, asset_term
from collateral.services import taxonomy, taxonomy_care
from collateral.services.asset_fields import parse_asset_fields
from collateral.services.indexing import pending_index_updates
from tests.factories import make_docx

TAXONOMY = "/admin/taxonomy"


def term_id(app, kind: str, name: str) -> int:
    with app.app_context():
        return next(t.id for t in taxonomy.list_terms(kind) if t.name == name)


def upload(api, title: str, words: str, **fields) -> int:
    """A real Word file whose text never names a product or industry; returns its asset id."""
    response = api.upload(make_docx([words]), f"{title}.docx", title=title, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def found(api, **params) -> set[int]:
    return {item["id"] for item in api.search(role="admin", **params)["results"]}


def events(api, type: str) -> list[dict]:
    response = api.get("/api/v1/events", role="admin", query_string={"type": type})
    return [event["detail"] for event in response.get_json()["events"]]


def admin_post(browser, path: str, data: dict | None = None) -> str:
    """Post a taxonomy form as the signed-in admin; the text of the page it redirects to."""
    response = browser.post(path, data, follow_redirects=True)
    assert response.status_code == 200, response.status_code
    assert response.request.path == TAXONOMY
    return response.get_data(as_text=True)


@pytest.fixture
def admin(browser):
    browser.login("admin")
    return browser


def test_the_page_lists_each_kind_with_counts_and_forms(client, api, app, admin):
    upload(api, "Field notes", "Notes from the northern region", products=["Beacon Analytics"])
    html = client.get(TAXONOMY).get_data(as_text=True)
    beacon = term_id(app, "product", "Beacon Analytics")
    for action in ("rename", "move", "retire", "merge"):
        assert f"/admin/taxonomy/{beacon}/{action}" in html
    assert "move its 1 asset to the chosen product" in html
    assert "move its 0 assets to the chosen content type" in html
    assert "<script" not in html.split("</head>")[1]


def test_rename_reindexes_so_searches_find_the_new_name(api, app, admin):
    asset = upload(api, "Quarterly review", "Numbers for the northern region")
    api.patch(f"/api/v1/assets/{asset}", json={"industries": ["Healthcare"]})
    assert found(api, q="healthcare") == {asset}  # by the term's name alone
    healthcare = term_id(app, "industry", "Healthcare")

    html = admin_post(admin, f"{TAXONOMY}/{healthcare}/rename", {"name": "  Life   sciences "})
    assert "Renamed “Healthcare” to “Life sciences”" in html

    assert found(api, q="life sciences") == {asset}
    assert found(api, q="healthcare") == set()
    assert found(api, industry="Life sciences") == {asset}
    assert api.get(f"/api/v1/assets/{asset}").get_json()["industries"] == ["Life sciences"]
    assert "Life sciences" in api.get("/api/v1/taxonomy").get_json()["industries"]
    assert events(api, "term_renamed")[0] == {
        "kind": "industry",
        "old": "Healthcare",
        "new": "Life sciences",
        "assets": 1,
    }
    with app.app_context():
        assert pending_index_updates() == 0


def test_rename_refuses_clashes_and_empty_names(api, app, admin):
    retail = term_id(app, "industry", "Retail")
    html = admin_post(admin, f"{TAXONOMY}/{retail}/rename", {"name": "HEALTHCARE"})
    assert "industries already has &#39;Healthcare&#39;" in html
    assert "merge &#39;Retail&#39; into &#39;Healthcare&#39;" in html
    html = admin_post(admin, f"{TAXONOMY}/{retail}/rename", {"name": "   "})
    assert "give the term a name" in html
    with app.app_context(), pytest.raises(Conflict) as refused:
        taxonomy_care.rename_term(retail, "healthcare")
    assert refused.value.status == 409
    # Changing only the case of its own name is a rename, not a clash.
    html = admin_post(admin, f"{TAXONOMY}/{retail}/rename", {"name": "retail"})
    assert "Renamed “Retail” to “retail”" in html
    assert "retail" in api.get("/api/v1/taxonomy").get_json()["industries"]


def test_reorder_changes_the_display_order(api, app, admin):
    cobalt = term_id(app, "product", "Cobalt Payments")
    atlas = term_id(app, "product", "Atlas CRM")
    html = admin_post(admin, f"{TAXONOMY}/{cobalt}/move", {"direction": "up"})
    assert "Moved “Cobalt Payments” up" in html
    products = api.get("/api/v1/taxonomy").get_json()["products"]
    assert products == ["Atlas CRM", "Cobalt Payments", "Beacon Analytics"]
    html = admin_post(admin, f"{TAXONOMY}/{atlas}/move", {"direction": "up"})
    assert "already at the top" in html
    html = admin_post(admin, f"{TAXONOMY}/{atlas}/move", {"direction": "sideways"})
    assert "direction: use up, down, top, bottom" in html
    with app.app_context():
        assert taxonomy_care.move_term(atlas, 3)
        names = [t.name for t in taxonomy.list_terms("product")]
    assert names == ["Cobalt Payments", "Beacon Analytics", "Atlas CRM"]
    assert events(api, "term_moved")[-1] == {
        "kind": "product",
        "name": "Cobalt Payments",
        "place": [3, 2],
    }


def test_a_retired_term_stays_on_old_assets_but_is_not_offered(client, api, app, admin):
    old = upload(
        api,
        "Beacon datasheet",
        "Dashboards for every team",
        products=["Beacon Analytics"],
        content_type="Datasheet",
    )
    other = upload(api, "Other sheet", "Unrelated words entirely")
    beacon = term_id(app, "product", "Beacon Analytics")
    datasheet = term_id(app, "content_type", "Datasheet")

    html = admin_post(admin, f"{TAXONOMY}/{beacon}/retire")
    assert "Retired “Beacon Analytics”" in html
    admin_post(admin, f"{TAXONOMY}/{datasheet}/retire")

    # Not offered: the taxonomy API, the upload form, new uploads.
    offered = api.get("/api/v1/taxonomy").get_json()
    assert "Beacon Analytics" not in offered["products"]
    assert "Datasheet" not in offered["content_types"]
    assert 'value="Beacon Analytics"' not in client.get("/upload").get_data(as_text=True)
    refused = api.upload(make_docx(["New"]), "n.docx", title="New", products=["Beacon Analytics"])
    assert refused.status_code == 400
    message = refused.get_json()["error"]["message"]
    assert "'Beacon Analytics' is retired" in message and "Atlas CRM" in message
    refused = api.upload(make_docx(["New two"]), "m.docx", title="N", content_type="datasheet")
    assert refused.status_code == 400

    # Kept: the asset still shows it, finds by it, and an edit re-sending it succeeds.
    assert api.get(f"/api/v1/assets/{old}").get_json()["products"] == ["Beacon Analytics"]
    assert found(api, product="Beacon Analytics") == {old}
    edit_page = client.get(f"/assets/{old}/edit").get_data(as_text=True)
    assert 'value="Beacon Analytics" checked> Beacon Analytics' in edit_page
    assert "retired</span>" in edit_page
    assert '<option value="Datasheet" selected>Datasheet (retired)</option>' in edit_page
    assert 'value="Beacon Analytics"' not in client.get(f"/assets/{other}/edit").get_data(
        as_text=True
    )
    form = {
        "title": "Beacon datasheet, revised",
        "products": "Beacon Analytics",
        "content_type": "Datasheet",
        "status": "published",
    }
    response = admin.post(f"/assets/{old}/edit", form, token_page=f"/assets/{old}/edit")
    assert response.status_code == 302
    patched = api.patch(
        f"/api/v1/assets/{old}",
        json={"products": ["Beacon Analytics", "Atlas CRM"], "content_type": "Datasheet"},
    )
    assert patched.status_code == 200, patched.get_json()
    body = patched.get_json()
    assert set(body["products"]) == {"Atlas CRM", "Beacon Analytics"}
    assert body["title"] == "Beacon datasheet, revised" and body["content_type"] == "Datasheet"

    # The rule itself: an asset may keep its retired terms, but not gain one.
    with app.app_context():
        old_asset, other_asset = db.session.get(Asset, old), db.session.get(Asset, other)
        raw = {"products": ["Beacon Analytics"], "content_type": "Datasheet"}
        kept = parse_asset_fields(raw, partial=True, current=old_asset)
        assert [t.name for t in kept.terms["product"]] == ["Beacon Analytics"]
        with pytest.raises(InvalidInput, match="retired"):
            parse_asset_fields(raw, partial=True, current=other_asset)

    html = admin_post(admin, f"{TAXONOMY}/{beacon}/restore")
    assert "Restored “Beacon Analytics”" in html
    assert "Beacon Analytics" in api.get("/api/v1/taxonomy").get_json()["products"]
    again = api.upload(make_docx(["Again"]), "a.docx", title="A", products=["Beacon Analytics"])
    assert again.status_code == 201
    assert [e["name"] for e in events(api, "term_retired")] == ["Datasheet", "Beacon Analytics"]
    assert events(api, "term_restored")[0] == {
        "kind": "product",
        "name": "Beacon Analytics",
        "assets": 1,
    }


def test_a_merge_moves_assets_and_their_search_results(client, api, app, admin):
    created = api.post("/api/v1/taxonomy/products", role="admin", json={"name": "Atlas"})
    assert created.status_code == 201
    only_old = upload(api, "Renewal memo", "Terms for the coming year", products=["Atlas"])
    both = upload(api, "Pilot summary", "Results of the pilot", products=["Atlas", "Atlas CRM"])
    only_new = upload(api, "Launch notes", "What shipped in spring", products=["Atlas CRM"])
    unrelated = upload(api, "Payments primer", "How settlement works", products=["Cobalt Payments"])
    assert found(api, product="Atlas") == {only_old, both}
    source, target = term_id(app, "product", "Atlas"), term_id(app, "product", "Atlas CRM")
    page = client.get(TAXONOMY).get_data(as_text=True)
    assert "move its 2 assets to the chosen product and delete “Atlas”" in page

    html = admin_post(admin, f"{TAXONOMY}/{source}/merge", {"into": target, "confirm": "yes"})
    assert "Merged “Atlas” into “Atlas CRM”: 2 assets moved" in html

    for asset in (only_old, both, only_new):
        assert api.get(f"/api/v1/assets/{asset}").get_json()["products"] == ["Atlas CRM"]
    with app.app_context():
        links = select(func.count()).where(asset_term.c.asset_id == both)
        assert db.session.scalar(links) == 1  # one link, not two
        assert [t.name for t in taxonomy.list_terms("product")] == [
            "Atlas CRM",
            "Beacon Analytics",
            "Cobalt Payments",
        ]
        assert pending_index_updates() == 0
    assert "Atlas" not in api.get("/api/v1/taxonomy").get_json()["products"]

    result = api.search(role="admin", product="Atlas CRM")
    assert {item["id"] for item in result["results"]} == {only_old, both, only_new}
    assert result["facets"]["product"] == {"Atlas CRM": 3, "Cobalt Payments": 1}
    assert unrelated not in found(api, q="atlas")
    gone = api.get("/api/v1/assets", role="admin", query_string={"product": "Atlas"})
    assert gone.status_code == 400
    assert events(api, "term_merged")[0] == {
        "kind": "product",
        "source": "Atlas",
        "target": "Atlas CRM",
        "assets": 2,
        "already_had_target": 1,
    }


def test_a_merge_changes_what_free_text_finds(api, app, admin):
    api.post("/api/v1/taxonomy/industries", role="admin", json={"name": "Hospitals"})
    ward = upload(api, "Ward rounds", "Shift handover checklist", industries=["Hospitals"])
    clinic = upload(api, "Clinic intake", "Forms for new patients", industries=["Healthcare"])
    flyer = upload(api, "Event flyer", "Booth layout", content_type="One-pager")
    assert found(api, q="hospitals") == {ward}
    assert found(api, q="healthcare") == {clinic}

    hospitals, healthcare = (
        term_id(app, "industry", "Hospitals"),
        term_id(app, "industry", "Healthcare"),
    )
    admin_post(admin, f"{TAXONOMY}/{hospitals}/merge", {"into": healthcare, "confirm": "yes"})
    assert found(api, q="hospitals") == set()
    assert found(api, q="healthcare") == {ward, clinic}

    # Content types live on the asset itself rather than in the link table.
    one_pager = term_id(app, "content_type", "One-pager")
    datasheet = term_id(app, "content_type", "Datasheet")
    html = admin_post(admin, f"{TAXONOMY}/{one_pager}/merge", {"into": datasheet, "confirm": "yes"})
    assert "1 asset moved" in html
    assert api.get(f"/api/v1/assets/{flyer}").get_json()["content_type"] == "Datasheet"
    assert found(api, content_type="Datasheet") == {flyer}
    assert found(api, q="datasheet") == {flyer}


def test_merges_that_make_no_sense_are_refused(client, api, app, admin):
    beacon = term_id(app, "product", "Beacon Analytics")
    retail = term_id(app, "industry", "Retail")
    html = admin_post(admin, f"{TAXONOMY}/{beacon}/merge", {"into": retail, "confirm": "yes"})
    assert (
        "can only be merged into another product; &#39;Retail&#39; is one of the industries" in html
    )
    html = admin_post(admin, f"{TAXONOMY}/{beacon}/merge", {"into": beacon, "confirm": "yes"})
    assert "can&#39;t be merged into itself" in html
    html = admin_post(admin, f"{TAXONOMY}/{beacon}/merge", {"into": retail})
    assert "tick the box to confirm" in html
    html = admin_post(admin, f"{TAXONOMY}/{beacon}/merge", {"into": 999_999, "confirm": "yes"})
    assert "No taxonomy term with id 999999" in html
    for into in ("²", "9" * 30, "", "-1"):
        html = admin_post(admin, f"{TAXONOMY}/{beacon}/merge", {"into": into, "confirm": "yes"})
        assert "choose the term to merge into" in html, into
    assert "Beacon Analytics" in api.get("/api/v1/taxonomy").get_json()["products"]
    with app.app_context(), pytest.raises(InvalidInput):
        taxonomy_care.merge_terms(beacon, retail)

    missing = admin.post(f"{TAXONOMY}/999999/retire")
    assert missing.status_code == 404
    assert "No taxonomy term with id 999999" in missing.get_data(as_text=True)


def test_forms_without_the_csrf_token_are_refused(client, app, admin):
    beacon = term_id(app, "product", "Beacon Analytics")
    for action, data in (("rename", {"name": "X"}), ("retire", {}), ("move", {"direction": "up"})):
        response = client.post(f"{TAXONOMY}/{beacon}/{action}", data=data)
        assert response.status_code == 400
        assert "security token" in response.get_data(as_text=True)
    with app.app_context():
        assert taxonomy.get_term(beacon).name == "Beacon Analytics"


def test_other_roles_cannot_tend_the_taxonomy(client, app, browser):
    beacon = term_id(app, "product", "Beacon Analytics")
    atlas = term_id(app, "product", "Atlas CRM")
    browser.login("marketer")
    response = browser.post(f"{TAXONOMY}/{beacon}/merge", {"into": atlas, "confirm": "yes"})
    assert response.status_code == 403
    with app.app_context():
        assert taxonomy.get_term(beacon).name == "Beacon Analytics"
