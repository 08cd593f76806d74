"""In-memory fakes of every port, for unit tests and specs that run in milliseconds.

The fake database applies a unit of work's writes atomically at commit, with the same
version checks as the SQL adapter, so races between coroutines show up here too.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from undersign.application.access.ports import IdempotencyRecord
from undersign.application.access.throttling import ThrottleLimits
from undersign.application.background.job_runner import RetryPolicy
from undersign.application.background.ports import ClaimedJob, DeadLetter
from undersign.application.bootstrap import Config, UseCases
from undersign.application.envelopes.ports import EnvelopeCursor, EnvelopeFilter
from undersign.application.evidence.completion_certificate import CompletionCertificate
from undersign.application.evidence.verification import VerificationReport
from undersign.application.notifications.ports import EmailMessage
from undersign.application.shared.errors import InvalidDocument, MailUnavailable
from undersign.application.shared.jobs import Job
from undersign.application.shared.outbox import OutboxMessage
from undersign.application.shared.pdf import PdfInfo, SignatureRequest, SignedPdf
from undersign.application.shared.unit_of_work import TrackedBlobs, UnitOfWork
from undersign.application.webhooks.ports import WebhookResult
from undersign.domain.audit import AuditEntry
from undersign.domain.document import Document, DocumentStatus
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.errors import ConcurrencyConflict, InvalidInput
from undersign.domain.events import DomainEvent
from undersign.domain.field import Field, PageSize
from undersign.domain.policy import Policy, SignatureLevel
from undersign.domain.signing_link import LinkChannel, SigningLink
from undersign.domain.tenant import ApiKey, Tenant
from undersign.domain.webhook import WebhookDelivery, WebhookEndpoint


class FakeClock:
    def __init__(self, start: datetime = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


class SequentialIds:
    def __init__(self, prefix: str = "id") -> None:
        self._counter = itertools.count(1)
        self._prefix = prefix

    def new_id(self) -> str:
        return f"{self._prefix}{next(self._counter):04d}"


class SequentialSecrets:
    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new_secret(self) -> str:
        return f"secret-{next(self._counter):04d}"


class FakeBlobStore:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    async def put(self, key: str, data: bytes) -> None:
        self.blobs[key] = data

    async def get(self, key: str) -> bytes:
        return self.blobs[key]

    async def delete(self, key: str) -> None:
        self.blobs.pop(key, None)


A4 = PageSize(width=595, height=842)


class FakePdfInspector:
    """Takes any upload that starts with %PDF; `pages=N` in it sets the page count."""

    async def inspect(self, pdf: bytes) -> PdfInfo:
        if not pdf:
            raise InvalidDocument("the upload is empty")
        if not pdf.startswith(b"%PDF"):
            raise InvalidDocument("the upload is not a PDF")
        count = int(pdf.split(b"pages=")[1].split()[0]) if b"pages=" in pdf else 1
        return PdfInfo(pages=[A4] * count)


@dataclass
class FakePdfSigner:
    """Appends a readable line per step, so tests can see what was done in which order.

    `failure`, when set, is raised by every signature and seal (a TSA that is down, say).
    """

    serials: itertools.count = field(default_factory=lambda: itertools.count(1))
    calls: list[str] = field(default_factory=list)
    levels: list[SignatureLevel] = field(default_factory=list)
    failure: Exception | None = None
    archive_expiries: dict[bytes, datetime] = field(default_factory=dict)  # by the PDF's last line

    async def prepare(self, pdf: bytes, fields: list[Field]) -> bytes:
        self.calls.append("prepare")
        return pdf + f"\n%prepared {len(fields)} fields".encode()

    async def sign(self, pdf: bytes, request: SignatureRequest) -> SignedPdf:
        if self.failure is not None:
            raise self.failure
        self.calls.append(f"sign {request.name}")
        self.levels.append(request.level)
        values = ",".join(f"{f.kind.value}={f.value}" for f in request.fields)
        serial = f"{next(self.serials):x}"
        return SignedPdf(pdf=pdf + f"\n%signed by {request.name} [{values}]".encode(), certificate_serial=serial)

    async def seal(self, pdf: bytes, level: SignatureLevel) -> bytes:
        if self.failure is not None:
            raise self.failure
        self.calls.append("seal")
        self.levels.append(level)
        return pdf + b"\n%sealed"

    async def archive_timestamp_expiry(self, pdf: bytes) -> datetime | None:
        return self.archive_expiries.get(pdf.rsplit(b"\n", 1)[-1])

    async def add_archive_timestamp(self, pdf: bytes) -> bytes:
        if self.failure is not None:
            raise self.failure
        self.calls.append("archive timestamp")
        return pdf + b"\n%archive timestamp"


@dataclass
class FakeCertificateRenderer:
    """Keeps the certificates it was given; renders each as a line of text."""

    rendered: list[CompletionCertificate] = field(default_factory=list)

    async def render(self, certificate: CompletionCertificate) -> bytes:
        self.rendered.append(certificate)
        return f"%certificate of {certificate.envelope_id}".encode()


@dataclass
class FakePdfVerifier:
    """Answers every verification with `report` (no signatures unless set), and keeps what it was asked."""

    report: VerificationReport | None = None
    calls: list[tuple[bytes, list[bytes] | None, datetime | None]] = field(default_factory=list)

    async def verify(self, pdf: bytes, *, trust_roots: list[bytes] | None, validation_time: datetime | None) -> VerificationReport:
        self.calls.append((pdf, trust_roots, validation_time))
        return self.report or VerificationReport(sha256="0" * 64, validation_time=validation_time, signatures=())


@dataclass
class FakeDatabase:
    envelopes: dict[str, Envelope] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    audit: dict[str, list[AuditEntry]] = field(default_factory=dict)
    links: dict[str, SigningLink] = field(default_factory=dict)
    tenants: dict[str, Tenant] = field(default_factory=dict)  # by slug
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    outbox: dict[str, OutboxMessage] = field(default_factory=dict)
    dispatched: dict[str, datetime] = field(default_factory=dict)  # outbox message id -> when
    webhook_endpoints: dict[str, WebhookEndpoint] = field(default_factory=dict)
    webhook_deliveries: dict[str, WebhookDelivery] = field(default_factory=dict)
    dead_letters: dict[str, DeadLetter] = field(default_factory=dict)


class _Writes:
    """What a unit of work will write when it commits."""

    def __init__(self) -> None:
        self.actions: list = []

    def stage(self, check, apply) -> None:
        self.actions.append((check, apply))

    def apply_all(self) -> None:
        for check, _ in self.actions:
            check()
        for _, apply in self.actions:
            apply()
        self.actions.clear()


class FakeEnvelopes:
    def __init__(self, db: FakeDatabase, writes: _Writes) -> None:
        self._db, self._writes = db, writes
        self.seen: list[Envelope] = []
        self._added: set[str] = set()

    async def add(self, envelope: Envelope) -> None:
        self.seen.append(envelope)
        self._added.add(envelope.id)
        stored = _stored(envelope)

        def check() -> None:
            if envelope.id in self._db.envelopes:
                raise ConcurrencyConflict("envelope already exists")

        self._writes.stage(check, lambda: self._db.envelopes.__setitem__(envelope.id, stored))

    async def get(self, tenant_id: str, envelope_id: str) -> Envelope | None:
        found = self._db.envelopes.get(envelope_id)
        return copy.deepcopy(found) if found and found.tenant_id == tenant_id else None

    async def hold(self, tenant_id: str, envelope_id: str) -> None:
        """Nothing to do: the fake lives in one process, where SignHandler's own lock serialises."""

    async def save(self, envelope: Envelope) -> None:
        self.seen.append(envelope)
        expected = envelope.version
        envelope.version += 1
        stored = _stored(envelope)

        def check() -> None:
            current = self._db.envelopes.get(envelope.id)
            if current is None and envelope.id in self._added:
                return
            if current is None or current.version != expected:
                raise ConcurrencyConflict(f"envelope {envelope.id} changed since it was read")

        self._writes.stage(check, lambda: self._db.envelopes.__setitem__(envelope.id, stored))

    async def list(
        self, tenant_id: str, *, where: EnvelopeFilter, limit: int, after: EnvelopeCursor | None
    ) -> list[Envelope]:
        rows = [
            e for e in self._db.envelopes.values()
            if e.tenant_id == tenant_id and (where.status is None or e.status is where.status)
            and (where.created_after is None or e.created_at >= where.created_after)
            and (where.created_before is None or e.created_at < where.created_before)
            and (where.signer_email is None or any(s.email == where.signer_email for s in e.signers))
        ]
        rows.sort(key=lambda e: (e.created_at, e.id), reverse=True)
        if after is not None:
            rows = [e for e in rows if (e.created_at, e.id) < (after.created_at, after.id)]
        return copy.deepcopy(rows[:limit])

    async def tenant_of(self, envelope_id: str) -> str | None:
        found = self._db.envelopes.get(envelope_id)
        return found.tenant_id if found else None

    async def waiting(self, *, after: str | None, limit: int) -> list[Envelope]:
        rows = sorted(
            (e for e in self._db.envelopes.values() if e.status is EnvelopeStatus.SENT and (after is None or e.id > after)),
            key=lambda e: e.id,
        )
        return copy.deepcopy(rows[:limit])


