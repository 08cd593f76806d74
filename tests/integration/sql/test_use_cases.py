"""The use cases, wired as production wires them, over each backend's units of work."""

from __future__ import annotations

import asyncio

from tests.fakes.platform import FakePlatform
from tests.integration.sql.helpers import Backend
from undersign.application.envelopes.create import CreateEnvelope
from undersign.application.envelopes.documents import AddDocument
from undersign.application.envelopes.fields import PlaceField
from undersign.application.envelopes.recipients import AddSigner
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.envelopes.signing_links import CreateSigningLink
from undersign.application.shared.unit_of_work import UnitOfWork
from undersign.application.signing.seal import SealEnvelopeJob
from undersign.application.signing.sign import Sign
from undersign.domain.document import RevisionKind
from undersign.domain.envelope import EnvelopeStatus
from undersign.domain.field import FieldKind, Placement
from undersign.domain.policy import Routing
from undersign.domain.tenant import AccessRole

# -- the use cases over each backend --------------------------------------------------------------


class PlatformOn(FakePlatform):
    """Every use case wired as in the fakes, but on this backend's units of work."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        super().__init__()
        self.blob_store = backend.blobs

    def unit_of_work(self) -> UnitOfWork:  # type: ignore[override]
        return self._backend.uow()


async def test_parallel_signers_signing_at_once_all_get_their_signature_in(backend: Backend) -> None:
    platform = PlatformOn(backend)
    await platform.tenants.create("acme")
    caller = await platform.tenants.authenticate((await platform.tenants.create_api_key("acme", AccessRole.ADMIN)).key)
    envelope = await platform.create_envelope(CreateEnvelope(caller=caller, subject="NDA", routing=Routing.PARALLEL))
    document = await platform.add_document(
        AddDocument(caller=caller, envelope_id=envelope.id, filename="nda.pdf", content=b"%PDF-1.7 pages=1")
    )
    signer_ids = []
    for name in ("Ada", "Bob", "Cy"):
        signer = await platform.add_signer(
            AddSigner(caller=caller, envelope_id=envelope.id, name=name, email=f"{name.lower()}@example.com")
        )
        await platform.place_field(
            PlaceField(caller=caller, envelope_id=envelope.id, document_id=document.id, signer_id=signer.id,
                       kind=FieldKind.SIGNATURE, placement=Placement(page=1, x=50, y=700, width=150, height=40))
        )
        signer_ids.append(signer.id)
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope.id))
    links = [CreateSigningLink(caller=caller, envelope_id=envelope.id, signer_id=s) for s in signer_ids]
    tokens = [(await platform.create_signing_link(link)).token for link in links]

    await asyncio.wait_for(
        asyncio.gather(*(
            platform.sign(Sign(token=token, field_values={}, signature_text=f"Signer {i}", consent=True))
            for i, token in enumerate(tokens)
        )),
        timeout=60,
    )
    # The seal is a job, which the completion's outbox message sets in motion.
    while await platform.dispatcher.dispatch():
        pass
    seal_jobs = platform.job_queue.take(SealEnvelopeJob.name)
    assert [job.args for job in seal_jobs] == [{"tenant_id": caller.tenant_id, "envelope_id": envelope.id}]
    await platform.seal_envelope(SealEnvelopeJob.of(seal_jobs[0]))

    envelope, documents = await platform.envelope_queries.get(caller, envelope.id)
    assert envelope.status is EnvelopeStatus.COMPLETED
    assert [r.kind for r in documents[0].revisions] == [
        RevisionKind.ORIGINAL, RevisionKind.PREPARED, RevisionKind.SIGNED, RevisionKind.SIGNED, RevisionKind.SIGNED,
        RevisionKind.SEALED,
    ]
    assert set(backend.blobs.blobs) == {r.blob_key for r in documents[0].revisions}
    trail = await platform.envelope_queries.audit_trail(caller, envelope.id)
    assert trail.chain_valid
    assert sum(e.type == "SignerSigned" for e in trail.entries) == 3


async def test_keys_made_and_revoked_at_once_leave_one_unbroken_tenant_audit_chain(backend: Backend) -> None:
    """Acts racing in one tenant chain after the same entry: the losers start again, none is lost or doubled."""
    from undersign.application.access.api_keys import IssueApiKey

    platform = PlatformOn(backend)
    await platform.tenants.create("acme")
    owner = await platform.tenants.authenticate((await platform.tenants.create_api_key("acme", AccessRole.OWNER)).key)
    target = await platform.api_keys.issue(IssueApiKey(caller=owner, role=AccessRole.VIEWER))

    issued = await asyncio.gather(
        *(platform.api_keys.issue(IssueApiKey(caller=owner, role=AccessRole.SENDER)) for _ in range(4)),
        *(platform.api_keys.revoke(owner, target.api_key.id) for _ in range(3)),
    )

    entries = (await platform.tenant_audit.page(owner, limit=100)).items
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert [e.type for e in entries].count("ApiKeyRevoked") == 1
    made = {e.data["key_id"] for e in entries if e.type == "ApiKeyCreated"}
    assert {i.api_key.id for i in issued[:4]} <= made and len(made) == 6
    assert (await platform.tenant_audit.verify(owner)).chain_valid
