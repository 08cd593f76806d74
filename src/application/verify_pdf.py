"""Verify a PDF's signatures: anyone's document, ours or not. Reads no tenant data, changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.access import Caller, Permission
from application.errors import InvalidDocument, InvalidTrustRoot
from application.moments import in_utc
from application.ports import Clock, PdfVerifier
from application.verification import VerificationReport
from domain.errors import InvalidInput


MAX_TRUST_ROOT_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyPdf:
    caller: Caller | None  # None: the operator at the console (`undersign verify`)
    pdf: bytes
    trust_roots: list[bytes] | None = None  # None: the installation's trust anchors
    at: datetime | None = None  # None: now


class VerifyPdfHandler:
    def __init__(self, verifier: PdfVerifier, clock: Clock) -> None:
        self._verifier, self._clock = verifier, clock

    async def __call__(self, command: VerifyPdf) -> VerificationReport:
        """The report on every signature and the verdict on the document (see VerificationReport).

        The validation time may be in the past or the future (will this archive still
        verify in ten years?); it needs a UTC offset. Only what the document embeds is used.
        Reads no tenant data: any caller whose key may verify may send any PDF.
        """
        if command.caller is not None:
            command.caller.require(Permission.VERIFY_DOCUMENTS)
        if not command.pdf:
            raise InvalidDocument("the file is empty")
        if command.trust_roots is not None and not command.trust_roots:
            raise InvalidInput("give at least one trust root, or none to use the installation's")
        if command.trust_roots is not None and sum(map(len, command.trust_roots)) > MAX_TRUST_ROOT_BYTES:
            raise InvalidTrustRoot(f"trust roots are a few certificates: at most {MAX_TRUST_ROOT_BYTES // 1024} KiB in all")
        at = in_utc(command.at, "the validation time") if command.at is not None else self._clock.now()
        return await self._verifier.verify(command.pdf, trust_roots=command.trust_roots, validation_time=at)
