"""What the published responder and list say: the recorded revocation, refusals for what cannot be answered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from tests.fakes.platform import FakePlatform
from undersign.application.signing.certificate_status import OcspQuestion, PublishedCertificateStatus
from undersign.domain.certificate_revocation import CertificateRevocation, RevocationReason


@dataclass
class RecordingPublisher:
    """Reads b"ours:SERIAL" and b"theirs:SERIAL" as questions; anything else is malformed."""

    answered: list[tuple[str, CertificateRevocation | None]] = field(default_factory=list)
    listed: list[tuple[CertificateRevocation, ...]] = field(default_factory=list)

    def ocsp_question(self, request: bytes) -> OcspQuestion | None:
        whose, _, serial = request.decode().partition(":")
        if whose not in ("ours", "theirs") or not serial:
            return None
        return OcspQuestion(serial=serial, about_our_ca=whose == "ours", request=request)

    async def ocsp_answer(self, question: OcspQuestion, revocation: CertificateRevocation | None) -> bytes:
        self.answered.append((question.serial, revocation))
        return b"signed answer"

    def ocsp_refusal(self, *, malformed: bool) -> bytes:
        return b"malformed" if malformed else b"unauthorized"

    async def revocation_list(self, revocations: Sequence[CertificateRevocation]) -> bytes:
        self.listed.append(tuple(revocations))
        return b"list"

    def ca_certificate(self) -> bytes:
        return b"certificate"


def published(platform: FakePlatform) -> tuple[PublishedCertificateStatus, RecordingPublisher]:
    publisher = RecordingPublisher()
    return PublishedCertificateStatus(platform.certificate_revocations, publisher), publisher


async def test_an_answer_carries_the_revocation_on_record_and_only_that_serials() -> None:
    platform = FakePlatform()
    status, publisher = published(platform)
    revoked, _ = await platform.certificate_revocations.revoke("4f2a", RevocationReason.KEY_COMPROMISE)

    assert await status.ocsp(b"ours:4f2a") == b"signed answer"
    assert await status.ocsp(b"ours:4f2b") == b"signed answer"

    assert publisher.answered == [("4f2a", revoked), ("4f2b", None)]


async def test_what_cannot_be_answered_is_refused_without_a_signature() -> None:
    status, publisher = published(FakePlatform())

    assert await status.ocsp(b"garbage") == b"malformed"
    assert await status.ocsp(b"theirs:4f2a") == b"unauthorized"
    assert publisher.answered == []


async def test_the_list_names_every_revocation_on_record() -> None:
    platform = FakePlatform()
    status, publisher = published(platform)
    first, _ = await platform.certificate_revocations.revoke("1", RevocationReason.UNSPECIFIED)
    platform.clock.advance(timedelta(seconds=1))
    second, _ = await platform.certificate_revocations.revoke("2", RevocationReason.SUPERSEDED)

    assert await status.revocation_list() == b"list"
    assert publisher.listed == [(first, second)]
    assert status.ca_certificate() == b"certificate"
