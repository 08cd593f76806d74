"""`undersign archive renew`'s use case: which sealed documents get a new document time stamp, and what it records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.flows import as_it_stands, completed, envelope_with
from tests.unit.test_reminders_and_expiry import holding
from undersign.application.shared.envelope_turns import EnvelopeTurns
from undersign.application.shared.errors import SigningFailed
from undersign.application.signing.archive_renewal import (
    PAGE_SIZE,
    RefusedRenewal,
    Renewal,
    RenewArchiveTimestamps,
    RenewArchiveTimestampsHandler,
)
from undersign.domain.document import RevisionKind
from undersign.domain.errors import InvalidInput, InvalidState


async def test_a_document_whose_time_stamp_expires_within_the_window_gets_a_new_one(platform, caller):
    envelope_id, document_id = await completed(platform, caller)
    expiry = platform.clock.now() + timedelta(days=30)
    platform.pdf_signer.archive_expiries[b"%sealed"] = expiry
    platform.pdf_signer.archive_expiries[b"%archive timestamp"] = expiry + timedelta(days=365)

    report = await platform.renew_archive_timestamps(RenewArchiveTimestamps(within=timedelta(days=90)))

    assert report.checked == 1
    [renewal] = report.renewed
    assert (renewal.envelope_id, renewal.document_id, renewal.expired_at) == (envelope_id, document_id, expiry)
    document, content = await as_it_stands(platform, caller, envelope_id, document_id)
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
    document, content = await as_it_stands(platform, caller, envelope_id, document_id)
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


async def test_a_negative_window_is_refused(platform, caller):
    with pytest.raises(InvalidInput, match="^the renewal window cannot be negative$"):
        await platform.renew_archive_timestamps(RenewArchiveTimestamps(within=timedelta(seconds=-1)))


async def test_with_no_window_a_time_stamp_ending_now_is_renewed_and_recorded_by_the_system(platform, caller):
    envelope_id, document_id = await completed(platform, caller)
    platform.clock.advance(timedelta(days=3))
    now = platform.clock.now()
    platform.pdf_signer.archive_expiries[b"%sealed"] = now
    platform.pdf_signer.archive_expiries[b"%archive timestamp"] = now + timedelta(days=365)

    report = await platform.renew_archive_timestamps(RenewArchiveTimestamps(within=timedelta(0)))

    document, _ = await as_it_stands(platform, caller, envelope_id, document_id)
    assert report.renewed == [Renewal(caller.tenant_id, envelope_id, document_id, now, document.current.number)]
    assert document.current.created_at == now
    last = (await platform.envelope_queries.audit_trail(caller, envelope_id)).entries[-1]
    assert (last.type, last.actor, last.at, last.data) == (
        "ArchiveTimestampAdded", "system", now, {"document_id": document_id, "sha256": document.current.sha256}
    )


async def test_a_document_without_a_document_time_stamp_is_checked_and_left_alone(platform, caller):
    await completed(platform, caller)
    report = await platform.renew_archive_timestamps(RenewArchiveTimestamps(within=timedelta(days=90)))
    assert (report.checked, report.renewed, report.refused) == (1, [], [])
    assert "archive timestamp" not in platform.pdf_signer.calls


async def test_a_document_renewed_meanwhile_is_not_renewed_again_once_held(platform, caller, monkeypatch):
    await completed(platform, caller)
    pdf_signer = platform.pdf_signer
    read_expiry = pdf_signer.archive_timestamp_expiry
    looks = []

    async def another_run_renews_it_after_the_first_look(pdf: str):
        looks.append(pdf)
        if len(looks) == 1:
            return platform.clock.now() + timedelta(days=1)
        return await read_expiry(pdf)

    monkeypatch.setattr(pdf_signer, "archive_timestamp_expiry", another_run_renews_it_after_the_first_look)
    pdf_signer.archive_expiries[b"%sealed"] = platform.clock.now() + timedelta(days=3650)

    report = await platform.renew_archive_timestamps(RenewArchiveTimestamps(within=timedelta(days=90)))

    assert (report.checked, report.renewed, report.refused, len(looks)) == (1, [], [], 2)
    assert "archive timestamp" not in pdf_signer.calls


async def test_a_refused_renewal_names_the_document_and_when_the_new_certificate_ends(platform, caller):
    envelope_id, document_id = await completed(platform, caller)
    expiry = datetime(2026, 2, 1, tzinfo=UTC)
    platform.pdf_signer.archive_expiries[b"%sealed"] = expiry
    platform.pdf_signer.archive_expiries[b"%archive timestamp"] = datetime(2026, 1, 20, tzinfo=UTC)

    report = await platform.renew_archive_timestamps(RenewArchiveTimestamps(within=timedelta(days=90)))

    assert report.refused == [
        RefusedRenewal(
            caller.tenant_id, envelope_id, document_id,
            "not renewed: the time-stamping authority's certificate ends on 2026-01-20, no later than the current "
            "time stamp's (2026-02-01); the TSA needs a newer certificate",
        )
    ]


async def test_a_renewal_whose_new_time_stamp_has_no_known_end_is_refused_saying_so(platform, caller):
    await completed(platform, caller)
    platform.pdf_signer.archive_expiries[b"%sealed"] = platform.clock.now() + timedelta(days=1)

    report = await platform.renew_archive_timestamps(RenewArchiveTimestamps(within=timedelta(days=90)))

    [refused] = report.refused
    assert "certificate ends at an unknown date, no later than" in refused.reason


async def test_a_failing_time_stamping_authority_is_reported_with_the_document(platform, caller):
    envelope_id, document_id = await completed(platform, caller)
    platform.pdf_signer.archive_expiries[b"%sealed"] = platform.clock.now() + timedelta(days=1)
    platform.pdf_signer.failure = SigningFailed("the time-stamping authority did not answer")

    report = await platform.renew_archive_timestamps(RenewArchiveTimestamps(within=timedelta(days=90)))

    assert report.refused == [
        RefusedRenewal(caller.tenant_id, envelope_id, document_id, "the time-stamping authority did not answer")
    ]


async def test_a_renewal_holds_the_envelope_of_the_document_by_its_tenant_and_id(platform, caller):
    envelope_id, _ = await completed(platform, caller)
    platform.pdf_signer.archive_expiries[b"%sealed"] = platform.clock.now() + timedelta(days=1)
    platform.pdf_signer.archive_expiries[b"%archive timestamp"] = platform.clock.now() + timedelta(days=3650)
    held: list = []
    renew = RenewArchiveTimestampsHandler(
        platform.unit_of_work, platform.clock, platform.ids, platform.pdf_signer,
        turns=EnvelopeTurns(holding(platform, held)),
    )

    report = await renew(RenewArchiveTimestamps(within=timedelta(days=90)))

    assert (len(report.renewed), held) == (1, [(caller.tenant_id, envelope_id)])


async def test_sealed_documents_are_read_a_page_at_a_time(platform, caller):
    await completed(platform, caller)
    asked = []

    def noting_pages():
        uow = platform.unit_of_work()
        read = uow.documents.sealed

        async def sealed(*, after, limit):
            asked.append((after, limit))
            return await read(after=after, limit=limit)

        uow.documents.sealed = sealed
        return uow

    renew = RenewArchiveTimestampsHandler(
        noting_pages, platform.clock, platform.ids, platform.pdf_signer, turns=EnvelopeTurns(noting_pages)
    )
    report = await renew(RenewArchiveTimestamps(within=timedelta(days=90)))

    [document_id] = list(platform.db.documents)
    assert (report.checked, asked) == (1, [(None, PAGE_SIZE), (document_id, PAGE_SIZE)])