class FakeDocuments:
    def __init__(self, db: FakeDatabase, writes: _Writes) -> None:
        self._db, self._writes = db, writes
        self._read_revisions: dict[str, int] = {}

    async def add(self, document: Document) -> None:
        stored = copy.deepcopy(document)
        self._writes.stage(lambda: None, lambda: self._db.documents.__setitem__(document.id, stored))

    async def get(self, tenant_id: str, document_id: str) -> Document | None:
        found = self._db.documents.get(document_id)
        if not found or found.tenant_id != tenant_id:
            return None
        self._read_revisions[document_id] = len(found.revisions)
        return copy.deepcopy(found)

    async def save(self, document: Document) -> None:
        expected = self._read_revisions.get(document.id)
        stored = copy.deepcopy(document)

        def check() -> None:
            current = self._db.documents.get(document.id)
            if current is not None and expected is not None and len(current.revisions) != expected:
                raise ConcurrencyConflict(f"document {document.id} got a revision since it was read")

        self._writes.stage(check, lambda: self._db.documents.__setitem__(document.id, stored))

    async def for_envelope(self, tenant_id: str, envelope_id: str) -> list[Document]:
        found = [
            d for d in self._db.documents.values() if d.tenant_id == tenant_id and d.envelope_id == envelope_id
        ]
        return [await self.get(tenant_id, d.id) for d in found]  # type: ignore[misc]

    async def sealed(self, *, after: str | None, limit: int) -> list[Document]:
        found = sorted(
            (d for d in self._db.documents.values() if d.status is DocumentStatus.SEALED and (after is None or d.id > after)),
            key=lambda d: d.id,
        )
        return [copy.deepcopy(d) for d in found[:limit]]


