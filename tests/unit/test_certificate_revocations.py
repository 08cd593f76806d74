"""Revoking signers' certificates: serials as operators type them, idempotent and final revocations, the list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import pytest

from tests.fakes.platform import FakePlatform
from tests.fakes.unit_of_work import FakeUnitOfWork
from tests.unit.flows import envelope_with, link, sign
from undersign.application.envelopes.send import SendEnvelope
from undersign.domain.certificate_revocation import (
    CertificateRevocation,
    RevocationReason,
    check_serial,
    parse_revocation_reason,
    parse_serial,
)
from undersign.domain.errors import ConcurrencyConflict, InvalidInput

# -- serials and reasons ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("4f2a", "4f2a"),
        ("4F2A", "4f2a"),
        ("0x4F2a", "4f2a"),
        ("0X4f2a", "4f2a"),
        ("  4f2a\n", "4f2a"),
        ("4F:2A:09", "4f2a09"),
        ("00:c4:2a:01", "c42a01"),  # openssl's leading 00 when the top bit is set
        ("serial=04F2A0", "4f2a0"),  # openssl x509 -serial
        ("0", "0"),
        ("0000", "0"),
        ("00:" + ":".join(["ff"] * 20), "f" * 40),  # 20 octets after the sign byte: the most RFC 5280 allows
        (str(10**20), str(10**20)),  # digits only: read as hex, as openssl prints serials
    ],
)
def test_a_typed_serial_becomes_the_form_signatures_record(typed: str, canonical: str) -> None:
    assert parse_serial(typed) == canonical
    assert canonical == format(int(canonical, 16), "x")


@pytest.mark.parametrize(
    "typed",
    ["", "  ", "0x", "4f2g", "4f 2a", "-4f", "+4f", "4f_2a", "4f:2", "4f::2a", ":4f", "4f:", "f" * 41,
     "1" + "0" * 40, "٣", "４f", "4f2a" * 100],
)
def test_what_is_not_a_serial_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        parse_serial(typed)


@pytest.mark.parametrize("serial", ["", "04f", "4F", "0x4f", "f" * 41, "4f:2a", " 4f"])
def test_a_revocation_only_takes_a_canonical_serial(serial: str) -> None:
    with pytest.raises(InvalidInput):
        check_serial(serial)
    with pytest.raises(InvalidInput):
        CertificateRevocation(serial=serial, revoked_at=datetime(2026, 1, 1, tzinfo=UTC),
                              reason=RevocationReason.SUPERSEDED)


def test_a_revocation_has_an_aware_time_a_known_reason_and_a_one_line_author() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        CertificateRevocation(serial="1", revoked_at=at.replace(tzinfo=None), reason=RevocationReason.UNSPECIFIED)
    with pytest.raises(InvalidInput):
        CertificateRevocation(serial="1", revoked_at=at, reason="key_compromise")  # type: ignore[arg-type]
    for author in ("", " ", "a\nb", "x" * 101):
        with pytest.raises(InvalidInput):
            CertificateRevocation(serial="1", revoked_at=at, reason=RevocationReason.UNSPECIFIED, revoked_by=author)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("key_compromise", RevocationReason.KEY_COMPROMISE),
        ("key-compromise", RevocationReason.KEY_COMPROMISE),
        ("keyCompromise", RevocationReason.KEY_COMPROMISE),
        ("KEY_COMPROMISE", RevocationReason.KEY_COMPROMISE),
        ("cessationOfOperation", RevocationReason.CESSATION_OF_OPERATION),
        (" superseded ", RevocationReason.SUPERSEDED),
    ],
)
def test_reasons_are_named_as_operators_and_rfc_5280_name_them(typed: str, reason: RevocationReason) -> None:
    assert parse_revocation_reason(typed) is reason


@pytest.mark.parametrize("typed", ["certificate_hold", "certificateHold", "remove_from_crl", "ca_compromise", "", "1"])
def test_a_revocation_is_final_and_about_a_signer(typed: str) -> None:
    with pytest.raises(InvalidInput, match="not a revocation reason"):
        parse_revocation_reason(typed)


def test_reasons_carry_their_rfc_5280_codes() -> None:
    assert {reason.value: reason.code for reason in RevocationReason} == {
        "unspecified": 0, "key_compromise": 1, "affiliation_changed": 3, "superseded": 4, "cessation_of_operation": 5,
    }

# -- the use case -----------------------------------------------------------------------------------


async def test_revoking_records_the_time_the_reason_and_who(platform: FakePlatform) -> None:
    revocation, made = await platform.certificate_revocations.revoke(
        "4f2a", RevocationReason.KEY_COMPROMISE, revoked_by="operator:root"
    )

    assert made is True
    assert revocation == CertificateRevocation(
        serial="4f2a", revoked_at=platform.clock.now(), reason=RevocationReason.KEY_COMPROMISE,
        revoked_by="operator:root",
    )
    assert await platform.certificate_revocations.status("4f2a") == revocation
    assert platform.db.certificate_revocations == {"4f2a": revocation}


async def test_revoking_again_changes_nothing_and_answers_the_first_revocation(platform: FakePlatform) -> None:
    first, _ = await platform.certificate_revocations.revoke("4f2a", RevocationReason.KEY_COMPROMISE)
    platform.clock.advance(timedelta(days=3))

    again, made = await platform.certificate_revocations.revoke("4f2a", RevocationReason.SUPERSEDED, revoked_by="other")

    assert made is False
    assert again == first
    assert await platform.certificate_revocations.revocations() == [first]


async def test_a_certificate_not_revoked_has_no_status(platform: FakePlatform) -> None:
    await platform.certificate_revocations.revoke("4f2a", RevocationReason.UNSPECIFIED)

    assert await platform.certificate_revocations.status("4f2b") is None
    with pytest.raises(InvalidInput):
        await platform.certificate_revocations.status("4F2A")  # the use case takes the canonical form only


async def test_revocations_are_listed_by_time_then_serial(platform: FakePlatform) -> None:
    revoke = platform.certificate_revocations.revoke
    late = platform.clock.now() + timedelta(minutes=1)
    b, _ = await revoke("b", RevocationReason.UNSPECIFIED)
    a, _ = await revoke("a", RevocationReason.SUPERSEDED)
    platform.clock.current = late
    zero, _ = await revoke("0", RevocationReason.AFFILIATION_CHANGED)

    assert await platform.certificate_revocations.revocations() == [a, b, zero]
    assert [r.revoked_at for r in (a, b, zero)] == [late - timedelta(minutes=1)] * 2 + [late]


async def test_a_malformed_serial_is_refused_and_nothing_stored(platform: FakePlatform) -> None:
    with pytest.raises(InvalidInput):
        await platform.certificate_revocations.revoke("0x4F2A", RevocationReason.UNSPECIFIED)
    assert await platform.certificate_revocations.revocations() == []


async def test_a_serial_a_signature_recorded_can_be_revoked_as_recorded(platform: FakePlatform, caller) -> None:
    envelope_id, _, (ada,) = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    envelope = (await platform.sign(sign(await link(platform, caller, envelope_id, ada)))).envelope
    [serial] = envelope.signers[0].evidence.certificate_serials

    revocation, made = await platform.certificate_revocations.revoke(serial, RevocationReason.KEY_COMPROMISE)

    assert made and await platform.certificate_revocations.status(serial) == revocation


class _AnotherProcessCommitsFirst(FakePlatform):
    """Between this process's INSERT and its commit, another process commits `competitor` (or, None, anything else)."""

    def __init__(self, competitor: CertificateRevocation | None) -> None:
        super().__init__()
        self.competitor = competitor

    def unit_of_work(self) -> FakeUnitOfWork:
        uow = super().unit_of_work()
        add = uow.certificate_revocations.add

        async def add_then_lose_the_race(revocation: CertificateRevocation) -> bool:
            added = await add(revocation)
            if self.competitor is not None:
                self.db.certificate_revocations[self.competitor.serial] = self.competitor
            else:
                uow._writes.stage(lambda: _raise(ConcurrencyConflict("the database is busy")), lambda: None)
            return added

        uow.certificate_revocations.add = add_then_lose_the_race  # type: ignore[method-assign]
        return uow


