"""Saving writes only what changed since the unit of work read it: what comes back is still the whole aggregate,
with its audit chain unbroken, whichever unit of work read it."""

from __future__ import annotations

from tests.fakes.pdf import A4
from tests.integration.sql.helpers import ACME, T0, Backend, draft, fetch, stored, uploaded
from undersign.domain.audit import verify_chain
from undersign.domain.field import FieldKind, Placement
from undersign.domain.signer import Role


async def test_an_envelope_read_in_one_unit_of_work_is_saved_whole_in_another(backend: Backend, tenants: None) -> None:
    await stored(backend, draft())
    async with backend.uow() as reading:
        envelope = await reading.envelopes.get(ACME, "env-1")
    assert envelope is not None

    envelope.add_signer(signer_id="s-ada", name="Ada", email="ada@example.com", role=Role.SIGNER,
                        routing_order=None, now=T0, actor="api_key:k1")  # fmt: skip
    envelope.subject = "Lease — 4th floor"
    async with backend.uow() as writing:
        await writing.envelopes.save(envelope)
        await writing.commit()

    assert await fetch(backend) == envelope
    assert envelope.version == 1


async def test_changed_new_and_untouched_rows_come_back_as_saved_and_every_event_is_chained(
    backend: Backend, tenants: None
) -> None:
    await stored(backend, draft(), documents=(uploaded(),))
    async with backend.uow() as uow:
        envelope = await uow.envelopes.get(ACME, "env-1")
        envelope.add_document(document_id="doc-1", filename="lease.pdf", now=T0, actor="api_key:k1")
        for signer_id in ("s-ada", "s-bob"):
            envelope.add_signer(signer_id=signer_id, name=signer_id, email=f"{signer_id}@example.com",
                                role=Role.SIGNER, routing_order=None, now=T0, actor="api_key:k1")  # fmt: skip
        await uow.envelopes.save(envelope)
        await uow.commit()

    async with backend.uow() as uow:  # a new field, one signer changed, the other untouched
        envelope = await uow.envelopes.get(ACME, "env-1")
        envelope.place_field(field_id="f-1", document_id="doc-1", signer_id="s-ada", kind=FieldKind.SIGNATURE,
                             placement=Placement(page=1, x=72, y=600, width=160, height=36), required=True,
                             pages=[A4], now=T0, actor="api_key:k1")  # fmt: skip
        envelope.signer("s-ada").name = "Ada Lovelace"
        await uow.envelopes.save(envelope)
        await uow.commit()

    loaded = await fetch(backend)
    assert loaded == envelope and loaded.version == 2
    assert [s.name for s in loaded.signers] == ["Ada Lovelace", "s-bob"]
    async with backend.uow() as uow:
        entries = await uow.audit.entries(ACME, "env-1")
    assert [e.type for e in entries] == ["EnvelopeCreated", "DocumentAdded", "SignerAdded", "SignerAdded", "FieldPlaced"]
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5] and verify_chain(entries)


async def test_a_save_after_a_failed_one_in_a_fresh_unit_of_work_starts_from_what_is_stored(
    backend: Backend, tenants: None
) -> None:
    await stored(backend, draft())
    async with backend.uow() as uow:  # changed, saved, but never committed
        envelope = await uow.envelopes.get(ACME, "env-1")
        envelope.add_signer(signer_id="s-lost", name="Lost", email="lost@example.com", role=Role.SIGNER,
                            routing_order=None, now=T0, actor="api_key:k1")  # fmt: skip
        await uow.envelopes.save(envelope)

    async with backend.uow() as uow:
        envelope = await uow.envelopes.get(ACME, "env-1")
        assert envelope.signers == [] and envelope.version == 0
        envelope.add_signer(signer_id="s-ada", name="Ada", email="ada@example.com", role=Role.SIGNER,
                            routing_order=None, now=T0, actor="api_key:k1")  # fmt: skip
        await uow.envelopes.save(envelope)
        await uow.commit()

    assert [s.id for s in (await fetch(backend)).signers] == ["s-ada"]
