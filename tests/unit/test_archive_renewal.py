"""`undersign archive renew`'s use case: which sealed documents get a new document time stamp, and what it records."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.flows import completed, envelope_with
from undersign.application.shared.errors import SigningFailed
from undersign.application.signing.archive_renewal import RenewArchiveTimestamps
from undersign.domain.document import RevisionKind
from undersign.domain.errors import InvalidState


async def test_a_document_whose_time_stamp_expires_within_the_window_gets_a_new_one(platform, caller):
    envelope_id, document_id = await completed(platform, caller)
    expiry = platform.clock.now() + timedelta(days=30)
    platform.pdf_signer.archive_expiries[b"%sealed"] = expiry
    platform.pdf_signer.archive_expiries[b"%archive timestamp"] = expiry + timedelta(days=365)

    report = await platform.renew_archive_timestamps(RenewArchiveTimestamps(within=timedelta(days=90)))

    assert report.checked == 1
    [renewal] = report.renewed
    assert (renewal.envelope_id, renewal.document_id, renewal.expired_at) == (envelope_id, document_id, expiry)
    document, content = await platform.envelope_queries.document_content(caller, envelope_id, document_id)
    assert document.current.kind is RevisionKind.ARCHIVE_TIMESTAMP and renewal.revision == document.current.number
    assert content.endswith(b"%archive timestamp")
    trail = await platform.envelope_queries.audit_trail(caller, envelope_id)
    assert trail.chain_valid and trail.entries[-1].type == "ArchiveTimestampAdded"
    assert trail.entries[-1].data["sha256"] == document.current.sha256


async def test_documents_far_from_expiry_or_without_a_document_time_stamp_are_left_alone(platform, caller):
    await completed(platform, caller)  # no document time stamp: the fake knows no expiry for it
    await completed(platform, caller)
    platform.pdf_signer.archive_expiries[b"%sealed"] = platform.clock.now() + timedelta(days=91)

    report = await platform.renew_archive_timestamps(RenewArchiveTimestamps(within=timedelta(days=90)))

    assert (report.checked, report.renewed) == (2, [])
    assert "archive timestamp" not in platform.pdf_signer.calls


async def test_once_renewed_a_document_is_not_renewed_again_until_its_new_time_stamp_nears_expiry(platform, caller):
    await completed(platform, caller)
    platform.pdf_signer.archive_expiries[b"%sealed"] = platform.clock.now() + timedelta(days=1)
    platform.pdf_signer.archive_expiries[b"%archive timestamp"] = platform.clock.now() + timedelta(days=3650)

    first = await platform.renew_archive_timestamps(RenewArchiveTimestamps(within=timedelta(days=90)))
    second = await platform.renew_archive_timestamps(RenewArchiveTimestamps(within=timedelta(days=90)))

    assert (len(first.renewed), len(second.renewed)) == (1, 0)


async def test_a_renewal_that_would_not_outlive_the_current_time_stamp_is_refused_and_nothing_stored(platform, caller):
    envelope_id, document_id = await completed(platform, caller)
    expiry = platform.clock.now() + timedelta(days=30)
    platform.pdf_signer.archive_expiries[b"%sealed"] = expiry
    platform.pdf_signer.archive_expiries[b"%archive timestamp"] = expiry  # the same TSA certificate again

    report = await platform.renew_archive_timestamps(RenewArchiveTimestamps(within=timedelta(days=90)))

    assert report.renewed == []
    [refused] = report.refused
    assert (refused.envelope_id, refused.document_id) == (envelope_id, document_id)
    assert "no later than the current time stamp's" in refused.reason
    document, content = await platform.envelope_queries.document_content(caller, envelope_id, document_id)
    assert document.current.kind is not RevisionKind.ARCHIVE_TIMESTAMP and content.endswith(b"%sealed")
    trail = await platform.envelope_queries.audit_trail(caller, envelope_id)
    assert "ArchiveTimestampAdded" not in [entry.type for entry in trail.entries]


async def test_a_time_stamping_authority_that_fails_is_reported_per_document(platform, caller):
    await completed(platform, caller)
    await completed(platform, caller)
    platform.pdf_signer.archive_expiries[b"%sealed"] = platform.clock.now() + timedelta(days=1)
    platform.pdf_signer.failure = SigningFailed("the time-stamping authority did not answer")

    report = await platform.renew_archive_timestamps(RenewArchiveTimestamps(within=timedelta(days=90)))

    assert report.renewed == []
    assert [r.reason for r in report.refused] == ["the time-stamping authority did not answer"] * 2


async def test_only_sealed_documents_take_archive_time_stamps(platform, caller):
    envelope_id, document_id, _ = await envelope_with(platform, caller, "Ada")
    async with platform.unit_of_work() as uow:
        document = await uow.documents.get(caller.tenant_id, document_id)

    with pytest.raises(InvalidState, match="only a sealed document"):
        document.add_revision(kind=RevisionKind.ARCHIVE_TIMESTAMP, blob_key="k", sha256="0" * 64, size=1, now=platform.clock.now())
