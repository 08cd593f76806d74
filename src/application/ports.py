"""Ports: what the use cases need from the outside world, as typing.Protocol classes.

Adapters do not inherit from these; the type checker holds them to the shape.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from application.completion import CompletionCertificate
from application.verification import VerificationReport
from domain.audit import AuditEntry
from domain.document import Document
from domain.envelope import Envelope, EnvelopeStatus
from domain.field import Field, PageSize
from domain.policy import Policy, SignatureLevel
from domain.signing_link import LinkChannel, SigningLink
from domain.tenant import ApiKey, Tenant
from domain.webhook import WebhookDelivery, WebhookEndpoint


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> str:
        """A new unique, unguessable identifier."""
        ...


class SecretGenerator(Protocol):
    def new_secret(self) -> str:
        """A new URL-safe secret with at least 256 bits of entropy."""
        ...


# -- PDF --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PdfInfo:
    pages: list[PageSize]


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureRequest:
    """One recipient's signature over one document.

    `fields` are this recipient's fields on this document with their values set
    (signature fields carry the typed name, checkboxes "true"/"false"). `level` is the
    PAdES level the envelope's policy asks for.
    """

    signer_id: str
    name: str
    email: str
    signature_text: str
    fields: list[Field]
    at: datetime
    level: SignatureLevel


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedPdf:
    pdf: bytes
    certificate_serial: str


class PdfInspector(Protocol):
    async def inspect(self, pdf: bytes) -> PdfInfo:
        """Read a PDF's pages; raise InvalidDocument if it is empty, not a PDF, damaged or encrypted."""
        ...


class PdfSigner(Protocol):
    async def prepare(self, pdf: bytes, fields: list[Field]) -> bytes:
        """Add an empty form field for each placed field, as an incremental update."""
        ...

    async def sign(self, pdf: bytes, request: SignatureRequest) -> SignedPdf:
        """Fill the recipient's fields and add their PAdES signature at `request.level`, as incremental updates.

        The signature is made with a certificate issued for this recipient (their name and
        email) by the platform's issuing CA, checked (expiry and revocation) before it is
        used. B-T and up carry a time stamp from a time-stamping authority, B-LT and up the
        validation data, B-LTA a document time stamp after it. Earlier signatures stay valid.
        Raise SigningFailed if it cannot be made, TimestampUnavailable if no time-stamping
        authority answered: never a signature below the level asked for.
        """
        ...

    async def seal(self, pdf: bytes, level: SignatureLevel) -> bytes:
        """Add the platform's seal at `level`: the last signature the document gets, locking it against any change.

        Only validation data and document time stamps (B-LT, B-LTA) follow it. Raises as `sign` does.
        """
        ...

    async def archive_timestamp_expiry(self, pdf: bytes) -> datetime | None:
        """When the certificate of the document's last document time stamp expires; None without one (below B-LTA)."""
        ...

    async def add_archive_timestamp(self, pdf: bytes) -> bytes:
        """Embed the validation data of the last document time stamp and add a new one over everything.

        What keeps a B-LTA document verifiable after the previous time stamp's TSA
        certificate expires. Raises as `sign` does.
        """
        ...


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


class CompletionCertificateRenderer(Protocol):
    async def render(self, certificate: CompletionCertificate) -> bytes:
        """The certificate of completion as an unsigned PDF; the same certificate gives the same bytes."""
        ...


# -- storage ----------------------------------------------------------------------------


