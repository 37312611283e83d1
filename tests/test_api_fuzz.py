"""Schemathesis fuzzes every API operation as each role: no 500, every answer as documented.

The schema is the document the app serves, loaded from it. Each role gets a fresh app with two
assets on file; generated asset ids are steered to them a third of the time each, so requests
reach real rows as well as missing ones.
"""

from __future__ import annotations

import random
from fnmatch import fnmatch

import pytest
import schemathesis
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from collateral.api.openapi import openapi_document
from collateral.models import MAX_ID
from tests.conftest import ROLES
from tests.factories import make_pdf

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.unsupported_method,  # a 405 for a method no route takes, with Allow
    schemathesis.checks.ignored_auth,  # the same request without the token is a 401
]


def fuzz_config(role: str | None) -> dict:
    """A fixed seed and example count; the admin, who reaches every code path, also gets the
    systematic coverage phase (boundary values, wrong types, missing fields)."""
    config = {
        "seed": 20240601,
        "generation": {"max-examples": 25, "deterministic": True, "database": "none"},
    }
    if role != "admin":
        config["generation"]["max-examples"] = 15
        config["phases"] = {"coverage": {"enabled": False}}
    return config


class WholeResponseClient(FlaskClient):
    """A test client that reads each answer whole and closes it, as a WSGI server would."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        response.get_data()
        response.close()  # let go of a streamed file now, not when the garbage collector runs
        return response


@pytest.fixture(params=[None, *ROLES], ids=lambda role: role or "anonymous")
def role(request) -> str | None:
    return request.param


@pytest.fixture
def fuzz_schema(request, app, api, role):
    """The schema the app serves, on an app with a published PDF and a full draft on file."""
    published = api.upload(make_pdf(["Fuzzing target"]), "target.pdf", title="Target")
    draft = api.upload(
        b"Draft notes for the fuzzer",
        "draft.txt",
        title="Draft",
        status="draft",
        products=["Atlas CRM"],
        tags=["fuzz"],
        expires_at="2099-01-01",
    )
    assert published.status_code == draft.status_code == 201, draft.get_json()
    seeded_ids = [published.get_json()["id"], draft.get_json()["id"]]
    # schemathesis 4.32 still reads the node id from `_nodeid`, which pytest 9 renamed.
    request.node._nodeid = request.node.nodeid
    config = schemathesis.Config.from_dict(fuzz_config(role))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        if not path_parameters or "asset_id" not in path_parameters:
            return st.just(path_parameters)
        seeded = [{**path_parameters, "asset_id": asset_id} for asset_id in seeded_ids]
        return st.sampled_from([path_parameters, *seeded])

    return schema


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@schema.parametrize()
# One app serves every example, as a server would: state builds up between them.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_answers_as_documented(case, app, role, tokens):
    # Hypothesis seeds the global `random` alike before every example, and Whoosh names its
    # segments from it: left so, consecutive commits would reuse one live segment's name.
    random.seed()
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
    client = WholeResponseClient(app)
    case.call_and_validate(session=client, headers=headers, checks=CHECKS)


# What the fuzzing found, each pinned by a plain test.


def assert_documented(response, method: str, path: str) -> None:
    """The status, media type and required headers of `response` are in the published spec."""
    document = openapi_document()
    responses = document["paths"][path][method]["responses"]
    assert str(response.status_code) in responses, (response.status_code, sorted(responses))
    documented = responses[str(response.status_code)]
    if "$ref" in documented:
        documented = document["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    media_types = list(documented.get("content", {}))
    if media_types:
        assert any(fnmatch(response.mimetype, pattern) for pattern in media_types), (
            response.mimetype,
            media_types,
        )
    for name, header in documented.get("headers", {}).items():
        assert not header.get("required") or name in response.headers, name


def nameless_part(fields: dict[str, str]) -> dict:
    """A multipart body with these fields, a small text file, and one part that has no name."""
    boundary = "fuzzfound"
    parts = [f'Content-Disposition: form-data; name="{k}"\r\n\r\n{v}' for k, v in fields.items()]
    parts.append('Content-Disposition: form-data; name="file"; filename="n.txt"\r\n\r\nNotes')
    parts.append("Content-Disposition: form-data\r\n\r\nwho am I")
    body = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts) + f"--{boundary}--\r\n"
    return {"data": body.encode(), "content_type": f"multipart/form-data; boundary={boundary}"}


def test_a_form_part_without_a_name_is_a_400_not_a_500(app, api):
    created = api.post("/api/v1/assets", role="marketer", **nameless_part({"title": "Nameless"}))
    assert created.status_code == 400, created.get_json()
    assert "no name" in created.get_json()["error"]["message"]
    assert api.search(role="marketer")["total"] == 0  # nothing half-made

    asset_id = api.upload(b"First version", "v1.txt", title="Versioned").get_json()["id"]
    version = api.post(f"/api/v1/assets/{asset_id}/versions", **nameless_part({"note": "n"}))
    assert version.status_code == 400, version.get_json()
    assert "no name" in version.get_json()["error"]["message"]
    assert len(api.get(f"/api/v1/assets/{asset_id}").get_json()["versions"]) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/assets/{id}"),
        ("patch", "/api/v1/assets/{id}"),
        ("post", "/api/v1/assets/{id}/archive"),
        ("post", "/api/v1/assets/{id}/versions"),
        ("get", "/api/v1/assets/{id}/download"),
    ],
)
def test_an_id_past_the_largest_is_a_404_whatever_the_method(api, method, path):
    # Werkzeug answered 405 here when a rule for another method matched the path first.
    response = getattr(api, method)(path.format(id=MAX_ID + 1), role="admin")
    assert response.status_code == 404, response.get_json()
    assert str(MAX_ID) in response.get_json()["error"]["message"]
    assert_documented(response, method, path.replace("{id}", "{asset_id}"))


def test_a_405_names_the_methods_the_route_takes(api):
    response = api.client.delete("/api/v1/assets/1", headers=api.headers("admin"))
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH"}


def test_downloads_whole_partial_and_out_of_range_answer_as_documented(api):
    asset_id = api.upload(make_pdf(["Spec check"]), "spec.pdf", title="Spec").get_json()["id"]
    path = f"/api/v1/assets/{asset_id}/download"
    whole = api.get(path)
    assert whole.status_code == 200 and whole.mimetype == "application/pdf"
    assert_documented(whole, "get", "/api/v1/assets/{asset_id}/download")
    part = api.get(path, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and len(part.data) == 10
    assert_documented(part, "get", "/api/v1/assets/{asset_id}/download")
    past_the_end = api.get(path, headers={"Range": f"bytes={len(whole.data) + 10}-"})
    assert past_the_end.status_code == 416
    assert past_the_end.headers["Content-Range"] == f"bytes */{len(whole.data)}"
    assert past_the_end.get_json()["error"]["message"]
    assert_documented(past_the_end, "get", "/api/v1/assets/{asset_id}/download")


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        # A NUL byte is refused before anything else, on every route.
        ("get", "/api/v1/taxonomy", {"query_string": {"x": "a\x00b"}}, 400),
        ("get", "/api/v1/openapi.json", {"query_string": {"x": "a\x00b"}}, 400),
        # A bad token is a 401 even where no sign-in is needed.
        ("get", "/api/v1/openapi.json", {"headers": {"Authorization": "Bearer nope"}}, 401),
        # A body past 1 MB that is not an upload.
        ("post", "/api/v1/assets/1/archive", {"data": b"x" * (1024 * 1024 + 1)}, 413),
        ("patch", "/api/v1/assets/1", {"json": {"description": "x" * (1024 * 1024)}}, 413),
    ],
)
def test_answers_every_request_may_get_are_documented(api, method, path, kwargs, status):
    api.upload(b"Something to act on", "a.txt", title="Target")
    headers = kwargs.pop("headers", None) or api.headers("admin")
    response = getattr(api.client, method)(path, headers=headers, **kwargs)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["message"]
    assert_documented(response, method, path.replace("/1", "/{asset_id}"))
