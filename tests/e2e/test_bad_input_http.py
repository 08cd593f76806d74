"""Bad input gets a problem detail that says what is wrong, and leaves nothing behind."""

from __future__ import annotations

import pytest

from tests.e2e import api
from tests.pdf_samples import make_damaged_pdf, make_encrypted_pdf, make_pdf


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"GIF89a not a pdf", "not a PDF"),
        (make_encrypted_pdf(), "encrypted"),
        (make_damaged_pdf(), "truncated"),
    ],
)
async def test_an_unusable_upload_is_refused_and_nothing_is_stored(stack, content, words):
    envelope = await api.post(stack, "/v1/envelopes", {"subject": "x"})
    response = await stack.client.post(
        f"/v1/envelopes/{envelope['id']}/documents", files={"file": ("x.pdf", content, "application/pdf")}, headers=stack.headers
    )
    problem = api.problem(response, 422, "invalid_document")
    assert words in problem["detail"]
    assert api.stored_files(stack) == []
    after = (await stack.client.get(f"/v1/envelopes/{envelope['id']}", headers=stack.headers)).json()
    assert after["documents"] == []


async def test_an_upload_without_a_file_part_is_a_bad_request(stack):
    envelope = await api.post(stack, "/v1/envelopes", {"subject": "x"})
    response = await stack.client.post(
        f"/v1/envelopes/{envelope['id']}/documents", files={"other": ("x.pdf", make_pdf(), "application/pdf")}, headers=stack.headers
    )
    api.problem(response, 400, "malformed_request")


@pytest.mark.parametrize(
    ("placement", "words"),
    [
        ({"page": 3, "x": 10, "y": 10}, "page 3 does not exist"),
        ({"page": 1, "x": 500, "y": 10}, "does not fit"),
    ],
)
async def test_a_field_off_the_page_is_refused(stack, placement, words):
    envelope_id, document_id = await api.create_envelope(stack)
    ada = await api.add_signer(stack, envelope_id, "Ada")
    body = {"document_id": document_id, "signer_id": ada, "kind": "text", "width": 200, "height": 20, **placement}
    response = await stack.client.post(f"/v1/envelopes/{envelope_id}/fields", json=body, headers=stack.headers)
    assert words in api.problem(response, 422, "invalid_input")["detail"]


async def test_unknown_ids_are_not_found(stack):
    assert (await stack.client.get("/v1/envelopes/nope", headers=stack.headers)).status_code == 404
    envelope_id, _ = await api.create_envelope(stack)
    missing_doc = await stack.client.get(f"/v1/envelopes/{envelope_id}/documents/nope/content", headers=stack.headers)
    assert missing_doc.status_code == 404
    assert (await stack.client.get("/v1/signing/not-a-token")).status_code == 404
    body = {"document_id": "nope", "signer_id": "nope", "kind": "text", "page": 1, "x": 1, "y": 1, "width": 5, "height": 5}
    unknown = await stack.client.post(f"/v1/envelopes/{envelope_id}/fields", json=body, headers=stack.headers)
    api.problem(unknown, 422, "invalid_input")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "malformed"),
        (b'{"subject": 3}', "Expected `str`"),
        (b'{"subject": "x", "colour": "red"}', "unknown field"),
        (b'{"subject": "x", "routing": "sideways"}', "routing"),
    ],
)
async def test_a_malformed_body_is_a_bad_request_that_says_why(stack, body, words):
    response = await stack.client.post(
        "/v1/envelopes", content=body, headers={**stack.headers, "content-type": "application/json"}
    )
    problem = api.problem(response, 400, "malformed_request")
    assert words.lower() in problem["detail"].lower()


async def test_no_key_or_a_bad_key_is_unauthorized(stack):
    assert (await stack.client.get("/v1/envelopes")).status_code == 401
    bad = await stack.client.get("/v1/envelopes", headers={"Authorization": "Bearer usk_nope_nope"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"


async def test_another_tenants_envelope_is_not_found(stack):
    envelope_id, _ = await api.create_envelope(stack)
    other = await api.api_key(stack, tenant="globex")
    response = await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=api.bearer(other))
    assert response.status_code == 404


async def test_signing_without_consent_is_refused(stack):
    envelope_id, _ = await api.create_envelope(stack)
    ada = await api.add_signer(stack, envelope_id, "Ada")
    await api.send(stack, envelope_id)
    token = await api.signing_token(stack, envelope_id, ada)
    body = {"signature": {"kind": "typed", "text": "Ada"}, "consent": False}
    response = await stack.client.post(f"/v1/signing/{token}/sign", json=body)
    assert "consent" in api.problem(response, 422, "invalid_input")["detail"]


async def test_a_json_body_over_a_megabyte_is_too_large_even_where_uploads_may_be_fifty(stack):
    big = {"signature": {"kind": "typed", "text": "Ada"}, "consent": True, "fields": {"x": "y" * (1024 * 1024)}}
    api.problem(await stack.client.post("/v1/signing/any-token/sign", json=big), 413)
    api.problem(await stack.client.post("/v1/envelopes", json={"subject": "x" * (1024 * 1024)}, headers=stack.headers), 413)
    upload = await stack.client.post(
        "/v1/envelopes/no-such-envelope/documents", files={"file": ("big.pdf", make_pdf() + b" " * (2 * 1024 * 1024), "application/pdf")},
        headers=stack.headers,
    )
    assert upload.status_code == 404  # past the JSON limit, within the upload limit: read, then not found
