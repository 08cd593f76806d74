"""The issuing CA's published answers: OCSP responses (RFC 6960) and the revocation list, signed and kept a while.

Anyone may ask, so the work one request can cause is bounded: a request is read only if it
asks about one certificate (cryptography refuses more), and signed answers are kept, so a
flood of the same questions costs the CA's key (perhaps an HSM) one signature per
certificate and status an hour, and the list one signature per revocation set every few
minutes. At most `MAX_KEPT_ANSWERS` answers are kept; the oldest go first. A flood of
different questions (made-up serial numbers) gets at most `NEW_ANSWERS_PER_SECOND` fresh
signatures a second from this process; past that, an unsigned tryLater (RFC 6960), which
OCSP clients retry.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from undersign.adapters.signing.issuing_ca import IssuingCa, Revoked
from undersign.application.signing.certificate_status import OcspQuestion
from undersign.domain.certificate_revocation import CertificateRevocation, RevocationReason

MAX_KEPT_ANSWERS = 4096
ANSWER_KEPT_FOR = timedelta(hours=1)  # an answer stays current a day (issuing_ca.CRL_VALIDITY)
LIST_KEPT_FOR = timedelta(minutes=5)
NEW_ANSWERS_PER_SECOND = 50

_Key = tuple[object, ...]


class CaRevocationPublisher:
    def __init__(self, ca: IssuingCa, now: Callable[[], datetime]) -> None:
        self._ca, self._now = ca, now
        self._answers: OrderedDict[_Key, tuple[datetime, bytes]] = OrderedDict()
        self._list: tuple[_Key, datetime, bytes] | None = None
        self._lock = threading.Lock()
        self._second: tuple[int, int] = (0, 0)  # (which second, fresh answers signed in it)

    def ocsp_question(self, request: bytes) -> OcspQuestion | None:
        try:
            parsed = ocsp.load_der_ocsp_request(request)
            serial = parsed.serial_number
        except ValueError:  # not DER, not an OCSP request, or about several certificates
            return None
        return OcspQuestion(serial=format(serial, "x"), about_our_ca=self._ca.asks_us(parsed), request=parsed)

    async def ocsp_answer(self, question: OcspQuestion, revocation: CertificateRevocation | None) -> bytes:
        request = question.request
        assert isinstance(request, ocsp.OCSPRequest)
        key = (request.serial_number, request.hash_algorithm.name, revocation)
        now = self._now()
        if (kept := self._kept(key, now)) is not None:
            return kept
        if not self._may_sign(now):
            return _unsuccessful(ocsp.OCSPResponseStatus.TRY_LATER)
        response = await asyncio.to_thread(self._ca.answer, request, now, _revoked(revocation))
        answer = response.dump()
        self._keep(key, now, answer)
        return answer

    def ocsp_refusal(self, *, malformed: bool) -> bytes:
        return _unsuccessful(
            ocsp.OCSPResponseStatus.MALFORMED_REQUEST if malformed else ocsp.OCSPResponseStatus.UNAUTHORIZED
        )

    async def revocation_list(self, revocations: Sequence[CertificateRevocation]) -> bytes:
        key, now = tuple(revocations), self._now()
        with self._lock:
            kept = self._list
        if kept is not None and kept[0] == key and now - kept[1] < LIST_KEPT_FOR:
            return kept[2]
        revoked = {int(r.serial, 16): _revoked(r) for r in revocations}
        # Numbers only grow, across processes too, without a counter kept anywhere.
        number = int(now.timestamp() * 1000)
        crl = await asyncio.to_thread(self._ca.crl, revoked, now, number)
        der = crl.public_bytes(serialization.Encoding.DER)
        with self._lock:
            self._list = (key, now, der)
        return der

    def ca_certificate(self) -> bytes:
        return self._ca.certificate.public_bytes(serialization.Encoding.DER)

    def _kept(self, key: _Key, now: datetime) -> bytes | None:
        with self._lock:
            kept = self._answers.get(key)
            if kept is None or now - kept[0] >= ANSWER_KEPT_FOR:
                return None
            return kept[1]

    def _may_sign(self, now: datetime) -> bool:
        second = int(now.timestamp())
        with self._lock:
            counted = self._second[1] if self._second[0] == second else 0
            if counted >= NEW_ANSWERS_PER_SECOND:
                return False
            self._second = (second, counted + 1)
            return True

    def _keep(self, key: _Key, now: datetime, answer: bytes) -> None:
        with self._lock:
            self._answers[key] = (now, answer)
            self._answers.move_to_end(key)
            while len(self._answers) > MAX_KEPT_ANSWERS:
                self._answers.popitem(last=False)


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


def _revoked(revocation: CertificateRevocation | None) -> Revoked | None:
    if revocation is None:
        return None
    # RFC 5280 5.3.1: the reason code unspecified SHOULD be absent rather than stated.
    reason = None if revocation.reason is RevocationReason.UNSPECIFIED else x509.ReasonFlags[revocation.reason.value]
    return Revoked(revocation.revoked_at, reason)
