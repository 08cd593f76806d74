"""Envelope: what a sender sends, and the state machine that routes it to its recipients.

    draft ──send──▶ sent ──last recipient acts──▶ completed ──every document sealed──▶ (sealed)
                     ├──a recipient declines──▶ declined
                     ├──the sender voids──────▶ voided
                     └──expires_at passes─────▶ expired

Recipients with the same routing order act in parallel; the next order is activated when
every recipient of the current one has acted. Carbon copies never hold routing up.

Longer than most modules (~470 lines) on purpose: it is one aggregate, and its transitions
check each other's invariants; split, a reader would have to hold several files to see
whether a state can be left twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from undersign.domain.completion_certificate import StoredCertificate
from undersign.domain.document import Document
from undersign.domain.errors import InvalidInput, InvalidState, NotFound
from undersign.domain.events import (
    ArchiveTimestampAdded,
    CompletionCertificateMade,
    DocumentAdded,
    DocumentSealed,
    DocumentsPurged,
    DomainEvent,
    EnvelopeCompleted,
    EnvelopeCreated,
    EnvelopeExpired,
    EnvelopeSealed,
    EnvelopeSent,
    EnvelopeVoided,
    FieldPlaced,
    LegalHoldReleased,
    LegalHoldSet,
    SignerAdded,
    SignerApproved,
    SignerAuthenticated,
    SignerAuthenticationFailed,
    SignerCodeSent,
    SignerDeclined,
    SignerLocked,
    SignerNotified,
    SignerReminded,
    SignerSigned,
    SignerUnlocked,
    SignerViewed,
    SigningLinkIssued,
)
from undersign.domain.field import Field, FieldKind, PageSize, Placement
from undersign.domain.policy import Policy, Routing, SignatureLevel, SignerAuth
from undersign.domain.retention import ContentPurged, LegalHold, NoLegalHold, UnderLegalHold, purge_date
from undersign.domain.signer import Role, Signer, SignerStatus, SigningEvidence, typed_signature
from undersign.domain.signer_authentication import CODE_METHODS, STRENGTH, CodeCheck
from undersign.domain.text import multi_line, single_line

MAX_SUBJECT_LENGTH = 200
MAX_MESSAGE_LENGTH = 10_000
MAX_REASON_LENGTH = 2_000
MAX_TEXT_VALUE_LENGTH = 1_000
# What one envelope may hold: enough for any real contract, and a bound on the work (and the
# audit chain) a single envelope can cause.
MAX_DOCUMENTS = 20
MAX_RECIPIENTS = 100
MAX_FIELDS = 500

FieldValue = str | bool


class EnvelopeStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    COMPLETED = "completed"
    DECLINED = "declined"
    VOIDED = "voided"
    EXPIRED = "expired"


# The states an envelope ends in: from then on its retention period runs.
ENDED = frozenset({EnvelopeStatus.COMPLETED, EnvelopeStatus.DECLINED, EnvelopeStatus.VOIDED, EnvelopeStatus.EXPIRED})


@dataclass(slots=True, kw_only=True)
class Envelope:
    id: str
    tenant_id: str
    subject: str
    message: str
    routing: Routing
    created_at: datetime
    status: EnvelopeStatus = EnvelopeStatus.DRAFT
    updated_at: datetime | None = None
    document_ids: list[str] = field(default_factory=list)
    signers: list[Signer] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    policy: Policy | None = None  # the snapshot taken when it was sent
    policy_id: str | None = None  # the policy chosen for it as a draft; None: the tenant's default when sent
    sent_at: datetime | None = None
    expires_at: datetime | None = None
    completed_at: datetime | None = None
    voided_reason: str | None = None
    owner: str | None = None  # the actor that made it (`user:<id>`, `api_key:<id>`); None: made before owners were kept
    team_id: str | None = None  # the team it is shared with, if any
    completion_certificate: StoredCertificate | None = None  # made once the envelope is sealed
    # Retention (domain.retention): due for purge from `purge_after` (set when it ends), unless on hold.
    purge_after: datetime | None = None
    purge_started_at: datetime | None = None  # its blobs are being deleted: nothing is served from now on
    purged_at: datetime | None = None  # a tombstone since
    legal_hold: LegalHold | None = None
    version: int = 0
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def create(
        cls,
        *,
        envelope_id: str,
        tenant_id: str,
        subject: str,
        message: str,
        routing: Routing,
        now: datetime,
        actor: str,
        team_id: str | None = None,
        policy_id: str | None = None,
    ) -> Envelope:
        subject = single_line(subject, what="the subject", max_length=MAX_SUBJECT_LENGTH)
        message = multi_line(message, what="the message", max_length=MAX_MESSAGE_LENGTH, required=False)
        envelope = cls(
            id=envelope_id,
            tenant_id=tenant_id,
            subject=subject,
            message=message,
            routing=routing,
            created_at=now,
            updated_at=now,
            owner=actor,
            team_id=team_id,
            policy_id=policy_id,
        )
        envelope._record(EnvelopeCreated(envelope_id=envelope.id, at=now, actor=actor, subject=subject, routing=routing.value))
        return envelope

    # -- queries ---------------------------------------------------------------------

    def signer(self, signer_id: str) -> Signer:
        for signer in self.signers:
            if signer.id == signer_id:
                return signer
        raise NotFound(f"no recipient {signer_id} in this envelope")

    def fields_of(self, signer_id: str, document_id: str | None = None) -> list[Field]:
        return [
            f for f in self.fields
            if f.signer_id == signer_id and (document_id is None or f.document_id == document_id)
        ]

    def effective_order(self, signer: Signer) -> int:
        return signer.routing_order if self.routing is Routing.SEQUENTIAL else 1

    def current_order(self) -> int | None:
        """The routing order whose recipients may act now; None once everyone is done."""
        waiting = [self.effective_order(s) for s in self.signers if not s.is_done]
        return min(waiting) if waiting else None

    # -- editing a draft ---------------------------------------------------------------

    def check_can_add_document(self) -> None:
        self._require_draft()
        if len(self.document_ids) >= MAX_DOCUMENTS:
            raise InvalidInput(f"an envelope holds at most {MAX_DOCUMENTS} documents")

    def add_document(self, *, document_id: str, filename: str, now: datetime, actor: str) -> None:
        """Add a document under `filename`, made safe with domain.document.document_name."""
        self.check_can_add_document()
        self.document_ids.append(document_id)
        self._record(DocumentAdded(envelope_id=self.id, at=now, actor=actor, document_id=document_id, filename=filename))

    def add_signer(
        self,
        *,
        signer_id: str,
        name: str,
        email: str,
        role: Role,
        routing_order: int | None,
        now: datetime,
        actor: str,
        auth_method: SignerAuth | None = None,
        phone: str | None = None,
        access_code_hash: str | None = None,
    ) -> Signer:
        self._require_draft()
        if len(self.signers) >= MAX_RECIPIENTS:
            raise InvalidInput(f"an envelope has at most {MAX_RECIPIENTS} recipients")
        if routing_order is None:
            routing_order = self._next_routing_order()
        signer = Signer.invite(
            signer_id=signer_id, name=name, email=email, role=role, routing_order=routing_order,
            auth_method=auth_method, phone=phone, access_code_hash=access_code_hash,
        )
        if any(s.email == signer.email and s.role is role for s in self.signers):
            raise InvalidInput(f"{signer.email} is already a {role.value} of this envelope")
        self.signers.append(signer)
        self._record(
            SignerAdded(
                envelope_id=self.id, at=now, actor=actor,
                signer_id=signer_id, name=signer.name, email=signer.email, role=role.value, routing_order=routing_order,
            )
        )
        return signer

    def place_field(
        self,
        *,
        field_id: str,
        document_id: str,
        signer_id: str,
        kind: FieldKind,
        placement: Placement,
        required: bool,
        pages: list[PageSize],
        now: datetime,
        actor: str,
    ) -> Field:
        self._require_draft()
        if len(self.fields) >= MAX_FIELDS:
            raise InvalidInput(f"an envelope has at most {MAX_FIELDS} fields")
        if document_id not in self.document_ids:
            raise InvalidInput(f"document {document_id} is not in this envelope")
        signer = self.signer_or_invalid(signer_id)
        if not signer.acts:
            raise InvalidInput("a carbon-copy recipient cannot have fields")
        placement.check_fits(pages)
        placed = Field(
            id=field_id, document_id=document_id, signer_id=signer_id,
            kind=kind, placement=placement, required=required,
        )
        self.fields.append(placed)
        self._record(
            FieldPlaced(
                envelope_id=self.id, at=now, actor=actor,
                field_id=field_id, document_id=document_id, signer_id=signer_id, kind=kind.value,
                page=placement.page, x=placement.x, y=placement.y,
                width=placement.width, height=placement.height, required=required,
            )
        )
        return placed

    def signer_or_invalid(self, signer_id: str) -> Signer:
        try:
            return self.signer(signer_id)
        except NotFound:
            raise InvalidInput(f"recipient {signer_id} is not in this envelope") from None

    # -- the lifecycle -------------------------------------------------------------------

    def send(self, *, policy: Policy, now: datetime, actor: str) -> None:
        self._require_draft()
        if not self.document_ids:
            raise InvalidState("an envelope needs at least one document before it is sent")
        if not any(s.acts for s in self.signers):
            raise InvalidState("an envelope needs at least one signer or approver before it is sent")
        for signer in self.signers:
            _check_reachable(signer, signer.auth.method or policy.signer_auth, policy)
        self.status = EnvelopeStatus.SENT
        self.policy = policy
        self.sent_at = now
        self.expires_at = now + timedelta(days=policy.expiry_days)
        self._record(
            EnvelopeSent(
                envelope_id=self.id, at=now, actor=actor,
                policy_id=policy.id, policy_version=policy.version,
                signature_level=policy.signature_level.value, expires_at=self.expires_at.isoformat(),
            )
        )
        self._activate_next(now)

    def void(self, *, reason: str, now: datetime, actor: str) -> None:
        reason = _reason(reason, "voiding")
        if self.status is not EnvelopeStatus.SENT:
            raise InvalidState(f"only a sent envelope can be voided; this one is {self.status.value}")
        self.status = EnvelopeStatus.VOIDED
        self.voided_reason = reason
        self._ended(now)
        self._record(EnvelopeVoided(envelope_id=self.id, at=now, actor=actor, reason=reason))

    def due_reminders(self, now: datetime) -> list[Signer]:
        """The recipients whose turn it is and who have waited the policy's reminder cadence since their last mail.

        Nobody when the policy sends no reminders (reminder_days 0), or the envelope is no
        longer waiting for signatures, or it has expired.
        """
        if self.status is not EnvelopeStatus.SENT or self.policy is None or self.policy.reminder_days == 0:
            return []
        if self.is_past_expiry(now):
            return []
        every = timedelta(days=self.policy.reminder_days)
        return [s for s in self.signers if s.reminder_due(now, every)]

    def send_reminders(self, *, now: datetime, actor: str) -> list[Signer]:
        """Remind everyone `due_reminders` names; who was reminded."""
        due = self.due_reminders(now)
        for signer in due:
            signer.remind(now)
            self._record(SignerReminded(envelope_id=self.id, at=now, actor=actor, signer_id=signer.id))
        if due:
            self._touch(now)
        return due

    def closed_to_recipients(self, now: datetime) -> str | None:
        """Why recipients can no longer open the envelope (declined, voided, expired); None while they can.

        A completed envelope stays open to them: they may read what they signed.
        """
        if self.is_past_expiry(now):
            return EnvelopeStatus.EXPIRED.value
        if self.status in (EnvelopeStatus.DECLINED, EnvelopeStatus.VOIDED, EnvelopeStatus.EXPIRED):
            return self.status.value
        return None

    def is_past_expiry(self, now: datetime) -> bool:
        """Sent, and its expires_at has passed: it should expire."""
        return self.status is EnvelopeStatus.SENT and self.expires_at is not None and now >= self.expires_at

    def expire(self, *, now: datetime, actor: str) -> None:
        """A sent envelope whose expires_at has passed stops waiting: nobody can act on it any more."""
        if self.status is not EnvelopeStatus.SENT:
            raise InvalidState(f"only a sent envelope expires; this one is {self.status.value}")
        if not self.is_past_expiry(now):
            raise InvalidState("this envelope has not reached its expiry yet")
        self.status = EnvelopeStatus.EXPIRED
        self._ended(now)
        expires_at = self.expires_at.isoformat() if self.expires_at else None
        self._record(EnvelopeExpired(envelope_id=self.id, at=now, actor=actor, expires_at=expires_at))

    def view(self, *, signer_id: str, now: datetime, actor: str) -> None:
        signer = self.signer(signer_id)
        if self.status is EnvelopeStatus.SENT and signer.view():
            self._touch(now)
            self._record(SignerViewed(envelope_id=self.id, at=now, actor=actor, signer_id=signer_id))

    @property
    def signature_level(self) -> SignatureLevel:
        """The level of every signature on the envelope, the seal's too: its policy snapshot's, taken when it was sent."""
        if self.policy is None:
            raise InvalidState("this envelope has no signing policy; only a sent envelope can be signed")
        return self.policy.signature_level

    def resolve_field_values(
        self, *, signer_id: str, values: dict[str, FieldValue], signature_text: str, now: datetime
    ) -> dict[str, str]:
        """Check that the recipient may act now and that `values` fit their fields.

        Returns the value of every one of their fields as it will be written into the
        documents: signatures carry the typed name, initials default to the name's
        initials, dates are filled by the platform.
        """
        self.check_can_act(signer_id=signer_id, now=now)
        signature_text = typed_signature(signature_text)
        mine = {f.id: f for f in self.fields_of(signer_id)}
        unknown = sorted(set(values) - set(mine))
        if unknown:
            raise InvalidInput(f"these fields are not yours to fill: {', '.join(unknown)}")
        return {field_id: _field_value(f, values.get(field_id), signature_text, now) for field_id, f in mine.items()}

    def repeats_signature(self, *, signer_id: str, signature_text: str) -> bool:
        """Whether this signature was made already, the same (a retry: answered as the first was, not done
        again); AlreadySigned or AlreadyDeclined if the recipient did something else."""
        return self.signer(signer_id).signed_already(signature_text)

    def repeats_decline(self, *, signer_id: str, reason: str) -> bool:
        """Whether this recipient declined already, for this reason; as `repeats_signature`."""
        return self.signer(signer_id).declined_already(_reason(reason, "declining"))

    def check_can_act(self, *, signer_id: str, now: datetime) -> None:
        self._require_sent()
        if self.expires_at is not None and now >= self.expires_at:
            raise InvalidState("this envelope has expired")
        self.signer(signer_id).check_can_act()

    def sign(self, *, signer_id: str, field_values: dict[str, str], evidence: SigningEvidence, actor: str) -> None:
        """Record a recipient's signature (or approval) over values from `resolve_field_values`."""
        self.check_can_act(signer_id=signer_id, now=evidence.at)
        signer = self.signer(signer_id)
        signer.sign(evidence)
        for f in self.fields_of(signer_id):
            f.value = field_values.get(f.id)
        self._touch(evidence.at)
        act = SignerApproved if signer.role is Role.APPROVER else SignerSigned
        self._record(
            act(
                envelope_id=self.id, at=evidence.at, actor=actor,
                signer_id=signer_id,
                ip=evidence.ip,
                user_agent=evidence.user_agent,
                auth_method=evidence.auth_method,
                signature_text=evidence.signature_text,
                certificate_serials=tuple(evidence.certificate_serials),
                fields={f.id: f.value for f in self.fields_of(signer_id)},
            )
        )
        self._activate_next(evidence.at)

    def decline(self, *, signer_id: str, reason: str, now: datetime, actor: str) -> None:
        reason = _reason(reason, "declining")
        self.check_can_act(signer_id=signer_id, now=now)
        if self.policy is not None and not self.policy.decline_allowed:
            raise InvalidState("this envelope's policy does not allow declining")
        self.signer(signer_id).decline(reason, now)
        self.status = EnvelopeStatus.DECLINED
        self._ended(now)
        self._record(SignerDeclined(envelope_id=self.id, at=now, actor=actor, signer_id=signer_id, reason=reason))

    def record_link_issued(self, *, signer_id: str, expires_at: datetime, now: datetime, actor: str) -> None:
        self._require_sent()
        self.signer(signer_id)
        self._touch(now)
        self._record(
            SigningLinkIssued(envelope_id=self.id, at=now, actor=actor, signer_id=signer_id, expires_at=expires_at.isoformat())
        )

    # -- the recipients' authentication ---------------------------------------------------

    def auth_method_of(self, signer_id: str) -> SignerAuth:
        """What the recipient must pass beyond their link: the sender's choice for them, else the policy's."""
        chosen = self.signer(signer_id).auth.method
        return chosen or (self.policy.signer_auth if self.policy else SignerAuth.LINK)

    def check_can_authenticate(self) -> None:
        """Recipients authenticate while the envelope waits for them, and to read it once completed."""
        if self.status not in (EnvelopeStatus.SENT, EnvelopeStatus.COMPLETED):
            raise InvalidState(f"this envelope is {self.status.value}: its recipients have nothing to open")

    def record_code_sent(self, *, signer_id: str, code_hash: str, destination: str, now: datetime, actor: str) -> None:
        """A new one-time code for the recipient (it replaces any earlier one); `destination` is masked."""
        self.check_can_authenticate()
        method = self.auth_method_of(signer_id)
        if method not in CODE_METHODS:
            raise InvalidState(f"this recipient authenticates by {method.value}, not with a code sent to them")
        if method is SignerAuth.SMS_OTP and self.signer(signer_id).auth.phone is None:  # a carbon copy, say
            raise InvalidState("this recipient has no phone number for SMS codes: ask the sender")
        self.signer(signer_id).auth.code_issued(code_hash, now)
        self._record(
            SignerCodeSent(envelope_id=self.id, at=now, actor=actor, signer_id=signer_id, method=method.value, destination=destination)
        )

    def record_answer(
        self, *, signer_id: str, correct: bool, now: datetime, actor: str, detail: str | None = None
    ) -> CodeCheck:
        """Count a recipient's answer to their challenge (a code, an access code, a sign-in's email)."""
        self.check_can_authenticate()
        state, method = self.signer(signer_id).auth, self.auth_method_of(signer_id)
        if state.locked:
            return CodeCheck.LOCKED
        if method in CODE_METHODS and not state.code_outstanding(now):
            return CodeCheck.EXPIRED
        outcome = state.answered(correct=correct, now=now, single_use=method in CODE_METHODS)
        mine = {"envelope_id": self.id, "at": now, "actor": actor, "signer_id": signer_id}
        if outcome is CodeCheck.PASSED:
            self._record(SignerAuthenticated(**mine, method=method.value, detail=detail))
        else:
            self._record(SignerAuthenticationFailed(**mine, method=method.value, failed_attempts=state.failed_attempts))
            if outcome is CodeCheck.LOCKED:
                self._record(SignerLocked(**mine, method=method.value))
        self._touch(now)
        return outcome

    def record_authenticated_by_sender(self, *, signer_id: str, how: str, now: datetime, actor: str) -> None:
        """The sender's own application authenticated the recipient and frames their page (embedded signing)."""
        self.check_can_authenticate()
        self.signer(signer_id)
        self._record(
            SignerAuthenticated(envelope_id=self.id, at=now, actor=actor, signer_id=signer_id, method="embedded", detail=how)
        )

    def unlock_signer(self, *, signer_id: str, now: datetime, actor: str) -> bool:
        """Let a locked-out recipient try again (the sender's call); returns whether anything changed."""
        state = self.signer(signer_id).auth
        if not state.locked and state.failed_attempts == 0 and state.codes_sent == 0:
            return False
        state.unlock()
        self._touch(now)
        self._record(SignerUnlocked(envelope_id=self.id, at=now, actor=actor, signer_id=signer_id))
        return True

    def record_document_sealed(self, *, document_id: str, sha256: str, now: datetime, actor: str) -> None:
        if self.status is not EnvelopeStatus.COMPLETED:
            raise InvalidState("only a completed envelope's documents are sealed")
        self._record(DocumentSealed(envelope_id=self.id, at=now, actor=actor, document_id=document_id, sha256=sha256))

    def record_sealed(self, *, now: datetime, actor: str) -> None:
        """Every document carries the platform's seal: the envelope's final documents exist."""
        if self.status is not EnvelopeStatus.COMPLETED:
            raise InvalidState("only a completed envelope is sealed")
        self._touch(now)
        self._record(EnvelopeSealed(envelope_id=self.id, at=now, actor=actor, document_ids=tuple(self.document_ids)))

    def record_completion_certificate(self, certificate: StoredCertificate, *, actor: str) -> None:
        """The certificate of completion is made and stored; it is made once, and never replaced."""
        if self.status is not EnvelopeStatus.COMPLETED:
            raise InvalidState("only a completed envelope has a certificate of completion")
        if self.completion_certificate is not None:
            raise InvalidState(f"envelope {self.id}'s certificate of completion is already made")
        self.completion_certificate = certificate
        self._touch(certificate.made_at)
        self._record(
            CompletionCertificateMade(
                envelope_id=self.id, at=certificate.made_at, actor=actor,
                blob_key=certificate.blob_key, sha256=certificate.sha256, size=certificate.size,
            )
        )

    def record_archive_timestamp_added(self, *, document_id: str, sha256: str, now: datetime, actor: str) -> None:
        if self.status is not EnvelopeStatus.COMPLETED:
            raise InvalidState("only a completed envelope's documents are time-stamped for the archive")
        self._record(ArchiveTimestampAdded(envelope_id=self.id, at=now, actor=actor, document_id=document_id, sha256=sha256))

    # -- retention and legal hold -----------------------------------------------------------

    def set_legal_hold(self, *, reason: str, now: datetime, actor: str) -> bool:
        """Keep the documents until the hold is released, whatever their retention says; returns whether anything
        changed (the same reason again changes nothing; another reason replaces it, the hold keeps its start)."""
        reason = _reason(reason, "a legal hold")
        self.require_documents()
        if self.legal_hold is not None and self.legal_hold.reason == reason:
            return False
        since = self.legal_hold.since if self.legal_hold is not None else now
        self.legal_hold = LegalHold(reason=reason, since=since, by=actor)
        self._touch(now)
        self._record(LegalHoldSet(envelope_id=self.id, at=now, actor=actor, reason=reason))
        return True

    def release_legal_hold(self, *, reason: str, now: datetime, actor: str) -> None:
        """Let retention take its course again: the next purge run purges the documents if they are due."""
        reason = _reason(reason, "releasing a legal hold")
        if self.legal_hold is None:
            raise NoLegalHold(f"envelope {self.id} is not on legal hold")
        self.legal_hold = None
        self._touch(now)
        self._record(LegalHoldReleased(envelope_id=self.id, at=now, actor=actor, reason=reason))

    def is_due_for_purge(self, now: datetime) -> bool:
        """Ended, its retention period over, not on hold and not purged yet (a purge begun and not finished is due)."""
        if self.purged_at is not None or self.legal_hold is not None or self.purge_after is None:
            return False
        return self.status in ENDED and now >= self.purge_after

    def begin_purge(self, *, now: datetime) -> bool:
        """Mark the documents as going, before their bytes are deleted: from now on none is served, and no hold can
        be set. Returns whether this changed anything (False: begun already, by a run that was cut short)."""
        if self.purge_started_at is not None and self.purged_at is None:
            return False
        self._require_due(now)
        self.purge_started_at = now
        self._touch(now)
        return True

    def finish_purge(self, documents: list[Document], *, now: datetime, actor: str) -> None:
        """The documents' bytes are deleted: leave the tombstone. Fields' values (what recipients typed into the
        documents) go with them; the documents' records, their hashes and the audit chain stay."""
        if self.purge_started_at is None or self.purged_at is not None:
            raise InvalidState(f"envelope {self.id} has no purge under way")
        mine = [d for d in documents if d.envelope_id == self.id]
        for document in mine:
            document.purge()
        for f in self.fields:
            f.value = None
        self.purged_at = now
        self._touch(now)
        self._record(
            DocumentsPurged(
                envelope_id=self.id, at=now, actor=actor, document_ids=tuple(d.id for d in mine),
                revisions=sum(len(d.revisions) for d in mine), certificate=self.completion_certificate is not None,
                retention_days=self.policy.retention_days if self.policy else 0,
            )
        )

    def require_documents(self) -> None:
        """ContentPurged once the documents' purge has begun: their bytes are gone, or going."""
        if self.purge_started_at is not None or self.purged_at is not None:
            raise ContentPurged(
                f"envelope {self.id}'s documents were purged under its retention policy: only their SHA-256 remain"
            )

    def _require_due(self, now: datetime) -> None:
        self.require_documents()
        if self.legal_hold is not None:
            raise UnderLegalHold(f"envelope {self.id} is on legal hold: {self.legal_hold.reason}")
        if not self.is_due_for_purge(now):
            raise InvalidState(f"envelope {self.id} is not due for purge")

    def _ended(self, now: datetime) -> None:
        """The envelope reached an end state: its retention period starts (its policy snapshot says how long)."""
        if self.policy is not None:
            self.purge_after = purge_date(now, self.policy.retention_days)
        self._touch(now)

    # -- internals -----------------------------------------------------------------------

    def _activate_next(self, now: datetime) -> None:
        order = self.current_order()
        for signer in self.signers:
            reached = order is None or self.effective_order(signer) <= order
            if reached and signer.status is SignerStatus.PENDING:
                signer.notify(now)
                self._record(SignerNotified(envelope_id=self.id, at=now, actor="system", signer_id=signer.id, role=signer.role.value))
        if order is None:
            self.status = EnvelopeStatus.COMPLETED
            self.completed_at = now
            self._ended(now)
            self._record(EnvelopeCompleted(envelope_id=self.id, at=now, actor="system"))
        self._touch(now)

    def _next_routing_order(self) -> int:
        if self.routing is Routing.PARALLEL or not self.signers:
            return 1
        return max(s.routing_order for s in self.signers) + 1

    def _require_draft(self) -> None:
        if self.status is not EnvelopeStatus.DRAFT:
            raise InvalidState(f"only a draft can be edited; this envelope is {self.status.value}")

    def _require_sent(self) -> None:
        if self.status is not EnvelopeStatus.SENT:
            raise InvalidState(f"this envelope is {self.status.value}, not waiting for signatures")

    def _touch(self, now: datetime) -> None:
        self.updated_at = now

    def _record(self, event: DomainEvent) -> None:
        self.events.append(event)


