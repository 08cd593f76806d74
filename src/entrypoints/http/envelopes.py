"""REST v1: envelopes, their documents, recipients, fields, signing links and audit trail."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream

from undersign.application.access.permissions import Caller, Permission
from undersign.application.envelopes.create import CreateEnvelope, CreateEnvelopeHandler
from undersign.application.envelopes.fields import PlaceField, PlaceFieldHandler
from undersign.application.envelopes.ports import EnvelopeCursor, EnvelopeFilter
from undersign.application.envelopes.queries import EnvelopeQueries
from undersign.application.envelopes.recipients import AddSigner, AddSignerHandler, UnlockSigner, UnlockSignerHandler
from undersign.application.envelopes.send import SendEnvelope, SendEnvelopeHandler
from undersign.application.envelopes.signing_links import CreateSigningLink, CreateSigningLinkHandler
from undersign.application.envelopes.void import VoidEnvelope, VoidEnvelopeHandler
from undersign.application.evidence.package import EvidencePackages
from undersign.application.evidence.stored_certificate import CompletionCertificates
from undersign.domain.document import Document
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.errors import InvalidInput
from undersign.domain.field import FieldKind, Placement
from undersign.domain.policy import Routing, SignerAuth
from undersign.domain.signer import Role
from undersign.domain.text import MAX_EMAIL_LENGTH
from undersign.entrypoints.http.downloads import (
    DOWNLOAD_HEADERS,
    DOWNLOAD_RESPONSES,
    IfRangeHeader,
    RangeHeader,
    download_response,
)
from undersign.entrypoints.http.etags import IfMatch, IfNoneMatch, envelope_etag, expected_version
from undersign.entrypoints.http.evidence_package import package_response
from undersign.entrypoints.http.guards import requires
from undersign.entrypoints.http.idempotency import IDEMPOTENT
from undersign.entrypoints.http.moments import moment, moment_parameter
from undersign.entrypoints.http.schemas import (
    AddSignerIn,
    AuditTrailOut,
    CreateEnvelopeIn,
    EnvelopeListOut,
    EnvelopeOut,
    FieldOut,
    PlaceFieldIn,
    ReasonIn,
    RecipientAuthenticationIn,
    SignerOut,
    SigningLinkIn,
    SigningLinkOut,
    audit_trail_out,
    envelope_out,
    envelope_summary_out,
    field_out,
    signer_out,
)

# Ours are about 90 characters (a time and an id, base64): anything much longer is not one of ours.
MAX_CURSOR_LENGTH = 200
ENVELOPE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a plain id, as the platform makes them
ETAG = [ResponseHeader(name="ETag", documentation_only=True, description="The envelope's version, for If-Match")]


class EnvelopesController(Controller):
    path = "/v1/envelopes"
    tags = ["envelopes"]

    @post("/", status_code=201, response_headers=ETAG, **requires(Permission.WRITE_ENVELOPES), **IDEMPOTENT)
    async def create(
        self, data: JSONBody[CreateEnvelopeIn], caller: NamedDependency[Caller], create_envelope: NamedDependency[CreateEnvelopeHandler]
    ) -> Response[EnvelopeOut]:
        """A draft envelope: its subject, message and routing, in a team and under a policy if named (else the
        tenant's default). Documents, recipients and fields are added to the draft; then it is sent."""
        routing = Routing(data.routing) if data.routing else None
        envelope = await create_envelope(
            CreateEnvelope(
                caller=caller, subject=data.subject, message=data.message, routing=routing, team_id=data.team_id,
                policy_id=data.policy_id,
            )
        )
        return envelope_response(envelope, [], status_code=201)

    @get("/", **requires(Permission.READ_ENVELOPES))
    async def list_envelopes(
        self,
        caller: NamedDependency[Caller],
        envelope_queries: NamedDependency[EnvelopeQueries],
        status: Annotated[EnvelopeStatus | None, QueryParameter()] = None,
        created_after: Annotated[str | None, moment_parameter("ISO 8601 with an offset; inclusive")] = None,
        created_before: Annotated[str | None, moment_parameter("ISO 8601 with an offset; exclusive")] = None,
        signer_email: Annotated[str | None, QueryParameter(max_length=MAX_EMAIL_LENGTH, description="any recipient's")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, QueryParameter(max_length=MAX_CURSOR_LENGTH)] = None,
    ) -> EnvelopeListOut:
        """The envelopes the caller may read, by status, creation time or a recipient's email, a page at a time
        (`next_cursor` asks for the next one)."""
        where = EnvelopeFilter(
            status=status, created_after=moment(created_after, "created_after"),
            created_before=moment(created_before, "created_before"), signer_email=signer_email,
        )
        page = await envelope_queries.list(caller, where=where, limit=limit, after=decode_cursor(cursor))
        return EnvelopeListOut(
            items=[envelope_summary_out(e) for e in page.items],
            next_cursor=encode_cursor(page.next_cursor) if page.next_cursor else None,
        )

    @get("/{envelope_id:str}", response_headers=ETAG, **requires(Permission.READ_ENVELOPES))
    async def get_envelope(
        self, envelope_id: FromPath[str], caller: NamedDependency[Caller], envelope_queries: NamedDependency[EnvelopeQueries]
    ) -> Response[EnvelopeOut]:
        """The envelope: its status, documents, recipients and fields; its ETag is its version, for If-Match."""
        return envelope_response(*await envelope_queries.get(caller, envelope_id))

    @post("/{envelope_id:str}/signers", status_code=201, **requires(Permission.WRITE_ENVELOPES), **IDEMPOTENT)
    async def add_signer(
        self,
        envelope_id: FromPath[str],
        data: JSONBody[AddSignerIn],
        caller: NamedDependency[Caller],
        add_signer: NamedDependency[AddSignerHandler],
        if_match: IfMatch = None,
    ) -> SignerOut:
        """Add a recipient (signer, approver or cc) to a draft, with their routing order and how they authenticate."""
        signer = await add_signer(
            AddSigner(
                caller=caller, envelope_id=envelope_id, name=data.name, email=data.email,
                role=Role(data.role), routing_order=data.routing_order,
                expected_version=expected_version(if_match, envelope_id),
                **recipient_authentication(data.authentication),
            )
        )
        return signer_out(signer)

    @post("/{envelope_id:str}/fields", status_code=201, **requires(Permission.WRITE_ENVELOPES), **IDEMPOTENT)
    async def place_field(
        self,
        envelope_id: FromPath[str],
        data: JSONBody[PlaceFieldIn],
        caller: NamedDependency[Caller],
        place_field: NamedDependency[PlaceFieldHandler],
        if_match: IfMatch = None,
    ) -> FieldOut:
        """Place a field (signature, initials, date signed, text, tick box) for a signer on a draft's document."""
        placement = Placement(page=data.page, x=data.x, y=data.y, width=data.width, height=data.height)
        placed = await place_field(
            PlaceField(
                caller=caller, envelope_id=envelope_id, document_id=data.document_id, signer_id=data.signer_id,
                kind=FieldKind(data.kind), placement=placement, required=data.required,
                expected_version=expected_version(if_match, envelope_id),
            )
        )
        return field_out(placed)

    @post("/{envelope_id:str}/send", status_code=200, response_headers=ETAG, **requires(Permission.WRITE_ENVELOPES))
    async def send(
        self,
        envelope_id: FromPath[str],
        caller: NamedDependency[Caller],
        send_envelope: NamedDependency[SendEnvelopeHandler],
        if_match: IfMatch = None,
    ) -> Response[EnvelopeOut]:
        """Send the draft: its policy is fixed, and the recipients of the first routing order are invited."""
        version = expected_version(if_match, envelope_id)
        return envelope_response(
            *await send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id, expected_version=version))
        )

    @post("/{envelope_id:str}/void", status_code=200, response_headers=ETAG, **requires(Permission.WRITE_ENVELOPES))
    async def void(
        self,
        envelope_id: FromPath[str],
        data: JSONBody[ReasonIn],
        caller: NamedDependency[Caller],
        void_envelope: NamedDependency[VoidEnvelopeHandler],
        envelope_queries: NamedDependency[EnvelopeQueries],
        if_match: IfMatch = None,
    ) -> Response[EnvelopeOut]:
        """Void a sent envelope, with the reason: nobody can sign it any more."""
        version = expected_version(if_match, envelope_id)
        await void_envelope(
            VoidEnvelope(caller=caller, envelope_id=envelope_id, reason=data.reason, expected_version=version)
        )
        return envelope_response(*await envelope_queries.get(caller, envelope_id))

    @post(
        "/{envelope_id:str}/signers/{signer_id:str}/signing-link", status_code=201,
        **requires(Permission.ISSUE_SIGNING_LINKS), **IDEMPOTENT,
    )
    async def create_signing_link(
        self,
        envelope_id: FromPath[str],
        signer_id: FromPath[str],
        caller: NamedDependency[Caller],
        create_signing_link: NamedDependency[CreateSigningLinkHandler],
        public_url: NamedDependency[str],
        data: JSONBody[SigningLinkIn | None] = None,
    ) -> SigningLinkOut:
        """A new link for the recipient (it revokes their older ones, and lets them in again if wrong codes locked
        them out). With `embedded_authentication`, your application frames the signing page for a recipient it
        authenticated itself: the platform asks nothing more of them, and their signature's evidence says so."""
        issued = await create_signing_link(
            CreateSigningLink(
                caller=caller, envelope_id=envelope_id, signer_id=signer_id,
                embedded_by=data.embedded_authentication if data else None,
            )
        )
        return SigningLinkOut(url=f"{public_url}/sign/{issued.token}", token=issued.token, expires_at=issued.expires_at)

    @post("/{envelope_id:str}/signers/{signer_id:str}/unlock", status_code=200, **requires(Permission.ISSUE_SIGNING_LINKS))
    async def unlock_signer(
        self,
        envelope_id: FromPath[str],
        signer_id: FromPath[str],
        caller: NamedDependency[Caller],
        unlock_signer: NamedDependency[UnlockSignerHandler],
    ) -> SignerOut:
        """Let a recipient locked out by wrong codes try again."""
        return signer_out(await unlock_signer(UnlockSigner(caller=caller, envelope_id=envelope_id, signer_id=signer_id)))

    @get(
        "/{envelope_id:str}/documents/{document_id:str}/content", media_type="application/pdf",
        response_headers=DOWNLOAD_HEADERS, responses=DOWNLOAD_RESPONSES, **requires(Permission.READ_ENVELOPES),
    )
    async def document_content(
        self,
        envelope_id: FromPath[str],
        document_id: FromPath[str],
        caller: NamedDependency[Caller],
        envelope_queries: NamedDependency[EnvelopeQueries],
        if_none_match: IfNoneMatch = None,
        byte_range: RangeHeader = None,
        if_range: IfRangeHeader = None,
    ) -> Response[bytes]:
        """The document as it stands, as a PDF: the original, then a revision per signature, then the sealed
        final. Its ETag is the revision's SHA-256; one byte range may be asked for."""
        stored = await envelope_queries.document_content(caller, envelope_id, document_id)
        return await download_response(stored, if_none_match=if_none_match, byte_range=byte_range, if_range=if_range)

    @get(
        "/{envelope_id:str}/certificate", media_type="application/pdf",
        response_headers=DOWNLOAD_HEADERS, responses=DOWNLOAD_RESPONSES, **requires(Permission.READ_EVIDENCE),
    )
    async def certificate(
        self,
        envelope_id: FromPath[str],
        caller: NamedDependency[Caller],
        completion_certificates: NamedDependency[CompletionCertificates],
        if_none_match: IfNoneMatch = None,
        byte_range: RangeHeader = None,
        if_range: IfRangeHeader = None,
    ) -> Response[bytes]:
        """The certificate of completion, sealed by the platform and made once: the same bytes at every
        download, their SHA-256 as ETag (and in the audit trail); 409 until the envelope is completed and sealed."""
        stored = await completion_certificates.download(caller, envelope_id)
        return await download_response(stored, if_none_match=if_none_match, byte_range=byte_range, if_range=if_range)

    @get("/{envelope_id:str}/audit", **requires(Permission.READ_EVIDENCE))
    async def audit(
        self, envelope_id: FromPath[str], caller: NamedDependency[Caller], envelope_queries: NamedDependency[EnvelopeQueries]
    ) -> AuditTrailOut:
        """The envelope's audit trail: its events in order, each entry chained to the one before by its SHA-256."""
        return audit_trail_out(envelope_id, await envelope_queries.audit_trail(caller, envelope_id))


    @get(
        "/{envelope_id:str}/evidence", media_type="application/zip", response_description="The evidence package, a ZIP",
        **requires(Permission.READ_ENVELOPES),
    )
    async def evidence(
        self,
        envelope_id: FromPath[str],
        caller: NamedDependency[Caller],
        evidence_packages: NamedDependency[EvidencePackages],
    ) -> Stream:
        """The envelope's evidence package (ZIP): its documents as they stand, the certificate of completion once
        made, the audit trail, each PDF's verification report, a manifest and SHA256SUMS; 409 for a draft. It
        needs envelopes:read as well as evidence:read: it holds the documents."""
        return await package_response(evidence_packages.export(caller, envelope_id))


