"""In-memory fakes of every port, for unit tests and specs that run in milliseconds.

The fake database applies a unit of work's writes atomically at commit, with the same
version checks as the SQL adapter, so races between coroutines show up here too.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from application.completion import CompletionCertificate
from application.errors import InvalidDocument
from application.ports import EnvelopeCursor, EnvelopeFilter, IdempotencyRecord, PdfInfo, SignatureRequest, SignedPdf
from application.unit_of_work import TrackedBlobs, UnitOfWork
from application.verification import VerificationReport
from domain.audit import AuditEntry
from domain.document import Document, DocumentStatus
from domain.envelope import Envelope
from domain.errors import ConcurrencyConflict
from domain.field import Field, PageSize
from domain.policy import Policy, SignatureLevel
from domain.signing_link import SigningLink
from domain.tenant import ApiKey, Tenant


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
    tenants: dict[str, Tenant] = field(default_factory=dict)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)


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


class FakeTenants(_KeyedFake):
    async def add(self, tenant: Tenant) -> None:
        self._stage(tenant.slug, tenant)

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


class FakeIdempotencyKeys:
    """Each call takes effect at once, as each is a transaction of its own in SQL."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], IdempotencyRecord] = {}

    async def add(self, record: IdempotencyRecord) -> bool:
        return self.records.setdefault((record.tenant_id, record.key), record) is record

    async def get(self, tenant_id: str, key: str) -> IdempotencyRecord | None:
        return self.records.get((tenant_id, key))

    async def replace(self, record: IdempotencyRecord, *, held_by: str) -> bool:
        current = self.records.get((record.tenant_id, record.key))
        if current is None or current.claim != held_by:
            return False
        self.records[(record.tenant_id, record.key)] = record
        return True

    async def delete(self, tenant_id: str, key: str, *, held_by: str) -> None:
        current = self.records.get((tenant_id, key))
        if current is not None and current.claim == held_by:
            del self.records[(tenant_id, key)]

    async def purge(self, tenant_id: str, *, expired_at: datetime) -> int:
        expired = [k for k, r in self.records.items() if k[0] == tenant_id and r.expires_at <= expired_at]
        for k in expired:
            del self.records[k]
        return len(expired)


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
        self.blobs = TrackedBlobs(blobs)
        self.committed = False

    async def _commit(self) -> None:
        self._writes.apply_all()
        self.committed = True

    async def _rollback(self) -> None:
        self._writes.actions.clear()


def _stored(envelope: Envelope) -> Envelope:
    return replace(copy.deepcopy(envelope), events=[])


class FakePlatform:
    """Every use case wired to fakes, as the composition root wires them to real adapters."""

    def __init__(self) -> None:
        from application.add_document import AddDocumentHandler
        from application.add_signer import AddSignerHandler
        from application.archive_renewal import RenewArchiveTimestamps
        from application.completion_certificate import CompletionCertificates
        from application.create_envelope import CreateEnvelopeHandler
        from application.create_signing_link import CreateSigningLinkHandler
        from application.decline import DeclineHandler
        from application.idempotency import Idempotency
        from application.place_field import PlaceFieldHandler
        from application.read_envelopes import EnvelopeQueries
        from application.send_envelope import SendEnvelopeHandler
        from application.sign import SignHandler
        from application.signing_session import SigningSessions
        from application.tenants import Tenants
        from application.verify_pdf import VerifyPdfHandler
        from application.void_envelope import VoidEnvelopeHandler

        self.db, self.blob_store = FakeDatabase(), FakeBlobStore()
        self.clock, self.ids, self.secrets = FakeClock(), SequentialIds(), SequentialSecrets()
        self.pdf = FakePdfSigner()
        uow = self.unit_of_work
        self.tenants = Tenants(uow, self.clock, self.ids, self.secrets)
        self.create_envelope = CreateEnvelopeHandler(uow, self.clock, self.ids)
        self.add_document = AddDocumentHandler(uow, self.clock, self.ids, FakePdfInspector())
        self.add_signer = AddSignerHandler(uow, self.clock, self.ids)
        self.place_field = PlaceFieldHandler(uow, self.clock, self.ids)
        self.send = SendEnvelopeHandler(uow, self.clock, self.ids, self.pdf)
        self.void = VoidEnvelopeHandler(uow, self.clock)
        self.create_signing_link = CreateSigningLinkHandler(uow, self.clock, self.ids, self.secrets, timedelta(days=7))
        self.signing = SigningSessions(uow, self.clock)
        self.sign = SignHandler(uow, self.clock, self.ids, self.pdf)
        self.decline = DeclineHandler(uow, self.clock)
        self.queries = EnvelopeQueries(uow)
        self.idempotency_keys = FakeIdempotencyKeys()
        self.idempotency = Idempotency(self.idempotency_keys, self.clock, self.ids)
        self.certificate_renderer, self.verifier = FakeCertificateRenderer(), FakePdfVerifier()
        self.completion_certificates = CompletionCertificates(uow, self.certificate_renderer, self.pdf)
        self.verify_pdf = VerifyPdfHandler(self.verifier, self.clock)
        self.renew_archive = RenewArchiveTimestamps(uow, self.clock, self.ids, self.pdf)

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.db, self.blob_store)
