"""Domain events: facts the aggregates record, written to the audit chain and the outbox.

One frozen dataclass per kind of event. Its class name is the event's stable name (what the
audit chain and the outbox store), its own fields are its data (what the audit chain hashes,
as JSON), and `webhook` is the public name a webhook subscribes to, if it is published at
all. A misspelt event is a NameError or a type error, never a silently dropped email, webhook
or seal; `EVENTS` reads a stored name back.

The data of each kind is exactly what the platform has always recorded for it (names,
values, order irrelevant: the chain hashes sorted keys), so existing chains keep verifying.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar

# The envelope's part of every event: the rest of an event's fields are its data.
_EVERY_EVENT = frozenset({"envelope_id", "at", "actor"})


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """Something that happened to an envelope, by whom and when."""

    envelope_id: str
    at: datetime
    actor: str

    webhook: ClassVar[str | None] = None  # the name webhooks subscribe to; None: not published

    @property
    def type(self) -> str:
        return type(self).__name__

    @property
    def data(self) -> dict[str, Any]:
        """The event's own facts as plain JSON values (lists, not tuples): what the audit chain hashes."""
        return {f.name: plain_value(getattr(self, f.name)) for f in fields(self) if f.name not in _EVERY_EVENT}


def plain_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: plain_value(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [plain_value(item) for item in value]
    return value


# -- drafting ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeCreated(DomainEvent):
    subject: str
    routing: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentAdded(DomainEvent):
    document_id: str
    filename: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerAdded(DomainEvent):
    signer_id: str
    name: str
    email: str
    role: str
    routing_order: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldPlaced(DomainEvent):
    field_id: str
    document_id: str
    signer_id: str
    kind: str
    page: int
    x: float
    y: float
    width: float
    height: float
    required: bool


# -- routing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeSent(DomainEvent):
    webhook: ClassVar[str | None] = "envelope.sent"
    policy_id: str
    policy_version: int
    signature_level: str
    expires_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerNotified(DomainEvent):
    """A recipient's turn came (their invitation goes out)."""

    webhook: ClassVar[str | None] = "recipient.notified"
    signer_id: str
    role: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerReminded(DomainEvent):
    webhook: ClassVar[str | None] = "recipient.reminded"
    signer_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningLinkIssued(DomainEvent):
    signer_id: str
    expires_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerViewed(DomainEvent):
    webhook: ClassVar[str | None] = "recipient.viewed"
    signer_id: str


# -- the recipients' authentication ----------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerCodeSent(DomainEvent):
    """A one-time code went to the recipient (`destination` masked: the audit trail is read by many)."""

    signer_id: str
    method: str
    destination: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerAuthenticationFailed(DomainEvent):
    signer_id: str
    method: str
    failed_attempts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerLocked(DomainEvent):
    """Too many wrong answers in a row: only the sender lets the recipient in again."""

    webhook: ClassVar[str | None] = "recipient.locked"
    signer_id: str
    method: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerAuthenticated(DomainEvent):
    signer_id: str
    method: str
    detail: str | None  # the sign-in's issuer, or how the sender's own application authenticated them


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerUnlocked(DomainEvent):
    signer_id: str


# -- acts ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerSigned(DomainEvent):
    """A signer's act, with its evidence (an approver's is SignerApproved, with the same facts)."""

    webhook: ClassVar[str | None] = "recipient.signed"
    signer_id: str
    ip: str | None
    user_agent: str | None
    auth_method: str
    signature_text: str
    certificate_serials: tuple[str, ...]
    fields: Mapping[str, str | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerApproved(SignerSigned):
    webhook: ClassVar[str | None] = "recipient.approved"


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerDeclined(DomainEvent):
    webhook: ClassVar[str | None] = "recipient.declined"
    signer_id: str
    reason: str


# -- endings -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeCompleted(DomainEvent):
    webhook: ClassVar[str | None] = "envelope.completed"


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeVoided(DomainEvent):
    webhook: ClassVar[str | None] = "envelope.voided"
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeExpired(DomainEvent):
    webhook: ClassVar[str | None] = "envelope.expired"
    expires_at: str | None


# -- the final documents ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentSealed(DomainEvent):
    document_id: str
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeSealed(DomainEvent):
    """Every document carries the platform's seal."""

    webhook: ClassVar[str | None] = "envelope.sealed"
    document_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CompletionCertificateMade(DomainEvent):
    """The certificate of completion was made and stored: every download serves the bytes with this SHA-256."""

    blob_key: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveTimestampAdded(DomainEvent):
    document_id: str
    sha256: str


# -- retention -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LegalHoldSet(DomainEvent):
    """An admin put the envelope on legal hold (or changed the hold's reason): nothing is purged while it stands."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LegalHoldReleased(DomainEvent):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentsPurged(DomainEvent):
    """The documents' stored bytes (every revision) and the certificate of completion's were deleted under the
    retention policy; their records and SHA-256 stay, and so does this chain."""

    webhook: ClassVar[str | None] = "envelope.documents_purged"
    document_ids: tuple[str, ...]
    revisions: int  # how many stored revisions went, over every document
    certificate: bool  # whether a certificate of completion's bytes went too
    retention_days: int


EVENTS: dict[str, type[DomainEvent]] = {
    event.__name__: event
    for event in (
        EnvelopeCreated, DocumentAdded, SignerAdded, FieldPlaced, EnvelopeSent, SignerNotified, SignerReminded,
        SigningLinkIssued, SignerViewed, SignerCodeSent, SignerAuthenticationFailed, SignerLocked,
        SignerAuthenticated, SignerUnlocked, SignerSigned, SignerApproved, SignerDeclined, EnvelopeCompleted,
        EnvelopeVoided, EnvelopeExpired, DocumentSealed, EnvelopeSealed, ArchiveTimestampAdded,
        CompletionCertificateMade, LegalHoldSet, LegalHoldReleased, DocumentsPurged,
    )
}