def _raise(error: Exception) -> None:
    raise error


async def test_a_revocation_another_process_committed_first_is_the_answer() -> None:
    theirs = CertificateRevocation(
        serial="4f2a", revoked_at=datetime(2026, 1, 5, 8, 59, tzinfo=UTC), reason=RevocationReason.SUPERSEDED,
    )
    platform = _AnotherProcessCommitsFirst(theirs)

    assert await platform.certificate_revocations.revoke("4f2a", RevocationReason.KEY_COMPROMISE) == (theirs, False)
    assert await platform.certificate_revocations.revocations() == [theirs]


async def test_a_conflict_that_is_not_about_the_serial_is_not_hidden() -> None:
    platform = _AnotherProcessCommitsFirst(None)

    with pytest.raises(ConcurrencyConflict, match="busy"):
        await platform.certificate_revocations.revoke("4f2a", RevocationReason.KEY_COMPROMISE)
    assert platform.db.certificate_revocations == {}


# -- the limits exactly, and what each refusal says -------------------------------------------------


class _NoOffset(tzinfo):
    def utcoffset(self, dt: datetime | None) -> None:
        return None


def test_a_time_zone_without_an_offset_is_no_time_zone() -> None:
    with pytest.raises(InvalidInput, match="^a revocation's time has a time zone$"):
        CertificateRevocation(
            serial="1", revoked_at=datetime(2026, 1, 1, tzinfo=_NoOffset()), reason=RevocationReason.UNSPECIFIED
        )