class FakeAuditLog:
    def __init__(self, db: FakeDatabase, writes: _Writes) -> None:
        self._db, self._writes = db, writes
        self._pending: dict[str, list[AuditEntry]] = {}

    async def last(self, tenant_id: str, envelope_id: str) -> AuditEntry | None:
        entries = self._db.audit.get(envelope_id, []) + self._pending.get(envelope_id, [])
        return entries[-1] if entries else None

    async def append(self, tenant_id: str, entry: AuditEntry) -> None:
        self._pending.setdefault(entry.envelope_id, []).append(entry)

        def check() -> None:
            if any(e.seq == entry.seq for e in self._db.audit.get(entry.envelope_id, [])):
                raise ConcurrencyConflict("audit entry already written")

        self._writes.stage(check, lambda: self._db.audit.setdefault(entry.envelope_id, []).append(entry))

    async def entries(self, tenant_id: str, envelope_id: str) -> list[AuditEntry]:
        envelope = self._db.envelopes.get(envelope_id)
        if envelope is None or envelope.tenant_id != tenant_id:
            return []
        return list(self._db.audit.get(envelope_id, []))


class _KeyedFake:
    """A repository that adds frozen records into one of the database's dicts."""

    def __init__(self, table: dict, writes: _Writes) -> None:
        self._table, self._writes = table, writes

    def _stage(self, key: str, value: object, *, unique: bool = True) -> None:
        """Stage `value` under `key`; a key that is already taken is a conflict, as in SQL, unless not `unique`."""

        def check() -> None:
            if unique and key in self._table:
                raise ConcurrencyConflict(f"{key} already exists")

        self._writes.stage(check, lambda: self._table.__setitem__(key, value))