def envelope_response(envelope: Envelope, documents: list[Document], status_code: int = 200) -> Response[EnvelopeOut]:
    """The envelope with its ETag, which If-Match on the next change can hold it to."""
    return Response(
        content=envelope_out(envelope, documents), status_code=status_code, headers={"ETag": envelope_etag(envelope)}
    )


def encode_cursor(cursor: EnvelopeCursor) -> str:
    raw = json.dumps([cursor.created_at.isoformat(), cursor.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> EnvelopeCursor | None:
    if cursor is None:
        return None
    try:
        created_at, envelope_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        decoded = EnvelopeCursor(created_at=datetime.fromisoformat(created_at), id=envelope_id)
    except (ValueError, TypeError, binascii.Error):
        decoded = None
    if decoded is not None and not (isinstance(decoded.id, str) and ENVELOPE_ID.fullmatch(decoded.id)):
        decoded = None
    if decoded is None or decoded.created_at.utcoffset() is None:  # ours always carry one
        raise InvalidInput("the cursor is not one this API returned")
    return decoded


def recipient_authentication(data: RecipientAuthenticationIn | None) -> dict[str, Any]:
    """The AddSigner arguments for how a recipient authenticates."""
    if data is None:
        return {}
    return {
        "auth_method": SignerAuth(data.method) if data.method else None,
        "phone": data.phone, "access_code": data.access_code,
    }
