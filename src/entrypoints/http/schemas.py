"""What goes over the wire: msgspec Structs, and the mapping from domain objects to them.

Requests forbid unknown fields, so a typo in a field name is an error rather than a
silently ignored value, and are decoded with strict types (entrypoints.http.strict_bodies).
The Structs hold no rules, the domain does; their bounds (the domain's own limits) only
keep absurd input from reaching it, and tell clients the limits in the OpenAPI schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from undersign.application.envelopes.queries import AuditTrail
from undersign.domain.document import Document
from undersign.domain.envelope import (
    MAX_FIELDS,
    MAX_MESSAGE_LENGTH,
    MAX_REASON_LENGTH,
    MAX_SUBJECT_LENGTH,
    MAX_TEXT_VALUE_LENGTH,
    Envelope,
)
from undersign.domain.field import Field
from undersign.domain.retention import LegalHold
from undersign.domain.signer import MAX_NAME_LENGTH, MAX_ROUTING_ORDER, MAX_SIGNATURE_TEXT_LENGTH, Signer
from undersign.domain.text import MAX_EMAIL_LENGTH


class Request(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


# Coordinates in PDF points: far past any real page (ISO 32000 limits pages to 14,400 points),
# and finite, which JSON numbers always are.
Points = Annotated[float, Meta(ge=0, le=1_000_000)]
FieldId = Annotated[str, Meta(max_length=64)]


class CreateEnvelopeIn(Request):
    subject: Annotated[str, Meta(max_length=MAX_SUBJECT_LENGTH)]
    message: Annotated[str, Meta(max_length=MAX_MESSAGE_LENGTH)] = ""
    routing: Literal["sequential", "parallel"] | None = None
    team_id: Annotated[str, Meta(min_length=1, max_length=64)] | None = None  # share it with a team of yours
    policy_id: Annotated[str, Meta(min_length=1, max_length=64)] | None = None  # None: the tenant's default at send


SignerAuthName = Literal["link", "email_otp", "access_code", "sms_otp", "oidc"]


class RecipientAuthenticationIn(Request):
    """How this recipient proves who they are beyond their link; the policy's method when `method` is absent."""

    method: SignerAuthName | None = None
    access_code: Annotated[str, Meta(min_length=6, max_length=64)] | None = None  # handed over by you, kept hashed
    phone: Annotated[str, Meta(min_length=8, max_length=32)] | None = None  # international form, for SMS codes


class AddSignerIn(Request):
    name: Annotated[str, Meta(max_length=MAX_NAME_LENGTH)]
    email: Annotated[str, Meta(max_length=MAX_EMAIL_LENGTH)]
    role: Literal["signer", "approver", "cc"] = "signer"
    routing_order: Annotated[int, Meta(ge=1, le=MAX_ROUTING_ORDER)] | None = None
    authentication: RecipientAuthenticationIn | None = None


class SigningLinkIn(Request):
    """Embedded signing: your application frames the signing page for a recipient it authenticated itself."""

    embedded_authentication: Annotated[str, Meta(min_length=1, max_length=200)] | None = None  # how, in your words


class CodeIn(Request):
    code: Annotated[str, Meta(min_length=1, max_length=64)]


class PlaceFieldIn(Request):
    document_id: FieldId
    signer_id: FieldId
    kind: Literal["signature", "initials", "date_signed", "text", "checkbox"]
    page: Annotated[int, Meta(ge=1, le=2**31 - 1)]
    x: Points
    y: Points
    width: Annotated[float, Meta(gt=0, le=1_000_000)]
    height: Annotated[float, Meta(gt=0, le=1_000_000)]
    required: bool = True


class ReasonIn(Request):
    reason: Annotated[str, Meta(max_length=MAX_REASON_LENGTH)]


MAX_SIGNATURE_IMAGE_BYTES = 512 * 1024


class TypedSignatureIn(Request, tag_field="kind", tag="typed"):
    text: Annotated[str, Meta(max_length=MAX_SIGNATURE_TEXT_LENGTH)]