class BlobStore(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes:
        """The blob's bytes; raise KeyError if there is none under `key`."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the blob; nothing happens if there is none."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeFilter:
    """Which of a tenant's envelopes a list shows: every filter given must hold.

    `status`; `created_after <= created_at < created_before`; `signer_email` equal to a
    recipient's stored email (see domain.signer.normalize_email), of any role.
    """

    status: EnvelopeStatus | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    signer_email: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeCursor:
    """Where a page of envelopes ends: lists are ordered newest first, then by id."""

    created_at: datetime
    id: str


class EnvelopeRepository(Protocol):
    """Envelopes of one tenant at a time: every read names the tenant it is for.

    `seen` lists the envelopes added or saved in this unit of work, whose events it
    writes to the audit chain on commit.
    """

    seen: list[Envelope]

    async def add(self, envelope: Envelope) -> None: ...

    async def get(self, tenant_id: str, envelope_id: str) -> Envelope | None: ...

    async def hold(self, tenant_id: str, envelope_id: str) -> None:
        """Keep other units of work, in any process, from holding this envelope until this one ends.

        Called first in a unit of work, so that what it reads next is what the previous
        holder committed. A database without row locks (SQLite) may do nothing here: its
        one process serialises with a lock of its own (application.envelope_locks).
        """
        ...

    async def save(self, envelope: Envelope) -> None:
        """Write a changed envelope; raise ConcurrencyConflict if it changed since it was read."""
        ...

    async def list(
        self, tenant_id: str, *, where: EnvelopeFilter, limit: int, after: EnvelopeCursor | None
    ) -> list[Envelope]:
        """Up to `limit` of the tenant's envelopes that `where` lets through, newest first (then by id), past `after`.

        The cursor is a position in that order, so it means the same whatever the filter.
        """
        ...

    async def tenant_of(self, envelope_id: str) -> str | None:
        """Which tenant owns an envelope: for operators, who work across tenants."""
        ...

    async def waiting(self, *, after: str | None, limit: int) -> list[Envelope]:
        """Up to `limit` sent envelopes of every tenant, by id, past `after`: for reminders and expiry."""
        ...


class DocumentRepository(Protocol):
    async def add(self, document: Document) -> None: ...

    async def get(self, tenant_id: str, document_id: str) -> Document | None: ...

    async def save(self, document: Document) -> None:
        """Write new revisions and status; raise ConcurrencyConflict if another writer added a revision first."""
        ...

    async def for_envelope(self, tenant_id: str, envelope_id: str) -> list[Document]: ...

    async def sealed(self, *, after: str | None, limit: int) -> list[Document]:
        """Up to `limit` sealed documents of every tenant, by id, past `after`: for operators' archive work."""
        ...


class AuditLog(Protocol):
    async def last(self, tenant_id: str, envelope_id: str) -> AuditEntry | None: ...

    async def append(self, tenant_id: str, entry: AuditEntry) -> None: ...

    async def entries(self, tenant_id: str, envelope_id: str) -> list[AuditEntry]:
        """An envelope's entries in chain order, exactly as stored."""
        ...


class SigningLinkRepository(Protocol):
    async def add(self, link: SigningLink) -> None: ...

    async def by_token_hash(self, token_hash: str) -> SigningLink | None: ...

    async def revoke(
        self, tenant_id: str, envelope_id: str, signer_id: str, *, channels: frozenset[LinkChannel], at: datetime
    ) -> None:
        """Mark the recipient's links of `channels` that are not revoked yet as revoked `at`."""
        ...


class TenantRepository(Protocol):
    async def add(self, tenant: Tenant) -> None: ...

    async def get(self, tenant_id: str) -> Tenant | None: ...

    async def by_slug(self, slug: str) -> Tenant | None: ...


class ApiKeyRepository(Protocol):
    async def add(self, key: ApiKey) -> None: ...

    async def get(self, key_id: str) -> ApiKey | None: ...


class PolicyRepository(Protocol):
    async def add(self, policy: Policy) -> None: ...

    async def default_for(self, tenant_id: str) -> Policy | None: ...


# -- idempotency keys -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredResponse:
    """What the first request under an idempotency key answered, to answer its repeats with."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotencyRecord:
    """An idempotency key of one API key (`credential_id`) of a tenant: claimed by one request
    (`claim`), then holding its response."""

    tenant_id: str
    credential_id: str
    key: str
    fingerprint: str
    claim: str
    created_at: datetime
    expires_at: datetime
    response: StoredResponse | None = None


class IdempotencyKeys(Protocol):
    """Idempotency records, one per tenant, credential and key.

    Unlike the repositories, this port is not part of a unit of work: each call is a short
    transaction of its own, because a claim must be visible to a concurrent duplicate
    before the work it guards starts, and must not hold a write lock while that work runs.
    """

    async def add(self, record: IdempotencyRecord) -> bool:
        """Store a new record; False (and nothing stored) if the credential has one under that key already."""
        ...

    async def get(self, tenant_id: str, credential_id: str, key: str) -> IdempotencyRecord | None: ...

    async def replace(self, record: IdempotencyRecord, *, held_by: str) -> bool:
        """Overwrite the record under `record`'s key if its claim is still `held_by`; False otherwise."""
        ...

    async def delete(self, tenant_id: str, credential_id: str, key: str, *, held_by: str) -> None:
        """Remove the record if its claim is still `held_by`."""
        ...

    async def purge(self, tenant_id: str, *, expired_at: datetime) -> int:
        """Remove the tenant's records that expire at or before `expired_at`; how many went."""
        ...


# -- the outbox and background jobs -------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxMessage:
    """A domain event waiting to be turned into jobs, written in the transaction that recorded it.

    Its id is the audit entry's (envelope id and sequence number), so the same event always
    has the same id, and so have the jobs made from it.
    """

    id: str
    tenant_id: str
    envelope_id: str
    type: str
    at: datetime
    actor: str
    data: dict[str, Any]


class Outbox(Protocol):
    async def add(self, message: OutboxMessage) -> None: ...

    async def pending(self, limit: int) -> list[OutboxMessage]:
        """Up to `limit` messages not dispatched yet, oldest first; those another dispatcher holds may be passed over."""
        ...

    async def mark_dispatched(self, message_ids: list[str], at: datetime) -> None: ...

    async def purge(self, *, dispatched_before: datetime, limit: int) -> int:
        """Remove up to `limit` messages dispatched before `dispatched_before`; how many went.

        Only the announcement goes: the event itself stays in the audit chain.
        """
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """A unit of background work: `name` says which handler, `args` (plain strings) what for.

    `id` is stable (made from the outbox message it came from), so a job enqueued twice,
    by a dispatcher that died between enqueueing and recording it, runs once while queued;
    handlers are idempotent besides, for the job that runs again after a crash.
    """

    id: str
    name: str
    args: dict[str, str]


class JobQueue(Protocol):
    async def enqueue(self, jobs: list[Job]) -> None:
        """Queue `jobs` to run now; a job whose id is already queued or running is not added again."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimedJob:
    job: Job
    attempt: int  # 1 on the first run


class JobStore(JobQueue, Protocol):
    """A job queue kept in the database, for the embedded runner: jobs outlive the process."""

    async def claim(self, *, now: datetime, limit: int, lease_seconds: float) -> list[ClaimedJob]:
        """Up to `limit` jobs due at `now`, leased: nobody else claims them until the lease ends (a crash)."""
        ...

    async def finish(self, job_id: str) -> None: ...

    async def retry(self, job_id: str, *, at: datetime) -> None:
        """Run the job again at `at`, as its next attempt."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetter:
    """A job that failed its last attempt, kept for an operator to look at and replay."""

    id: str
    job: Job
    attempts: int
    error: str
    failed_at: datetime


class DeadLetters(Protocol):
    async def add(self, letter: DeadLetter) -> None:
        """Keep a failed job; one that is already kept under the same id is replaced."""
        ...

    async def get(self, letter_id: str) -> DeadLetter | None: ...

    async def list(self, *, limit: int) -> list[DeadLetter]:
        """The most recent first."""
        ...

    async def delete(self, letter_id: str) -> None: ...


# -- notifications ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailMessage:
    sender_name: str  # the display name in From; the address is the installation's
    to: str
    subject: str
    text: str
    html: str
    message_id: str  # stable per notification, so a resent mail can be recognised as the same
    attachments: tuple[Attachment, ...] = ()


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand the message to the mail server; raise MailUnavailable if it could not take it."""
        ...


class NoticeKind(enum.StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"
    COMPLETED = "completed"
    DECLINED = "declined"
    VOIDED = "voided"
    EXPIRED = "expired"

    @property
    def asks_to_act(self) -> bool:
        """An invitation or a reminder: it carries a signing link."""
        return self in (NoticeKind.INVITATION, NoticeKind.REMINDER)


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """What an email says, before it is put into words by a template."""

    kind: NoticeKind
    sender_name: str
    recipient_name: str
    subject: str
    message: str
    signing_url: str | None = None
    reason: str | None = None
    declined_by: str | None = None  # the recipient who declined (declined)
    expires_at: datetime | None = None  # until when the signing link works (invitation, reminder)
    documents: tuple[str, ...] = ()  # filenames of the final documents attached (completed)
    documents_too_large: bool = False  # completed, but the documents were too large to attach


class NoticeTemplates(Protocol):
    def render(self, notice: Notice) -> tuple[str, str, str]:
        """The email's subject line, plain-text body and HTML body."""
        ...


# -- webhooks -----------------------------------------------------------------------------


class WebhookEndpoints(Protocol):
    async def add(self, endpoint: WebhookEndpoint) -> None: ...

    async def get(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint | None: ...

    async def save(self, endpoint: WebhookEndpoint) -> None: ...

    async def delete(self, tenant_id: str, endpoint_id: str) -> None:
        """Remove the endpoint; its deliveries stay, for the record."""
        ...

    async def for_tenant(self, tenant_id: str) -> list[WebhookEndpoint]:
        """The tenant's endpoints, oldest first."""
        ...


class WebhookDeliveries(Protocol):
    async def add(self, delivery: WebhookDelivery) -> None:
        """Store a new delivery; nothing happens if one with its id exists (a repeated dispatch)."""
        ...

    async def get(self, tenant_id: str, delivery_id: str) -> WebhookDelivery | None: ...

    async def save(self, delivery: WebhookDelivery) -> None:
        """Write its status and any new attempts."""
        ...

    async def for_endpoint(
        self, tenant_id: str, endpoint_id: str, *, limit: int, before: str | None
    ) -> list[WebhookDelivery]:
        """Up to `limit` of an endpoint's deliveries, newest first (then by id), after the delivery `before` in that order.

        A `before` that is not one of the endpoint's deliveries gives nothing.
        """
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookResult:
    status_code: int | None  # None: no answer
    error: str | None
    duration_ms: int


class WebhookSender(Protocol):
    async def check_target(self, url: str) -> None:
        """Raise InvalidInput if `url`'s host is one deliveries may not go to (private, loopback…)."""
        ...

    async def send(self, *, url: str, secrets: list[str], message_id: str, at: datetime, body: bytes) -> WebhookResult:
        """POST `body` signed per Standard Webhooks with each secret (whsec_…); what came back, never an exception.

        A target that check_target would refuse (its name may resolve elsewhere by now) is
        not contacted: the result says why.
        """
        ...
