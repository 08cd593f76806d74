"""The published answers' bounds: kept answers are reused, a flood of new questions gets tryLater, not signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from undersign.adapters.signing.dev_pki import DEV_OCSP_URL, DEV_SIGNER_POLICY, DevPki, load_or_create_dev_pki
from undersign.adapters.signing.issuing_ca import IssuingCa, PublicationPoints
from undersign.adapters.signing.keys.local import dev_issuing_key
from undersign.adapters.signing.revocation_publisher import NEW_ANSWERS_PER_SECOND, CaRevocationPublisher
from undersign.domain.certificate_revocation import CertificateRevocation, RevocationReason

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return load_or_create_dev_pki(tmp_path_factory.mktemp("pki"), NOW)[0]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def publisher(pki: DevPki, clock: Clock) -> CaRevocationPublisher:
    ca = IssuingCa(dev_issuing_key(pki), publication=PublicationPoints(ocsp_url=DEV_OCSP_URL), policy=DEV_SIGNER_POLICY)
    return CaRevocationPublisher(ca, clock)


def question_about(pki: DevPki, serial: int) -> bytes:
    request = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        issuer_name_hash=_digest(pki.issuing_cert.subject.public_bytes()),
        issuer_key_hash=pki.issuing_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest,
        serial_number=serial,
        algorithm=hashes.SHA1(),
    )
    return request.build().public_bytes(serialization.Encoding.DER)


def _digest(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SHA1())
    digest.update(data)
    return digest.finalize()


async def answer(published: CaRevocationPublisher, request: bytes, revocation: CertificateRevocation | None = None):
    question = published.ocsp_question(request)
    assert question is not None and question.about_our_ca
    return ocsp.load_der_ocsp_response(await published.ocsp_answer(question, revocation))


async def test_the_same_question_is_answered_with_the_kept_answer_until_an_hour_has_passed(pki: DevPki) -> None:
    clock = Clock()
    published = publisher(pki, clock)
    request = question_about(pki, 0x4F2A)

    first = await answer(published, request)
    clock.now += timedelta(minutes=59)
    again = await answer(published, request)
    clock.now += timedelta(minutes=2)
    later = await answer(published, request)

    assert first.public_bytes(serialization.Encoding.DER) == again.public_bytes(serialization.Encoding.DER)
    assert later.this_update_utc > first.this_update_utc
    assert first.certificate_status is ocsp.OCSPCertStatus.GOOD


async def test_a_revocation_changes_the_answer_at_once(pki: DevPki) -> None:
    published = publisher(pki, Clock())
    request = question_about(pki, 0x4F2B)
    revoked = CertificateRevocation(serial="4f2b", revoked_at=NOW, reason=RevocationReason.KEY_COMPROMISE)

    good = await answer(published, request)
    bad = await answer(published, request, revoked)

    assert (good.certificate_status, bad.certificate_status) == (ocsp.OCSPCertStatus.GOOD, ocsp.OCSPCertStatus.REVOKED)
    assert (bad.revocation_time_utc, bad.revocation_reason) == (NOW, x509.ReasonFlags.key_compromise)


async def test_a_flood_of_new_questions_gets_try_later_past_the_rate_and_answers_again_a_second_later(pki: DevPki) -> None:
    clock = Clock()
    published = publisher(pki, clock)

    statuses = [(await answer(published, question_about(pki, serial))).response_status
                for serial in range(1, NEW_ANSWERS_PER_SECOND + 3)]  # fmt: skip
    clock.now += timedelta(seconds=1)
    next_second = await answer(published, question_about(pki, 10_000))

    signed = ocsp.OCSPResponseStatus.SUCCESSFUL
    assert statuses == [signed] * NEW_ANSWERS_PER_SECOND + [ocsp.OCSPResponseStatus.TRY_LATER] * 2
    assert next_second.response_status is signed


async def test_the_list_is_kept_five_minutes_unless_the_revocations_change(pki: DevPki) -> None:
    clock = Clock()
    published = publisher(pki, clock)
    revoked = CertificateRevocation(serial="4f2c", revoked_at=NOW, reason=RevocationReason.SUPERSEDED)

    empty = await published.revocation_list([])
    clock.now += timedelta(minutes=4)
    kept = await published.revocation_list([])
    with_one = x509.load_der_x509_crl(await published.revocation_list([revoked]))

    assert kept == empty
    assert [(entry.serial_number, entry.revocation_date_utc) for entry in with_one] == [(0x4F2C, NOW)]
    assert with_one.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number > x509.load_der_x509_crl(
        empty
    ).extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert with_one.is_signature_valid(pki.issuing_cert.public_key())  # type: ignore[arg-type]
