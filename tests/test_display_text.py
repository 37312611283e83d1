"""Bidirectional controls typed into titles, descriptions, tags, version notes, taxonomy names
and user names are removed at input, so no page shows text reversed by them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from collateral.display_text import BIDI_CONTROLS, strip_bidi_controls
from collateral.extensions import db
from collateral.models import User
from collateral.services import accounts
from tests.conftest import Browser
from tests.factories import file_field, make_docx, multipart

RLO = "\u202e"  # right-to-left override: "invoice<RLO>fdp.exe" reads as "invoiceexe.pdf"


def no_bidi(text: str) -> bool:
    return not BIDI_CONTROLS & set(text)


@pytest.mark.parametrize("control", sorted(BIDI_CONTROLS))
def test_each_control_is_removed_and_right_to_left_letters_are_kept(control):
    assert strip_bidi_controls(f"Offer{control} שלום مرحبا") == "Offer שלום مرحبا"


def test_asset_fields_and_version_notes_lose_bidi_controls(api, client, browser):
    response = api.upload(
        make_docx(["Renewal terms"]),
        "terms.docx",
        title=f"Renewal {RLO}terms\u2066 2026\u2069",
        description=f"For \u202bcustomers\u202c on {RLO}annual plans",
        tags=[f"q3{RLO}", "\u200fflagship\u200e"],
        products=[f"Atlas CRM{RLO}"],
    )
    assert response.status_code == 201, response.get_json()
    asset = response.get_json()
    assert asset["title"] == "Renewal terms 2026"
    assert asset["description"] == "For customers on annual plans"
    assert asset["tags"] == ["q3", "flagship"]
    assert asset["products"] == ["Atlas CRM"]
    version = api.post(
        f"/api/v1/assets/{asset['id']}/versions",
        **multipart(
            {
                "file": file_field(make_docx(["Renewal terms v2"]), "terms.docx"),
                "note": f"Fixed {RLO}typos",
            }
        ),
    )
    assert version.status_code == 201, version.get_json()
    edited = api.patch(f"/api/v1/assets/{asset['id']}", json={"title": f"\u061cRenewal{RLO} 2027"})
    assert edited.get_json()["title"] == "Renewal 2027"
    browser.login("rep")
    for path in (f"/assets/{asset['id']}", "/?q=renewal"):
        page = client.get(path).get_data(as_text=True)
        assert "Renewal 2027" in page and no_bidi(page), path
    assert "Fixed typos" in client.get(f"/assets/{asset['id']}").get_data(as_text=True)


def test_taxonomy_names_lose_bidi_controls(api, browser, client):
    response = api.post(
        "/api/v1/taxonomy/industries", role="admin", json={"name": f"Edu{RLO}cation"}
    )
    assert response.status_code == 201 and response.get_json()["name"] == "Education"
    browser.login("admin")
    browser.post("/admin/taxonomy", {"kind": "product", "name": f"\u2067Delta{RLO} Ledger"})
    names = api.get("/api/v1/taxonomy").get_json()
    assert "Delta Ledger" in names["products"] and "Education" in names["industries"]
    assert no_bidi(client.get("/admin/taxonomy").get_data(as_text=True))


def test_user_names_lose_bidi_controls(app, runner, browser):
    result = runner.invoke(
        args=["create-user", "cli@example.com", "--role", "rep", "--password", "plum harbour"]
        + ["--name", f"Nia {RLO}Lee"]
    )
    assert result.exit_code == 0, result.output
    browser.login("admin")
    browser.post(
        "/admin/users",
        {
            "email": "page@example.com",
            "role": "rep",
            "password": "plum harbour",
            "name": f"Ola{RLO}",
        },
        token_page="/admin/users",
    )
    with app.app_context():
        page_id = db.session.scalar(select(User.id).where(User.email == "page@example.com"))
        accounts.update_user(page_id, name="Ola\u202d Berg")
    with app.app_context():
        names = dict(db.session.execute(select(User.email, User.name)).all())
    assert names["cli@example.com"] == "Nia Lee"
    assert names["page@example.com"] == "Ola Berg"
    assert no_bidi(browser.client.get("/admin/users").get_data(as_text=True))


def test_search_queries_shown_in_reports_lose_bidi_controls(app, api):
    api.upload(make_docx(["Pricing tiers"]), "pricing.docx", title="Pricing")
    api.search(q=f"pricing {RLO}tiers")
    browser = Browser(app.test_client())
    browser.login("manager")
    page = browser.client.get("/reports/searches").get_data(as_text=True)
    assert "pricing tiers" in page and no_bidi(page)