class DrawnSignatureIn(Request, tag_field="kind", tag="drawn"):
    """A signature drawn by hand: the PNG (base64) is drawn in the signature fields; `text` is the signer's name."""

    text: Annotated[str, Meta(max_length=MAX_SIGNATURE_TEXT_LENGTH)]
    image: Annotated[bytes, Meta(max_length=MAX_SIGNATURE_IMAGE_BYTES)]


class UploadedSignatureIn(Request, tag_field="kind", tag="uploaded"):
    """A picture of a signature the signer uploaded, as a PNG (base64)."""

    text: Annotated[str, Meta(max_length=MAX_SIGNATURE_TEXT_LENGTH)]
    image: Annotated[bytes, Meta(max_length=MAX_SIGNATURE_IMAGE_BYTES)]


class SignIn(Request):
    signature: TypedSignatureIn | DrawnSignatureIn | UploadedSignatureIn
    consent: bool
    fields: Annotated[
        dict[FieldId, Annotated[str, Meta(max_length=MAX_TEXT_VALUE_LENGTH)] | bool], Meta(max_length=MAX_FIELDS)
    ] = msgspec.field(default_factory=dict)


class DocumentOut(msgspec.Struct, kw_only=True):
    id: str
    filename: str
    sha256: str
    pages: int
    size: int
    status: str
    revision: int
    current_sha256: str


class SignerOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    email: str
    role: str
    routing_order: int
    status: str
    acted_at: datetime | None
    decline_reason: str | None
    authentication: str | None  # the method you chose for them; None: the policy's
    locked: bool  # too many wrong codes: unlock them or send a new link


class FieldOut(msgspec.Struct, kw_only=True):
    id: str
    document_id: str
    signer_id: str
    kind: str
    page: int
    x: float
    y: float
    width: float
    height: float
    required: bool
    value: str | None


class LegalHoldOut(msgspec.Struct, kw_only=True):
    reason: str
    since: datetime
    by: str  # who set it: user:<id>, api_key:<id>


class EnvelopeOut(msgspec.Struct, kw_only=True):
    id: str
    status: str
    subject: str
    message: str
    routing: str
    created_at: datetime
    updated_at: datetime | None
    sent_at: datetime | None
    expires_at: datetime | None
    completed_at: datetime | None
    voided_reason: str | None
    signature_level: str | None
    policy_id: str | None  # the policy it follows: chosen for the draft (None: the tenant's default), then sent with
    policy_version: int | None  # the version it was sent with; None while a draft
    owner: str | None  # who made it: user:<id>, api_key:<id> (none before owners were kept)
    team_id: str | None  # the team it is shared with
    version: int
    documents: list[DocumentOut]
    signers: list[SignerOut]
    fields: list[FieldOut]
    # Retention: when its documents are purged (set once it ends), when they were, and a hold that keeps them.
    purge_after: datetime | None = None
    purged_at: datetime | None = None
    legal_hold: LegalHoldOut | None = None


class EnvelopeSummaryOut(msgspec.Struct, kw_only=True):
    """An envelope in a list: its documents by id only, to keep pages cheap."""

    id: str
    status: str
    subject: str
    routing: str
    created_at: datetime
    updated_at: datetime | None
    sent_at: datetime | None
    expires_at: datetime | None
    completed_at: datetime | None
    document_ids: list[str]
    signers: list[SignerOut]


class EnvelopeListOut(msgspec.Struct, kw_only=True):
    items: list[EnvelopeSummaryOut]
    next_cursor: str | None


class SigningLinkOut(msgspec.Struct, kw_only=True):
    url: str
    token: str
    expires_at: datetime


class SigningDocumentOut(msgspec.Struct, kw_only=True):
    id: str
    filename: str
    pages: int
    content_url: str


class AuthenticationOut(msgspec.Struct, kw_only=True):
    method: str  # link, email_otp, access_code, sms_otp, oidc
    passed: bool
    locked: bool
    destination: str | None  # where codes go, masked
    code_sent: bool
    attempts_left: int


