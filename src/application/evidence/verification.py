"""What verifying a signed PDF finds: each signature's facts, and the verdict on the whole document.

The verifier (an adapter) reports facts per signature, including its own judgment of
each one (`SignatureReport.valid`). The verdict on the document is a rule of ours and
lives here: a document is valid only when it has signatures, every one of them is valid
and trusted, and nothing follows the last one but validation data (a DSS or document
timestamps, which PAdES B-LT and B-LTA add after the signature by design).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from undersign.application.access.permissions import Caller, Permission
from undersign.application.shared.errors import InvalidDocument, InvalidTrustRoot
from undersign.application.shared.moments import in_utc
from undersign.application.shared.ports import Clock
from undersign.domain.errors import InvalidInput


class PdfVerifier(Protocol):
    async def verify(
        self, pdf: bytes, *, trust_roots: list[bytes] | None, validation_time: datetime | None
    ) -> VerificationReport:
        """Check every signature in any PDF, ours or not, with nothing but what it embeds (no fetching).

        `trust_roots` are PEM or DER certificates (a PEM may hold several); None means the
        installation's trust anchors. `validation_time` None means now; a later one tells
        whether the document will still verify then. Raise InvalidDocument if it is not a
        readable PDF, InvalidTrustRoot if a given root is not a certificate.
        """
        ...


class SignatureKind(enum.StrEnum):
    SIGNATURE = "signature"
    DOCUMENT_TIMESTAMP = "document_timestamp"


class TimestampStatus(enum.StrEnum):
    VALID = "valid"
    UNTRUSTED = "untrusted"  # intact, but its authority does not chain to a trust anchor
    INVALID = "invalid"  # does not match what it stamps, or its signature does not verify


class RevocationStatus(enum.StrEnum):
    GOOD = "good"  # revocation data embedded in the document says not revoked
    REVOKED = "revoked"
    UNKNOWN = "unknown"  # the certificates name a revocation service, the document holds no answer from it
    NOT_CHECKED = "not_checked"  # the certificates name no revocation service: nothing to check against


class Coverage(enum.StrEnum):
    """How much of the file a signature's byte range covers (pyHanko's SignatureCoverageLevel)."""

    ENTIRE_FILE = "entire_file"
    ENTIRE_REVISION = "entire_revision"  # later incremental updates follow it
    CONTIGUOUS_BLOCK_FROM_START = "contiguous_block_from_start"
    UNCLEAR = "unclear"


class Modifications(enum.StrEnum):
    """What the updates after a signature do, worst first wins (pyHanko's ModificationLevel)."""

    NONE = "none"
    VALIDATION_DATA = "validation_data"  # a DSS or document timestamps only
    FORM_FILLING = "form_filling"  # form filling and further signatures
    ANNOTATIONS = "annotations"
    OTHER = "other"
    UNKNOWN = "unknown"


# What may follow the last signature without making the document "changed after signing".
_NOTHING_UNSIGNED = frozenset({Modifications.NONE, Modifications.VALIDATION_DATA})


@dataclass(frozen=True, slots=True, kw_only=True)
class TimestampReport:
    time: datetime
    status: TimestampStatus
    authority: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureReport:
    """One signature (or document timestamp), in the order they were added to the file.

    `valid` is the verifier's judgment of this signature alone: intact, cryptographically
    sound, trusted at the validation time (or proven to have existed while it was), not
    revoked, its timestamp sound, and the changes made after it permitted by it.
    `ades_indication`/`ades_subindication` are the ETSI EN 319 102-1 verdict as the
    verifier reads it; `problems` say in words what is wrong, empty when nothing is.
    """

    field_name: str
    kind: SignatureKind
    signer_name: str | None
    signer_email: str | None
    certificate_serial: str | None
    claimed_signing_time: datetime | None
    timestamp: TimestampReport | None
    intact: bool
    trusted: bool
    revocation: RevocationStatus
    pades_level: str | None
    coverage: Coverage
    modifications_after: Modifications
    modifications_permitted: bool | None
    ades_indication: str
    ades_subindication: str | None
    valid: bool
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationReport:
    """The verdict on a document. `unsealed_platform_document`: signed through Undersign, which
    seals every document it completes, yet without that seal (cut before it, or not finished)."""

    sha256: str
    validation_time: datetime
    signatures: tuple[SignatureReport, ...]
    unsealed_platform_document: bool = False

    @property
    def unsigned_changes(self) -> Modifications | None:
        """What follows the last signature that no signature covers, if anything but validation data."""
        if not self.signatures:
            return None
        after_last = self.signatures[-1].modifications_after
        return None if after_last in _NOTHING_UNSIGNED else after_last

    @property
    def valid(self) -> bool:
        return (
            bool(self.signatures)
            and all(s.valid and s.trusted for s in self.signatures)
            and self.unsigned_changes is None
            and not self.unsealed_platform_document
        )

    @property
    def problems(self) -> list[str]:
        """Why the document is not valid, in words; empty when it is."""
        if not self.signatures:
            return ["the document carries no signatures: there is nothing in it to verify"]
        problems = [
            f"signature {s.field_name!r} is not valid: {'; '.join(s.problems) or 'see its details'}"
            for s in self.signatures
            if not (s.valid and s.trusted)
        ]
        if (changes := self.unsigned_changes) is not None:
            problems.append(
                f"the document was changed after its last signature ({_describe(changes)}) "
                "and no signature covers that change"
            )
        if self.unsealed_platform_document:
            problems.append(
                "it was signed through Undersign but carries no platform seal: Undersign seals every "
                "document once its last recipient signs, so this one is unfinished or was cut before its seal"
            )
        return problems

    @property
    def summary(self) -> str:
        count = len(self.signatures)
        if self.valid:
            return f"valid: {count} signature{'s' if count != 1 else ''}, all intact and trusted, nothing unsigned after the last"
        problems = self.problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return f"not valid: {problems[0]}{more}"


def _describe(changes: Modifications) -> str:
    return {
        Modifications.FORM_FILLING: "form filling or another signature field",
        Modifications.ANNOTATIONS: "annotations",
        Modifications.OTHER: "changes to the content",
        Modifications.UNKNOWN: "changes that could not be analysed",
    }.get(changes, changes.value)


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