class FakeSigningLinks(_KeyedFake):
    async def add(self, link: SigningLink) -> None:
        self._stage(link.token_hash, link)

    async def by_token_hash(self, token_hash: str) -> SigningLink | None:
        return self._table.get(token_hash)

    async def revoke(
        self, tenant_id: str, envelope_id: str, signer_id: str, *, channels: frozenset[LinkChannel], at: datetime
    ) -> None:
        for link in list(self._table.values()):
            mine = (link.tenant_id, link.envelope_id, link.signer_id) == (tenant_id, envelope_id, signer_id)
            if mine and link.channel in channels and link.revoked_at is None:
                self._stage(link.token_hash, replace(link, revoked_at=at), unique=False)


class FakeTenants(_KeyedFake):
    async def add(self, tenant: Tenant) -> None:
        self._stage(tenant.slug, tenant)

    async def get(self, tenant_id: str) -> Tenant | None:
        return next((t for t in self._table.values() if t.id == tenant_id), None)

    async def by_slug(self, slug: str) -> Tenant | None:
        return self._table.get(slug)


class FakeApiKeys(_KeyedFake):
    async def add(self, key: ApiKey) -> None:
        self._stage(key.id, key)

    async def get(self, key_id: str) -> ApiKey | None:
        return self._table.get(key_id)


class FakePolicies(_KeyedFake):
    async def add(self, policy: Policy) -> None:
        self._stage(policy.tenant_id, policy, unique=False)  # the policy added last is the default

    async def default_for(self, tenant_id: str) -> Policy | None:
        return self._table.get(tenant_id)


class FakeOutbox:
    def __init__(self, db: FakeDatabase, writes: _Writes) -> None:
        self._db, self._writes = db, writes
        self._purged: set[str] = set()  # what this unit of work purged is gone for it, as in SQL

    async def add(self, message: OutboxMessage) -> None:
        stored = copy.deepcopy(message)

        def check() -> None:
            if message.id in self._db.outbox:
                raise ConcurrencyConflict(f"outbox message {message.id} already exists")

        self._writes.stage(check, lambda: self._db.outbox.__setitem__(message.id, stored))

    async def pending(self, limit: int) -> list[OutboxMessage]:
        waiting = sorted(
            (m for m in self._db.outbox.values() if m.id not in self._db.dispatched), key=lambda m: (m.at, m.id)
        )
        return copy.deepcopy(waiting[:limit])

    async def mark_dispatched(self, message_ids: list[str], at: datetime) -> None:
        ids = list(message_ids)

        def apply() -> None:
            for message_id in ids:
                if message_id in self._db.outbox:
                    self._db.dispatched.setdefault(message_id, at)  # one marked first keeps its time

        self._writes.stage(lambda: None, apply)

    async def purge(self, *, dispatched_before: datetime, limit: int) -> int:
        old = sorted(
            (at, i) for i, at in self._db.dispatched.items() if at < dispatched_before and i not in self._purged
        )[:limit]
        self._purged.update(i for _, i in old)

        def apply() -> None:
            for _, message_id in old:
                self._db.outbox.pop(message_id, None)
                self._db.dispatched.pop(message_id, None)

        self._writes.stage(lambda: None, apply)
        return len(old)


class FakeDeadLetters:
    def __init__(self, db: FakeDatabase, writes: _Writes) -> None:
        self._db, self._writes = db, writes

    async def add(self, letter: DeadLetter) -> None:
        stored = copy.deepcopy(letter)
        self._writes.stage(lambda: None, lambda: self._db.dead_letters.__setitem__(letter.id, stored))

    async def get(self, letter_id: str) -> DeadLetter | None:
        return copy.deepcopy(self._db.dead_letters.get(letter_id))

    async def list(self, *, limit: int) -> list[DeadLetter]:
        letters = sorted(self._db.dead_letters.values(), key=lambda d: (d.failed_at, d.id), reverse=True)
        return copy.deepcopy(letters[:limit])

    async def delete(self, letter_id: str) -> None:
        self._writes.stage(lambda: None, lambda: self._db.dead_letters.pop(letter_id, None))


