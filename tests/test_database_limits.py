"""What PostgreSQL enforces and SQLite lets pass (string lengths, 32-bit ids) is checked in
code, so both databases answer the same: a 400 naming the field, a 404, never a 500.
`make test-postgres` runs these on PostgreSQL too."""

import pytest

from collateral.extensions import db
from collateral.models import MAX_ID, Page
from tests.factories import make_odf


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "T" * 301), ("description", "d" * 10_001), ("tags", "t" * 61)],
)
def test_an_over_long_asset_field_is_a_400_naming_it(api, field, value):
    fields = {"title": "Fits", field: value}
    response = api.upload(b"Plain text", "plain.txt", **fields)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["message"].startswith(f"{field}:")
    created = api.upload(b"Plain text", "plain.txt", title="Fits").get_json()
    patched = api.patch(f"/api/v1/assets/{created['id']}", json={field: value})
    assert patched.status_code == 400 and f"{field}:" in patched.get_json()["error"]["message"]


def test_an_over_long_term_name_is_a_400_naming_it(api):
    response = api.post("/api/v1/taxonomy/products", role="admin", json={"name": "P" * 121})
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith("name:")


def test_a_sheet_name_longer_than_the_database_keeps_is_cut(app, api):
    name = "Quarterly figures " * 30  # 540 characters, from the file, not from a person
    body = (
        f'<office:spreadsheet><table:table table:name="{name}"><table:table-row>'
        "<table:table-cell><text:p>Revenue by region</text:p></table:table-cell>"
        "</table:table-row></table:table></office:spreadsheet>"
    )
    response = api.upload(make_odf("ods", body), "figures.ods", title="Figures")
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        names = [page.name for page in db.session.scalars(db.select(Page))]
    assert names == [name.strip()[:300]]


def test_ids_past_what_an_id_column_holds_are_not_found(api):
    created = api.upload(b"Plain text", "plain.txt", title="Fits").get_json()
    for path in (f"/api/v1/assets/{MAX_ID + 1}", f"/api/v1/assets/{2**63}"):
        response = api.get(path)
        assert response.status_code == 404, (path, response.get_json())
    events = api.get("/api/v1/events", role="manager", query_string={"asset": MAX_ID + 1})
    assert events.status_code == 400 and "asset:" in events.get_json()["error"]["message"]
    # A search id past the range is ignored, as any stale one is: the download goes ahead.
    download = api.get(
        f"/assets/{created['id']}/download", query_string={"search": str(MAX_ID + 1)}
    )
    assert download.status_code == 200