class SigningSessionOut(msgspec.Struct, kw_only=True):
    envelope_id: str
    subject: str
    message: str
    envelope_status: str
    signer: SignerOut
    can_sign: bool
    consent_text: str
    authentication: AuthenticationOut  # documents and fields are shown once it is passed
    documents: list[SigningDocumentOut]
    fields: list[FieldOut]


class AuditEventOut(msgspec.Struct, kw_only=True):
    seq: int
    type: str
    at: datetime
    actor: str
    data: dict[str, object]
    prev_hash: str
    hash: str


class AuditTrailOut(msgspec.Struct, kw_only=True):
    envelope_id: str
    events: list[AuditEventOut]
    chain_valid: bool


def document_out(document: Document) -> DocumentOut:
    return DocumentOut(
        id=document.id, filename=document.filename, sha256=document.original.sha256,
        pages=len(document.pages), size=document.original.size, status=document.status.value,
        revision=document.current.number, current_sha256=document.current.sha256,
    )


def signer_out(signer: Signer) -> SignerOut:
    return SignerOut(
        id=signer.id, name=signer.name, email=signer.email, role=signer.role.value,
        routing_order=signer.routing_order, status=signer.status.value,
        acted_at=signer.acted_at, decline_reason=signer.decline_reason,
        authentication=signer.auth.method.value if signer.auth.method else None, locked=signer.auth.locked,
    )


def field_out(f: Field) -> FieldOut:
    p = f.placement
    return FieldOut(
        id=f.id, document_id=f.document_id, signer_id=f.signer_id, kind=f.kind.value,
        page=p.page, x=p.x, y=p.y, width=p.width, height=p.height, required=f.required, value=f.value,
    )


def envelope_out(envelope: Envelope, documents: list[Document]) -> EnvelopeOut:
    by_id = {d.id: d for d in documents}
    return EnvelopeOut(
        id=envelope.id, status=envelope.status.value, subject=envelope.subject, message=envelope.message,
        routing=envelope.routing.value, created_at=envelope.created_at, updated_at=envelope.updated_at,
        sent_at=envelope.sent_at, expires_at=envelope.expires_at, completed_at=envelope.completed_at,
        voided_reason=envelope.voided_reason,
        signature_level=envelope.policy.signature_level.value if envelope.policy else None,
        policy_id=envelope.policy.id if envelope.policy else envelope.policy_id,
        policy_version=envelope.policy.version if envelope.policy else None,
        owner=envelope.owner, team_id=envelope.team_id, version=envelope.version,
        documents=[document_out(by_id[i]) for i in envelope.document_ids if i in by_id],
        signers=[signer_out(s) for s in envelope.signers],
        fields=[field_out(f) for f in envelope.fields],
        purge_after=envelope.purge_after, purged_at=envelope.purged_at,
        legal_hold=legal_hold_out(envelope.legal_hold) if envelope.legal_hold else None,
    )


def legal_hold_out(hold: LegalHold) -> LegalHoldOut:
    return LegalHoldOut(reason=hold.reason, since=hold.since, by=hold.by)


def envelope_summary_out(envelope: Envelope) -> EnvelopeSummaryOut:
    return EnvelopeSummaryOut(
        id=envelope.id, status=envelope.status.value, subject=envelope.subject, routing=envelope.routing.value,
        created_at=envelope.created_at, updated_at=envelope.updated_at, sent_at=envelope.sent_at,
        expires_at=envelope.expires_at, completed_at=envelope.completed_at,
        document_ids=list(envelope.document_ids), signers=[signer_out(s) for s in envelope.signers],
    )


def audit_trail_out(envelope_id: str, trail: AuditTrail) -> AuditTrailOut:
    return AuditTrailOut(
        envelope_id=envelope_id,
        events=[
            AuditEventOut(seq=e.seq, type=e.type, at=e.at, actor=e.actor, data=e.data, prev_hash=e.prev_hash, hash=e.hash)
            for e in trail.entries
        ],
        chain_valid=trail.chain_valid,
    )
