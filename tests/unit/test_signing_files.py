"""Signing, sealing and renewing go blob → local file → signer → local file → blob, and leave no file behind."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.flows import completed, envelope_with, link, sign
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.shared.errors import TimestampUnavailable
from undersign.application.signing.archive_renewal import RenewArchiveTimestamps


async def test_signing_and_sealing_store_what_the_signer_wrote_and_remove_their_files(platform, caller):
    envelope_id, document_id = await completed(platform, caller)

    document = await platform.envelope_queries.document_content(caller, envelope_id, document_id)
    stored = platform.blob_store.blobs[document.blob_key]
    assert stored.endswith(b"\n%signed by Ada [signature=Typed Name]\n%sealed")
    assert document.size == len(stored)
    assert platform.blob_store.open_files == set()


async def test_a_failed_signature_removes_its_files_too(platform, caller):
    envelope_id, _, (ada,) = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    platform.pdf_signer.failure = TimestampUnavailable("no time-stamping authority answered")

    with pytest.raises(TimestampUnavailable):
        await platform.sign(sign(await link(platform, caller, envelope_id, ada)))

    assert platform.blob_store.open_files == set()


async def test_a_renewal_reads_and_writes_through_files_it_removes(platform, caller):
    envelope_id, document_id = await completed(platform, caller)
    expiry = platform.clock.now() + timedelta(days=10)
    platform.pdf_signer.archive_expiries[b"%sealed"] = expiry
    platform.pdf_signer.archive_expiries[b"%archive timestamp"] = expiry + timedelta(days=365)

    report = await platform.renew_archive_timestamps(RenewArchiveTimestamps(within=timedelta(days=30)))

    assert [renewal.document_id for renewal in report.renewed] == [document_id]
    assert platform.blob_store.open_files == set()
