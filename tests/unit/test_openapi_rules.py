"""The OpenAPI document's rules (entrypoints.http.openapi): which problems an operation can answer with, and,
over the document the app serves, a description on every operation, the bearer scheme on every one that
needs a credential, and every problem as application/problem+json."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar

from tests.stack import settings_for
from undersign.entrypoints.container import build_container
from undersign.entrypoints.http.app import create_app
from undersign.entrypoints.http.guards import API_KEY, PERMISSION, PUBLIC
from undersign.entrypoints.http.openapi import HTTP_METHODS, PROBLEM_JSON, PROBLEMS, problem_statuses

KEYED = {"security": [{"apiKey": []}]}


def parameter(where: str, name: str) -> dict[str, str]:
    return {"in": where, "name": name}


def test_only_an_operation_that_needs_an_api_key_can_be_unauthenticated_or_forbidden():
    assert {401, 403} <= problem_statuses("/v1/verify", "post", {**KEYED, "requestBody": {}})
    assert not {401, 403} & problem_statuses("/v1/signing/{token}/sign", "post", {"requestBody": {}})


def test_any_request_can_be_throttled_or_too_big_in_its_headers():
    assert problem_statuses("/health", "get", {}) == {429, 431}
    assert problem_statuses("/ready", "get", {}) == {429, 431, 503}


def test_an_api_read_by_id_can_be_malformed_unauthenticated_forbidden_or_not_found():
    operation = {**KEYED, "parameters": [parameter("path", "envelope_id")]}
    assert problem_statuses("/v1/envelopes/{envelope_id}", "get", operation) == {400, 401, 403, 404, 429, 431, 503}


def test_a_change_under_if_match_with_an_idempotency_key_and_a_body():
    operation = {
        **KEYED,
        "parameters": [parameter("path", "envelope_id"), parameter("header", "If-Match"), parameter("header", "Idempotency-Key")],
        "requestBody": {},
    }
    statuses = problem_statuses("/v1/envelopes/{envelope_id}/signers", "post", operation)
    assert statuses == {400, 401, 403, 404, 409, 412, 413, 422, 429, 431, 503}


def test_a_signing_route_is_gone_when_its_link_is_and_needs_no_key():
    statuses = problem_statuses("/v1/signing/{token}", "get", {"parameters": [parameter("path", "token")]})
    assert statuses == {400, 404, 410, 429, 431, 503}


def test_a_list_with_query_parameters_can_refuse_a_cursor():
    statuses = problem_statuses("/v1/envelopes", "get", {"parameters": [parameter("query", "cursor")]})
    assert 422 in statuses and 404 not in statuses


def test_the_certificate_is_a_conflict_until_the_envelope_is_completed():
    operation = {"parameters": [parameter("path", "envelope_id")]}
    assert 409 in problem_statuses("/v1/envelopes/{envelope_id}/certificate", "get", operation)


def test_the_evidence_package_is_a_conflict_for_a_draft_and_gone_once_purged():
    operation = {**KEYED, "parameters": [parameter("path", "envelope_id")]}
    assert {404, 409, 410} <= problem_statuses("/v1/envelopes/{envelope_id}/evidence", "get", operation)


# -- the document the app serves ------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Litestar, dict[str, Any]]:
    """The app (never started: its routes and their declarations) and the document it serves."""
    app = create_app(build_container(settings_for(tmp_path_factory.mktemp("openapi") / "data")))
    return app, app.openapi_schema.to_schema()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    paths = document["paths"]
    return [(path, method, item[method]) for path, item in paths.items() for method in HTTP_METHODS if method in item]


def test_every_operation_says_what_it_does(served):
    _, document = served
    undescribed = [(method, path) for path, method, operation in operations(document) if not operation.get("description")]
    assert undescribed == [], "give these handlers a docstring: it is their operation's description"


def test_the_bearer_scheme_takes_api_keys_and_json_web_tokens(served):
    _, document = served
    scheme = document["components"]["securitySchemes"][API_KEY]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "usk_" in scheme["description"] and "JWT" in scheme["description"]


def test_every_operation_that_needs_a_credential_requires_the_bearer_scheme_and_can_refuse_it(served):
    app, document = served
    declared = 0
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not handler.resolve_include_in_schema():
                continue
            for method in handler.http_methods - {"OPTIONS"}:
                operation = document["paths"][route.path_format][method.lower()]
                if PERMISSION in handler.opt:
                    declared += 1
                    assert operation.get("security") == [{API_KEY: []}], (method, route.path_format)
                    assert {"401", "403"} <= set(operation["responses"]), (method, route.path_format)
                else:
                    assert PUBLIC in handler.opt and "security" not in operation, (method, route.path_format)
    assert declared >= 30  # the API's routes were walked, not none of them


def test_every_problem_an_operation_declares_is_a_problem_json_response_of_its_status(served):
    _, document = served
    components = document["components"]
    assert set(components["schemas"]["Problem"]["required"]) == {"type", "title", "status", "detail", "code"}
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            name = response["$ref"].removeprefix("#/components/responses/")
            assert name == PROBLEMS[int(status)][0], (method, path, status)
            content = components["responses"][name]["content"]
            assert list(content) == [PROBLEM_JSON], (method, path, status)
            problem, exact = content[PROBLEM_JSON]["schema"]["allOf"]
            assert problem == {"$ref": "#/components/schemas/Problem"}
            assert exact["properties"]["status"]["const"] == int(status)


def test_the_problems_of_the_issue_are_all_declared_somewhere(served):
    _, document = served
    declared = {int(status) for _, _, operation in operations(document) for status in operation["responses"]}
    assert {401, 403, 404, 409, 410, 412, 422, 429, 503} <= declared


def test_the_evidence_package_is_a_zip_attachment(served):
    _, document = served
    ok = document["paths"]["/v1/envelopes/{envelope_id}/evidence"]["get"]["responses"]["200"]
    assert ok["content"] == {"application/zip": {"schema": {"type": "string", "format": "binary"}}}
    assert "attachment" in ok["headers"]["Content-Disposition"]["description"]
