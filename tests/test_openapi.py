"""The published OpenAPI document describes what the API really answers."""

import jsonschema
import pytest

from collateral.api.openapi import openapi_document


def validate(body, schema_name: str) -> None:
    document = openapi_document()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


def test_document_is_served_and_well_formed(client):
    body = client.get("/api/v1/openapi.json").get_json()
    assert body["openapi"].startswith("3.")
    jsonschema.Draft202012Validator.check_schema(body["components"]["schemas"]["Asset"])


@pytest.fixture
def uploaded(api):
    response = api.upload(
        b"Spec check text",
        "s.txt",
        title="Spec",
        products=["Atlas CRM"],
        content_type="Datasheet",
        tags=["x"],
        expires_at="2099-01-01",
    )
    assert response.status_code == 201
    validate(response.get_json(), "Asset")
    return response.get_json()


def test_responses_match_their_schemas(api, uploaded):
    validate(api.get(f"/api/v1/assets/{uploaded['id']}").get_json(), "Asset")
    validate(api.search(q="spec check"), "SearchResult")
    validate(api.search(), "SearchResult")
    validate(api.get("/api/v1/taxonomy").get_json(), "Taxonomy")
    validate(api.get("/api/v1/events", role="admin").get_json(), "EventPage")
    validate(api.patch(f"/api/v1/assets/{uploaded['id']}", json={"tags": []}).get_json(), "Asset")
    created = api.post("/api/v1/taxonomy/stages", role="admin", json={"name": "Expansion"})
    validate(created.get_json(), "Term")


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/api/v1/assets/999", {}),
        ("get", "/api/v1/assets?page=0", {}),
        ("post", "/api/v1/taxonomy/colours", {"json": {"name": "x"}, "role": "admin"}),
        ("post", "/api/v1/taxonomy/products", {"json": {"name": "Atlas CRM"}, "role": "admin"}),
        ("post", "/api/v1/taxonomy/products", {"json": ["not", "an", "object"], "role": "admin"}),
        ("get", "/api/v1/nowhere", {}),
    ],
)
def test_errors_are_json_in_the_contract_shape(api, method, path, kwargs):
    response = getattr(api, method)(path, **kwargs)
    assert 400 <= response.status_code < 500
    validate(response.get_json(), "Error")
