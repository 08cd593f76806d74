"""Retention and legal hold over HTTP: an admin holds an envelope (a viewer may not), the retention run,
with the clock moved past the policy's retention, passes it over until the hold is released, then
purges it: its documents and certificate answer 410 `documents_purged`, their hashes are still shown,
and the audit chain still verifies."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from dependency_injector import providers

from tests.e2e import api
from tests.fakes.system import FakeClock
from undersign.domain.tenant import AccessRole
from undersign.entrypoints.container import build_container, shutdown

RETENTION = timedelta(days=3650)  # the default policy's


async def retention_run(stack, *, after: timedelta):
    """The retention run, as the schedule or `undersign retention run` would do it, `after` from now."""
    container = build_container(stack.settings)
    container.core.clock.override(providers.Object(FakeClock(datetime.now(UTC) + after)))
    try:
        return await container.use_cases().retention.run()
    finally:
        await shutdown(container)


async def test_a_hold_keeps_the_documents_and_after_its_release_the_run_leaves_only_their_hashes(stack):
    envelope_id, document_id, pdf = await api.completed_envelope(stack)
    envelope_url = f"/v1/envelopes/{envelope_id}"
    # The certificate made before the purge: a maker still at work when the purge begins would hold
    # its blob until its transaction rolls back, after the check below.
    assert (await stack.client.get(f"{envelope_url}/certificate", headers=stack.headers)).status_code == 200
    hold_url = f"{envelope_url}/legal-hold"
    content_url = f"{envelope_url}/documents/{document_id}/content"
    ended = (await stack.client.get(envelope_url, headers=stack.headers)).json()
    completed_at = datetime.fromisoformat(ended["completed_at"])
    assert datetime.fromisoformat(ended["purge_after"]) == completed_at + RETENTION
    assert ended["purged_at"] is None and ended["legal_hold"] is None

    for role in (AccessRole.VIEWER, AccessRole.SENDER, AccessRole.AUDITOR):
        other = api.bearer(await api.api_key(stack, role))
        api.problem(await stack.client.put(hold_url, json={"reason": "mine"}, headers=other), 403, "forbidden")
        api.problem(await stack.client.delete(hold_url, params={"reason": "mine"}, headers=other), 403, "forbidden")
    held = await stack.client.put(hold_url, json={"reason": "Litigation 2026-17"}, headers=stack.headers)
    assert held.status_code == 200, held.text
    hold = held.json()["legal_hold"]
    assert hold["reason"] == "Litigation 2026-17" and hold["by"].startswith("api_key:") and hold["since"]

    assert (await retention_run(stack, after=RETENTION + timedelta(days=1))).due == 0
    assert (await stack.client.get(content_url, headers=stack.headers)).content == pdf

    api.problem(await stack.client.delete(hold_url, headers=stack.headers), 422, "invalid_input")  # no reason
    released = await stack.client.delete(hold_url, params={"reason": "Case settled"}, headers=stack.headers)
    assert released.status_code == 200 and released.json()["legal_hold"] is None, released.text
    api.problem(await stack.client.delete(hold_url, params={"reason": "again"}, headers=stack.headers), 409, "no_legal_hold")

    report = await retention_run(stack, after=RETENTION + timedelta(days=1))
    assert (report.purged, report.failed) == (1, []) and report.blobs_deleted == 6  # original, prepared, 2 signed, sealed, certificate

    api.problem(await stack.client.get(content_url, headers=stack.headers), 410, "documents_purged")
    api.problem(await stack.client.get(f"{envelope_url}/certificate", headers=stack.headers), 410, "documents_purged")
    api.problem(await stack.client.put(hold_url, json={"reason": "too late"}, headers=stack.headers), 410, "documents_purged")
    tombstone = (await stack.client.get(envelope_url, headers=stack.headers)).json()
    assert tombstone["purged_at"] is not None and tombstone["status"] == "completed"
    (document,) = tombstone["documents"]
    assert document["status"] == "purged" and document["current_sha256"] == hashlib.sha256(pdf).hexdigest()
    assert document["sha256"] == ended["documents"][0]["sha256"] and document["size"] == ended["documents"][0]["size"]
    assert [s["name"] for s in tombstone["signers"]] == ["Ada Lovelace", "Bob Babbage"]
    assert not [f for f in api.stored_files(stack) if envelope_id in f or document_id in f]

    audit = (await stack.client.get(f"{envelope_url}/audit", headers=stack.headers)).json()
    assert audit["chain_valid"] is True
    types = [e["type"] for e in audit["events"]]
    assert types[-3:] == ["LegalHoldSet", "LegalHoldReleased", "DocumentsPurged"]
    assert audit["events"][-3]["data"] == {"reason": "Litigation 2026-17"}
    sealed = [e for e in audit["events"] if e["type"] == "DocumentSealed"]
    assert sealed[-1]["data"]["sha256"] == hashlib.sha256(pdf).hexdigest()  # what a copy of the PDF is checked against

    assert (await retention_run(stack, after=RETENTION * 2)).due == 0  # nothing left to do


async def test_a_webhook_can_subscribe_to_purges(stack):
    hook = await api.post(stack, "/v1/webhooks", {"url": "https://93.184.215.14/in", "events": ["envelope.documents_purged"]})
    assert hook["events"] == ["envelope.documents_purged"]


async def test_another_tenants_envelope_cannot_be_held(stack):
    envelope_id, _ = await api.create_envelope(stack)
    stranger = api.bearer(await api.api_key(stack, tenant="globex"))
    url = f"/v1/envelopes/{envelope_id}/legal-hold"
    api.problem(await stack.client.put(url, json={"reason": "mine"}, headers=stranger), 404, "not_found")
    held = await stack.client.put(url, json={"reason": "before it is even sent"}, headers=stack.headers)
    assert held.status_code == 200 and held.json()["legal_hold"]["reason"] == "before it is even sent"
