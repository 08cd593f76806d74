"""Which problems the OpenAPI document says an operation can answer with (entrypoints.http.openapi)."""

from __future__ import annotations

from undersign.entrypoints.http.openapi import problem_statuses

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
