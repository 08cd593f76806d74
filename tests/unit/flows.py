"""Envelopes walked through the use cases on fakes, for the unit tests to start from."""

from __future__ import annotations

from tests.fakes.platform import FakePlatform
from tests.fakes.system import contents
from undersign.application.access.permissions import Caller
from undersign.application.envelopes.create import CreateEnvelope
from undersign.application.envelopes.documents import AddDocument
from undersign.application.envelopes.fields import PlaceField
from undersign.application.envelopes.recipients import AddSigner
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.envelopes.signing_links import CreateSigningLink
from undersign.application.signing.sign import Sign
from undersign.domain.document import Document
from undersign.domain.field import FieldKind, Placement
from undersign.domain.policy import Routing


async def envelope_with(platform, caller, *signers: str, routing=Routing.SEQUENTIAL, fields=True):
    envelope = await platform.create_envelope(CreateEnvelope(caller=caller, subject="Lease", routing=routing))
    document = await platform.add_document(
        AddDocument(caller=caller, envelope_id=envelope.id, filename="lease.pdf", content=b"%PDF-1.7 pages=2")
    )
    ids = []
    for name in signers:
        signer = await platform.add_signer(
            AddSigner(caller=caller, envelope_id=envelope.id, name=name, email=f"{name.lower()}@example.com")
        )
        ids.append(signer.id)
        if fields:
            await platform.place_field(
                PlaceField(
                    caller=caller, envelope_id=envelope.id, document_id=document.id, signer_id=signer.id,
                    kind=FieldKind.SIGNATURE, placement=Placement(page=2, x=50, y=700, width=150, height=40),
                )
            )
    return envelope.id, document.id, ids


async def link(platform, caller, envelope_id, signer_id) -> str:
    return (await platform.create_signing_link(CreateSigningLink(caller=caller, envelope_id=envelope_id, signer_id=signer_id))).token


def sign(token: str, **overrides) -> Sign:
    return Sign(**{"token": token, "field_values": {}, "signature_text": "Typed Name", "consent": True, **overrides})


async def completed(platform: FakePlatform, caller: Caller) -> tuple[str, str]:
    """An envelope Ada alone signed: completed, its document sealed."""
    envelope_id, document_id, (ada,) = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    await platform.sign(sign(await link(platform, caller, envelope_id, ada)))
    await platform.run_background()  # the seal
    return envelope_id, document_id


async def as_it_stands(platform: FakePlatform, caller: Caller, envelope_id: str, document_id: str) -> tuple[Document, bytes]:
    """The document's record and the bytes a download gives."""
    _, documents = await platform.envelope_queries.get(caller, envelope_id)
    [document] = [d for d in documents if d.id == document_id]
    return document, await contents(await platform.envelope_queries.document_content(caller, envelope_id, document_id))