class FakeWebhookEndpoints:
    def __init__(self, db: FakeDatabase, writes: _Writes) -> None:
        self._db, self._writes = db, writes

    async def add(self, endpoint: WebhookEndpoint) -> None:
        stored = copy.deepcopy(endpoint)

        def check() -> None:
            if endpoint.id in self._db.webhook_endpoints:
                raise ConcurrencyConflict(f"webhook {endpoint.id} already exists")

        self._writes.stage(check, lambda: self._db.webhook_endpoints.__setitem__(endpoint.id, stored))

    async def get(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        found = self._db.webhook_endpoints.get(endpoint_id)
        return copy.deepcopy(found) if found and found.tenant_id == tenant_id else None

    async def save(self, endpoint: WebhookEndpoint) -> None:
        stored = copy.deepcopy(endpoint)

        def apply() -> None:
            current = self._db.webhook_endpoints.get(endpoint.id)
            if current is not None and current.tenant_id == endpoint.tenant_id:  # an UPDATE of nothing otherwise
                self._db.webhook_endpoints[endpoint.id] = stored

        self._writes.stage(lambda: None, apply)

    async def delete(self, tenant_id: str, endpoint_id: str) -> None:
        def apply() -> None:
            current = self._db.webhook_endpoints.get(endpoint_id)
            if current is not None and current.tenant_id == tenant_id:
                del self._db.webhook_endpoints[endpoint_id]

        self._writes.stage(lambda: None, apply)

    async def for_tenant(self, tenant_id: str) -> list[WebhookEndpoint]:
        found = sorted(
            (e for e in self._db.webhook_endpoints.values() if e.tenant_id == tenant_id),
            key=lambda e: (e.created_at, e.id),
        )
        return copy.deepcopy(found)


class FakeWebhookDeliveries:
    def __init__(self, db: FakeDatabase, writes: _Writes) -> None:
        self._db, self._writes = db, writes
        self._read_attempts: dict[str, set[int]] = {}  # attempt numbers as this unit of work read them

    async def add(self, delivery: WebhookDelivery) -> None:
        stored = copy.deepcopy(delivery)
        # A delivery with its id is kept as it is: a repeated dispatch adds nothing.
        self._writes.stage(lambda: None, lambda: self._db.webhook_deliveries.setdefault(delivery.id, stored))
        self._read_attempts[delivery.id] = {a.number for a in delivery.attempts}

    async def get(self, tenant_id: str, delivery_id: str) -> WebhookDelivery | None:
        found = self._db.webhook_deliveries.get(delivery_id)
        if found is None or found.tenant_id != tenant_id:
            return None
        self._read_attempts[delivery_id] = {a.number for a in found.attempts}
        return copy.deepcopy(found)

    async def save(self, delivery: WebhookDelivery) -> None:
        """As in SQL: the status is overwritten, attempts it had not read are added, and one someone else added first conflicts."""
        current = self._db.webhook_deliveries.get(delivery.id)
        known = self._read_attempts.get(delivery.id)
        if known is None:
            known = {a.number for a in current.attempts} if current else set()
        new = [a for a in delivery.attempts if a.number not in known]
        status = delivery.status

        def check() -> None:
            stored = self._db.webhook_deliveries.get(delivery.id)
            if stored is not None and {a.number for a in stored.attempts} & {a.number for a in new}:
                raise ConcurrencyConflict(f"delivery {delivery.id} got an attempt since it was read")

        def apply() -> None:
            stored = self._db.webhook_deliveries.get(delivery.id)
            if stored is None or stored.tenant_id != delivery.tenant_id:
                return
            self._db.webhook_deliveries[delivery.id] = replace(
                stored, status=status, attempts=sorted([*stored.attempts, *new], key=lambda a: a.number)
            )

        self._writes.stage(check, apply)
        self._read_attempts[delivery.id] = known | {a.number for a in new}

    async def for_endpoint(
        self, tenant_id: str, endpoint_id: str, *, limit: int, before: str | None
    ) -> list[WebhookDelivery]:
        mine = [d for d in self._db.webhook_deliveries.values() if d.tenant_id == tenant_id and d.endpoint_id == endpoint_id]
        found = sorted(mine, key=lambda d: (d.created_at, d.id), reverse=True)
        if before is not None:
            cursor = next((d for d in mine if d.id == before), None)
            found = [] if cursor is None else [d for d in found if (d.created_at, d.id) < (cursor.created_at, cursor.id)]
        return copy.deepcopy(found[:limit])


@dataclass
class _QueuedJob:
    job: Job
    run_at: datetime
    attempt: int = 0  # claims so far
    leased_until: datetime | None = None


class FakeJobQueue:
    """The job queue in memory, behaving as SqlJobStore does (tests/integration/test_job_store.py runs on both).

    Enqueued jobs are dated by `clock`. For use-case tests: `jobs` lists what is queued, in
    the order it came, and `take()` removes and returns it (what a worker would run).
    """

    def __init__(self, clock: FakeClock | None = None) -> None:
        self._clock = clock or FakeClock()
        self.queued: dict[str, _QueuedJob] = {}

    async def enqueue(self, jobs: list[Job]) -> None:
        run_at = self._clock.now()
        for job in jobs:
            if job.id not in self.queued:
                self.queued[job.id] = _QueuedJob(job=job, run_at=run_at)

    @property
    def jobs(self) -> list[Job]:
        return [q.job for q in self.queued.values()]

    def take(self, name: str | None = None) -> list[Job]:
        """Remove every queued job (of that name) and return them, whenever they are due."""
        taken = [q.job for q in self.queued.values() if name is None or q.job.name == name]
        for job in taken:
            del self.queued[job.id]
        return taken

    async def claim(self, *, now: datetime, limit: int, lease_seconds: float) -> list[ClaimedJob]:
        due = sorted(
            (q for q in self.queued.values() if q.run_at <= now and (q.leased_until is None or q.leased_until <= now)),
            key=lambda q: (q.run_at, q.job.id),
        )[:limit]
        for q in due:
            q.attempt += 1
            q.leased_until = now + timedelta(seconds=lease_seconds)
        return [ClaimedJob(job=q.job, attempt=q.attempt) for q in due]

    async def finish(self, job_id: str) -> None:
        self.queued.pop(job_id, None)

    async def retry(self, job_id: str, *, at: datetime) -> None:
        if (q := self.queued.get(job_id)) is not None:
            q.run_at, q.leased_until = at, None


@dataclass
class FakeMailer:
    """Keeps what it was given; `failure`, when set, is raised instead (a mail server that is down)."""

    sent: list[EmailMessage] = field(default_factory=list)
    failure: MailUnavailable | None = None

    async def send(self, message: EmailMessage) -> None:
        if self.failure is not None:
            raise self.failure
        self.sent.append(message)


@dataclass
class FakeWebhookSender:
    """An endpoint that refuses (500) its first `refuse_first` deliveries, then accepts (200); keeps every one.

    Hosts in `refused_hosts` are what check_target refuses (private or loopback addresses).
    """

    refuse_first: int = 0
    refused_hosts: set[str] = field(default_factory=set)
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def check_target(self, url: str) -> None:
        host = urlsplit(url).hostname
        if host in self.refused_hosts:
            raise InvalidInput(f"{host} is not a host webhooks may go to")

    async def send(self, *, url: str, secrets: list[str], message_id: str, at: datetime, body: bytes) -> WebhookResult:
        status_code = 500 if self.refuse_first > 0 else 200
        self.refuse_first = max(0, self.refuse_first - 1)
        self.sent.append({"url": url, "secrets": list(secrets), "message_id": message_id, "at": at, "body": body,
                          "status_code": status_code})
        return WebhookResult(status_code=status_code, error=None, duration_ms=12)


class FakeIdempotencyKeys:
    """Each call takes effect at once, as each is a transaction of its own in SQL."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str, str], IdempotencyRecord] = {}

    async def add(self, record: IdempotencyRecord) -> bool:
        return self.records.setdefault(_scoped(record), record) is record

    async def get(self, tenant_id: str, credential_id: str, key: str) -> IdempotencyRecord | None:
        return self.records.get((tenant_id, credential_id, key))

    async def replace(self, record: IdempotencyRecord, *, held_by: str) -> bool:
        current = self.records.get(_scoped(record))
        if current is None or current.claim != held_by:
            return False
        self.records[_scoped(record)] = record
        return True

    async def delete(self, tenant_id: str, credential_id: str, key: str, *, held_by: str) -> None:
        current = self.records.get((tenant_id, credential_id, key))
        if current is not None and current.claim == held_by:
            del self.records[(tenant_id, credential_id, key)]

    async def purge(self, tenant_id: str, *, expired_at: datetime) -> int:
        expired = [k for k, r in self.records.items() if k[0] == tenant_id and r.expires_at <= expired_at]
        for k in expired:
            del self.records[k]
        return len(expired)


@dataclass(frozen=True, slots=True, kw_only=True)
class AnyEvent(DomainEvent):
    """An event named and filled as a test of the audit chain needs (real ones are domain.events')."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return self.name

    @property
    def data(self) -> dict[str, Any]:
        return self.payload


def _scoped(record: IdempotencyRecord) -> tuple[str, str, str]:
    return (record.tenant_id, record.credential_id, record.key)


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, db: FakeDatabase, blobs: FakeBlobStore) -> None:
        self._db = db
        self._writes = _Writes()
        self.envelopes = FakeEnvelopes(db, self._writes)
        self.documents = FakeDocuments(db, self._writes)
        self.audit = FakeAuditLog(db, self._writes)
        self.signing_links = FakeSigningLinks(db.links, self._writes)
        self.tenants = FakeTenants(db.tenants, self._writes)
        self.api_keys = FakeApiKeys(db.api_keys, self._writes)
        self.policies = FakePolicies(db.policies, self._writes)
        self.outbox = FakeOutbox(db, self._writes)
        self.webhook_endpoints = FakeWebhookEndpoints(db, self._writes)
        self.webhook_deliveries = FakeWebhookDeliveries(db, self._writes)
        self.dead_letters = FakeDeadLetters(db, self._writes)
        self.blobs = TrackedBlobs(blobs)
        self.committed = False

    async def _commit(self) -> None:
        self._writes.apply_all()
        self.committed = True

    async def _rollback(self) -> None:
        self._writes.actions.clear()


def _stored(envelope: Envelope) -> Envelope:
    return replace(copy.deepcopy(envelope), events=[])


class FakePlatform(UseCases):
    """Every use case wired to fakes by application.bootstrap, as the composition root wires them
    to real adapters. The platform is its own ports: a test reaches a fake by the port's name
    (platform.pdf_signer, platform.job_queue) and a use case by its own (platform.sign)."""

    def __init__(self) -> None:
        from undersign.adapters.notify.templates import JinjaNoticeTemplates
        from undersign.adapters.throttling.memory import MemoryRateLimiter

        self.db, self.blob_store = FakeDatabase(), FakeBlobStore()
        self.clock, self.ids, self.secrets = FakeClock(), SequentialIds(), SequentialSecrets()
        self.pdf_inspector, self.pdf_signer, self.pdf_verifier = FakePdfInspector(), FakePdfSigner(), FakePdfVerifier()
        self.certificate_renderer, self.idempotency_keys = FakeCertificateRenderer(), FakeIdempotencyKeys()
        self.job_queue = FakeJobQueue(self.clock)
        self.mailer, self.notice_templates = FakeMailer(), JinjaNoticeTemplates()  # the real email templates
        self.webhook_sender, self.rate_limiter = FakeWebhookSender(), MemoryRateLimiter(self.clock)
        super().__init__(self, FAKE_CONFIG)

    async def run_background(self, *, rounds: int = 1_000) -> None:
        """Run the background work until none is left: the outbox, the due jobs, the schedule.

        Each job is seen through to its end before the next one runs: a failed attempt is
        tried again after its retry delay, by which the clock moves on, as time would. So
        a scenario reads one job's attempts in a row, whatever else is queued.
        """
        for _ in range(rounds):
            while await self.dispatcher.dispatch():
                pass
            claimed = await self.job_queue.claim(now=self.clock.now(), limit=100, lease_seconds=300)
            for job in claimed:
                await self._run_to_the_end(job)
            if claimed:
                continue
            reminded, expired = await self.schedules.send_reminders(), await self.schedules.expire_envelopes()
            if reminded or expired:
                continue
            if not self.job_queue.queued:
                return
            self.clock.current = max(self.clock.current, min(q.run_at for q in self.job_queue.queued.values()))
        raise RuntimeError(f"the background work did not settle in {rounds} rounds")

    async def _run_to_the_end(self, claimed: ClaimedJob) -> None:
        """Attempt after attempt until the job is done or kept as a dead letter."""
        from undersign.application.background.job_runner import RetryLater

        attempt = claimed.attempt
        while isinstance(outcome := await self.job_runner.run(claimed.job, attempt), RetryLater):
            self.clock.advance(outcome.delay)
            attempt += 1
        await self.job_queue.finish(claimed.job.id)

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.db, self.blob_store)


FAKE_CONFIG = Config(
    signing_link_ttl=timedelta(days=7), public_url="https://undersign.example", mail_domain="undersign.example",
    mail_max_attachment_bytes=10 * 1024 * 1024, retry=RetryPolicy(), job_timeout_seconds=60,
    throttle=ThrottleLimits(), random_fraction=lambda: 0.0,
)
        