def _check_reachable(signer: Signer, method: SignerAuth, policy: Policy) -> None:
    """A recipient can pass the authentication asked of them (SMS codes need a phone, an access code its
    code), and the sender's choice for them is no weaker than the policy's: a sender may ask more of a
    recipient than the tenant's rules do, never less."""
    if not signer.acts:
        return
    if STRENGTH[method] < STRENGTH[policy.signer_auth]:
        raise InvalidState(
            f"{signer.email} would authenticate by {method.value}, which is weaker than the "
            f"{policy.signer_auth.value} this envelope's policy asks for"
        )
    if method is SignerAuth.SMS_OTP and signer.auth.phone is None:
        raise InvalidState(f"{signer.email} authenticates with SMS codes but has no phone number")
    if method is SignerAuth.ACCESS_CODE and signer.auth.access_code_hash is None:
        raise InvalidState(f"{signer.email} authenticates with an access code but the sender gave none")


def _reason(reason: str, what: str) -> str:
    if not reason.strip():
        raise InvalidInput(f"{what} needs a reason")
    return multi_line(reason, what="the reason", max_length=MAX_REASON_LENGTH)


def _field_value(f: Field, given: FieldValue | None, signature_text: str, now: datetime) -> str:
    match f.kind:
        case FieldKind.SIGNATURE:
            if given is not None:
                raise InvalidInput(f"field {f.id} is a signature: it takes the signature, not a value")
            return signature_text.strip()
        case FieldKind.DATE_SIGNED:
            if given is not None:
                raise InvalidInput(f"field {f.id} is the date signed: the platform fills it")
            return now.date().isoformat()
        case FieldKind.INITIALS:
            if given is None:
                return initials_of(signature_text)
            return _text(f, given)
        case FieldKind.CHECKBOX:
            if given is None:
                given = False
            if not isinstance(given, bool):
                raise InvalidInput(f"field {f.id} is a checkbox: its value is true or false")
            if f.required and not given:
                raise InvalidInput(f"field {f.id} is a required checkbox and must be checked")
            return "true" if given else "false"
        case FieldKind.TEXT:
            if given is None or (isinstance(given, str) and not given.strip()):
                if f.required:
                    raise InvalidInput(f"field {f.id} is required")
                return ""
            return _text(f, given)


def _text(f: Field, given: FieldValue) -> str:
    if not isinstance(given, str):
        raise InvalidInput(f"field {f.id} takes text")
    return single_line(given, what=f"field {f.id}", max_length=MAX_TEXT_VALUE_LENGTH, required=False)


def initials_of(name: str) -> str:
    return "".join(part[0].upper() for part in name.split() if part)