def test_a_revocation_refuses_a_reason_it_does_not_know_and_an_author_too_long_saying_so() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="^'key_compromise' is not a revocation reason$"):
        CertificateRevocation(serial="1", revoked_at=at, reason="key_compromise")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="^who revoked is 1 to 100 printable characters on one line$"):
        CertificateRevocation(serial="1", revoked_at=at, reason=RevocationReason.UNSPECIFIED, revoked_by="x" * 101)
    longest = CertificateRevocation(serial="1", revoked_at=at, reason=RevocationReason.UNSPECIFIED, revoked_by="x" * 100)
    assert longest.revoked_by == "x" * 100


def test_a_serial_not_as_recorded_is_refused_quoting_its_first_50_characters() -> None:
    serial = "G" * 60
    with pytest.raises(InvalidInput) as refused:
        check_serial(serial)
    assert refused.value.detail == (
        f"{'G' * 50!r} is not a certificate serial number as recorded: 1 to 40 lowercase hex digits without leading zeros"
    )


def test_a_typed_serial_of_at_most_120_characters_is_read() -> None:
    assert parse_serial("0x" + "0" * 117 + "1") == "1"


@pytest.mark.parametrize("typed", ["0" * 121, "1" + "0" * 40])
def test_a_serial_too_long_is_refused_saying_how_long_one_may_be(typed: str) -> None:
    with pytest.raises(InvalidInput, match="^a certificate serial number has at most 40 hex digits \\(20 octets\\)$"):
        parse_serial(typed)


@pytest.mark.parametrize(
    ("typed", "complaint"),
    [("4f:2", "^'4f:2' is not a serial number: colons separate pairs of hex digits$"),
     ("4f2g", "^'4f2g' is not a serial number: use hex digits \\(0-9, a-f\\)$")],
)
def test_a_malformed_serial_is_refused_saying_what_is_wrong(typed: str, complaint: str) -> None:
    with pytest.raises(InvalidInput, match=complaint):
        parse_serial(typed)


def test_an_unknown_reason_is_quoted_up_to_50_characters_and_the_known_ones_listed() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_revocation_reason("h" * 60)
    assert refused.value.detail == (
        f"{'h' * 50!r} is not a revocation reason; "
        "known: unspecified, key_compromise, affiliation_changed, superseded, cessation_of_operation"
    )


class _TakenYetMissing(FakePlatform):
    """The store says the serial is taken, yet no revocation of it can be read back."""

    def unit_of_work(self) -> FakeUnitOfWork:
        uow = super().unit_of_work()

        async def taken(revocation: CertificateRevocation) -> bool:
            return False

        uow.certificate_revocations.add = taken  # type: ignore[method-assign]
        return uow


async def test_a_serial_taken_yet_missing_is_a_conflict_to_try_again() -> None:
    with pytest.raises(ConcurrencyConflict, match="^the revocation of 4f2a was both there and not there: try again$"):
        await _TakenYetMissing().certificate_revocations.revoke("4f2a", RevocationReason.KEY_COMPROMISE)
