"""The API's conventions over HTTP: ETag and If-Match, Idempotency-Key, list filters, UTC timestamps."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from tests.e2e import api
from tests.pdf_samples import make_pdf
from undersign.application.access.idempotency import IdempotentRequest, KeyOwner, fingerprint
from undersign.entrypoints.container import build_container


async def envelope(stack, envelope_id: str):
    response = await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)
    assert response.status_code == 200, response.text
    return response


# -- ETag and If-Match ----------------------------------------------------------------------


async def test_an_envelope_carries_an_etag_of_its_version(stack):
    created = await stack.client.post("/v1/envelopes", json={"subject": "NDA"}, headers=stack.headers)
    body = created.json()
    assert created.headers["etag"] == f'"{body["id"]}-{body["version"]}"'

    read = await envelope(stack, body["id"])
    assert read.headers["etag"] == created.headers["etag"]
    await api.add_signer(stack, body["id"], "Ada")
    assert (await envelope(stack, body["id"])).headers["etag"] == f'"{body["id"]}-{body["version"] + 1}"'


async def test_if_match_lets_a_change_through_only_on_the_version_read(stack):
    envelope_id, document_id = await api.create_envelope(stack)
    etag = (await envelope(stack, envelope_id)).headers["etag"]

    ada = await stack.client.post(
        f"/v1/envelopes/{envelope_id}/signers", json={"name": "Ada", "email": "ada@example.com"},
        headers={**stack.headers, "If-Match": etag},
    )
    assert ada.status_code == 201, ada.text

    before = await envelope(stack, envelope_id)
    attempts = [  # each with the ETag read before Ada was added
        ("/signers", {"json": {"name": "Bob", "email": "bob@example.com"}}),
        ("/fields", {"json": {"document_id": document_id, "signer_id": ada.json()["id"], "kind": "signature",
                              "page": 1, "x": 50, "y": 50, "width": 100, "height": 30}}),
        ("/documents", {"files": {"file": ("b.pdf", make_pdf(), "application/pdf")}}),
        ("/send", {}),
    ]
    for path, content in attempts:
        response = await stack.client.post(
            f"/v1/envelopes/{envelope_id}{path}", headers={**stack.headers, "If-Match": etag}, **content
        )
        api.problem(response, 412, "precondition_failed")

    after = await envelope(stack, envelope_id)
    assert after.json() == before.json() and after.headers["etag"] == before.headers["etag"]
    blobs = [p for p in stack.settings.blob_dir.rglob("*") if p.is_file()]
    assert len(blobs) == 1

    sent = await stack.client.post(f"/v1/envelopes/{envelope_id}/send", headers={**stack.headers, "If-Match": after.headers["etag"]})
    assert sent.status_code == 200, sent.text
    assert sent.headers["etag"] == f'"{envelope_id}-{sent.json()["version"]}"' != after.headers["etag"]
    voided = await stack.client.post(
        f"/v1/envelopes/{envelope_id}/void", json={"reason": "wrong terms"}, headers={**stack.headers, "If-Match": sent.headers["etag"]}
    )
    assert voided.status_code == 200 and voided.json()["status"] == "voided"
    assert voided.headers["etag"] == (await envelope(stack, envelope_id)).headers["etag"]


async def test_if_match_takes_a_star_but_no_weak_foreign_or_malformed_tag(stack):
    envelope_id, _ = await api.create_envelope(stack)
    other_id, _ = await api.create_envelope(stack)
    etag = (await envelope(stack, envelope_id)).headers["etag"]
    other = (await envelope(stack, other_id)).headers["etag"]
    url = f"/v1/envelopes/{envelope_id}/signers"

    for refused in (f"W/{etag}", other, etag.strip('"'), "", '"abc"'):
        response = await stack.client.post(url, json={"name": "Bob", "email": "bob@example.com"}, headers={**stack.headers, "If-Match": refused})
        api.problem(response, 412, "precondition_failed")

    starred = await stack.client.post(url, json={"name": "Cy", "email": "cy@example.com"}, headers={**stack.headers, "If-Match": "*"})
    assert starred.status_code == 201, starred.text
    etag = (await envelope(stack, envelope_id)).headers["etag"]
    listed = await stack.client.post(url, json={"name": "Di", "email": "di@example.com"}, headers={**stack.headers, "If-Match": f"{other}, {etag}"})
    assert listed.status_code == 201, listed.text


# -- Idempotency-Key ------------------------------------------------------------------------


def keyed(stack, key: str) -> dict[str, str]:
    return {**stack.headers, "Idempotency-Key": key}


async def test_a_repeated_create_with_the_same_key_answers_the_same_and_creates_once(stack):
    body = {"subject": "Lease", "message": "Please sign"}
    first = await stack.client.post("/v1/envelopes", json=body, headers=keyed(stack, "create-1"))
    again = await stack.client.post("/v1/envelopes", json=body, headers=keyed(stack, "create-1"))

    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    listed = (await stack.client.get("/v1/envelopes", headers=stack.headers)).json()
    assert [e["id"] for e in listed["items"]] == [first.json()["id"]]

    unkeyed = [await stack.client.post("/v1/envelopes", json=body, headers=stack.headers) for _ in range(2)]
    assert unkeyed[0].json()["id"] != unkeyed[1].json()["id"]


async def test_every_creating_post_is_done_once_per_key(stack):
    envelope_id = (await api.post(stack, "/v1/envelopes", {"subject": "Lease"}))["id"]
    pdf = make_pdf(pages=2)
    # httpx picks a new multipart boundary for each request, as curl does: the key still holds.
    uploads = [
        await stack.client.post(f"/v1/envelopes/{envelope_id}/documents", files={"file": ("lease.pdf", pdf, "application/pdf")},
                                headers=keyed(stack, "upload-1"))
        for _ in range(2)
    ]
    assert [u.status_code for u in uploads] == [201, 201] and uploads[0].content == uploads[1].content
    document_id = uploads[0].json()["id"]

    signer = {"name": "Ada", "email": "ada@example.com"}
    adds = [await stack.client.post(f"/v1/envelopes/{envelope_id}/signers", json=signer, headers=keyed(stack, "signer-1")) for _ in range(2)]
    assert [a.status_code for a in adds] == [201, 201] and adds[0].content == adds[1].content
    field = {"document_id": document_id, "signer_id": adds[0].json()["id"], "kind": "signature",
             "page": 1, "x": 50, "y": 50, "width": 100, "height": 30}
    places = [await stack.client.post(f"/v1/envelopes/{envelope_id}/fields", json=field, headers=keyed(stack, "field-1")) for _ in range(2)]
    assert [p.status_code for p in places] == [201, 201] and places[0].content == places[1].content

    await api.send(stack, envelope_id)
    link_url = f"/v1/envelopes/{envelope_id}/signers/{adds[0].json()['id']}/signing-link"
    links = [await stack.client.post(link_url, headers=keyed(stack, "link-1")) for _ in range(2)]
    assert [x.status_code for x in links] == [201, 201] and links[0].json()["token"] == links[1].json()["token"]

    current = (await envelope(stack, envelope_id)).json()
    assert len(current["documents"]) == 1 and len(current["signers"]) == 1 and len(current["fields"]) == 1
    audit = (await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers)).json()
    # The invitation the send queued may issue an emailed link of its own meanwhile ("system"): not counted here.
    issued_over_the_api = [e for e in audit["events"] if e["type"] == "SigningLinkIssued" and e["actor"] != "system"]
    assert len(issued_over_the_api) == 1


async def test_the_same_key_for_another_request_is_refused(stack):
    first = await stack.client.post("/v1/envelopes", json={"subject": "Lease"}, headers=keyed(stack, "k-1"))
    assert first.status_code == 201

    api.problem(await stack.client.post("/v1/envelopes", json={"subject": "Other"}, headers=keyed(stack, "k-1")),
                422, "idempotency_key_reused")
    api.problem(await stack.client.post(f"/v1/envelopes/{first.json()['id']}/signers", json={"subject": "Lease"},
                                        headers=keyed(stack, "k-1")), 422, "idempotency_key_reused")
    api.problem(await stack.client.post("/v1/envelopes", json={"subject": "Lease"}, headers=keyed(stack, "not a key")),
                422, "invalid_idempotency_key")


async def test_a_failed_request_leaves_its_key_free_for_the_retry(stack):
    api.problem(await stack.client.post("/v1/envelopes", json={"subject": " "}, headers=keyed(stack, "k-2")), 422, "invalid_input")
    api.problem(await stack.client.post("/v1/envelopes", json={"subject": 1}, headers=keyed(stack, "k-2")), 400, "malformed_request")

    retried = await stack.client.post("/v1/envelopes", json={"subject": "Lease"}, headers=keyed(stack, "k-2"))
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers


async def test_a_repeat_while_the_first_is_still_running_is_a_conflict(stack):
    body = json.dumps({"subject": "Lease"}).encode()
    container = build_container(stack.settings)
    try:
        key = stack.headers["Authorization"].removeprefix("Bearer ")
        caller = await container.use_cases().tenants.authenticate(key)
        # The first request is in flight: it has claimed the key and not answered yet (its fingerprint keyed,
        # as every caller's is, with the caller's own secret: an API key's is the key itself).
        printed = fingerprint("POST", "/v1/envelopes", body, secret=key.encode())
        await container.use_cases().idempotency.begin(IdempotentRequest(owner=KeyOwner.of(caller), key="k-3", fingerprint=printed))

        response = await stack.client.post(
            "/v1/envelopes", content=body, headers={**keyed(stack, "k-3"), "Content-Type": "application/json"}
        )

        api.problem(response, 409, "idempotency_key_in_progress")
    finally:
        await container.gateways.engine().dispose()


async def test_without_an_api_key_an_idempotency_key_does_not_help(stack):
    response = await stack.client.post("/v1/envelopes", json={"subject": "Lease"}, headers={"Idempotency-Key": "k-4"})
    api.problem(response, 401, "unauthenticated")


# -- list filters ---------------------------------------------------------------------------


async def test_envelopes_are_listed_by_recipient_status_and_creation_time(stack):
    made = []
    for n, names in enumerate((["Ada"], ["Bob"], ["Ada", "Bob"], ["Cy"], ["Ada"])):
        created = await api.post(stack, "/v1/envelopes", {"subject": f"Envelope {n}"})
        for name in names:
            await api.add_signer(stack, created["id"], name)
        made.append(created)
    newest_first = [e["id"] for e in reversed(made)]

    async def listed(query: str) -> list[str]:
        ids, cursor = [], None
        while True:
            page = await stack.client.get(f"/v1/envelopes?limit=1&{query}" + (f"&cursor={cursor}" if cursor else ""), headers=stack.headers)
            assert page.status_code == 200, page.text
            ids += [e["id"] for e in page.json()["items"]]
            if (cursor := page.json()["next_cursor"]) is None:
                return ids

    assert await listed("signer_email=ADA%40Example.com") == [newest_first[0], newest_first[2], newest_first[4]]
    assert await listed("signer_email=bob@example.com&status=draft") == [newest_first[2], newest_first[3]]
    assert await listed("status=sent") == []

    second = datetime.fromisoformat(made[1]["created_at"])
    fourth = datetime.fromisoformat(made[3]["created_at"])
    utc = f"created_after={quote(made[1]['created_at'])}&created_before={quote(made[3]['created_at'])}"
    assert await listed(utc) == [newest_first[2], newest_first[3]]  # from inclusive, before exclusive
    elsewhere = timezone(timedelta(hours=-5))  # the same instants with another offset
    shifted = (
        f"created_after={quote(second.astimezone(elsewhere).isoformat())}"
        f"&created_before={quote(fourth.astimezone(elsewhere).isoformat())}"
    )
    assert await listed(shifted) == [newest_first[2], newest_first[3]]
    assert await listed(f"{utc}&signer_email=ada@example.com") == [newest_first[2]]


async def test_a_creation_time_without_an_offset_or_a_forged_cursor_is_refused(stack):
    naive = await stack.client.get("/v1/envelopes?created_after=2026-01-05T09:00:00", headers=stack.headers)
    api.problem(naive, 422, "invalid_input")
    assert "offset" in naive.json()["detail"]
    api.problem(await stack.client.get("/v1/envelopes?created_before=yesterday", headers=stack.headers), 400, "malformed_request")
    forged = base64.urlsafe_b64encode(json.dumps(["2026-01-05T09:00:00", "x"]).encode()).decode().rstrip("=")
    api.problem(await stack.client.get(f"/v1/envelopes?cursor={forged}", headers=stack.headers), 422, "invalid_input")


# -- timestamps -----------------------------------------------------------------------------


TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def timestamps_in(value: Any, where: str = "") -> list[tuple[str, str]]:
    """Every ISO 8601 date-time string anywhere in a JSON document, with where it was found."""
    if isinstance(value, dict):
        return [t for key, item in value.items() for t in timestamps_in(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [t for n, item in enumerate(value) for t in timestamps_in(item, f"{where}[{n}]")]
    if isinstance(value, str) and TIMESTAMP.match(value):
        return [(where, value)]
    return []


async def test_every_timestamp_the_api_returns_is_utc(stack):
    documents = []

    async def keep(response):
        assert response.status_code < 300, response.text
        documents.append(response.json())
        return response.json()

    envelope_id, document_id = await api.create_envelope(stack)
    ada = await keep(await stack.client.post(f"/v1/envelopes/{envelope_id}/signers", json={"name": "Ada", "email": "ada@example.com"}, headers=stack.headers))
    await api.place(stack, envelope_id, document_id, ada["id"], "signature", 1, 72, 600)
    await api.place(stack, envelope_id, document_id, ada["id"], "date_signed", 1, 300, 600)
    await keep(await stack.client.post(f"/v1/envelopes/{envelope_id}/send", headers=stack.headers))
    link = await keep(await stack.client.post(f"/v1/envelopes/{envelope_id}/signers/{ada['id']}/signing-link", headers=stack.headers))
    await keep(await stack.client.get(f"/v1/signing/{link['token']}"))
    await keep(await stack.client.post(f"/v1/signing/{link['token']}/sign", json={"signature": {"kind": "typed", "text": "Ada"}, "consent": True}))
    await keep(await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers))
    await keep(await stack.client.get("/v1/envelopes", headers=stack.headers))
    await keep(await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers))

    found = [t for document in documents for t in timestamps_in(document)]
    where = {w.rsplit(".", 1)[-1] for w, _ in found}
    assert {"created_at", "updated_at", "sent_at", "expires_at", "completed_at", "acted_at", "at"} <= where
    for place, value in found:
        assert value.endswith(("Z", "+00:00")), f"{place} = {value}"
        assert datetime.fromisoformat(value).utcoffset() == timedelta(0), f"{place} = {value}"
