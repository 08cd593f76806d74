"""The signer's side of the API: the token in the path is the credential, no API key."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from undersign.application.signing.decline import Decline, DeclineHandler
from undersign.application.signing.sessions import SigningSession, SigningSessions
from undersign.application.signing.sign import Sign, SignHandler
from undersign.application.signing.signer_authentication import AuthenticationState, SignerAuthentication
from undersign.domain.signer_authentication import masked_email
from undersign.entrypoints.http.downloads import (
    DOWNLOAD_HEADERS,
    DOWNLOAD_RESPONSES,
    IfRangeHeader,
    RangeHeader,
    download_response,
)
from undersign.entrypoints.http.etags import IfNoneMatch
from undersign.entrypoints.http.idempotency import IDEMPOTENT_BY_SIGNING_LINK
from undersign.entrypoints.http.schemas import (
    AuthenticationOut,
    CodeIn,
    DrawnSignatureIn,
    ReasonIn,
    SignIn,
    SigningDocumentOut,
    SigningSessionOut,
    TypedSignatureIn,
    UploadedSignatureIn,
    field_out,
    signer_out,
)
from undersign.entrypoints.http.signer_passes import read_signer_pass, signer_pass_cookie

# The routes below need no API key: the signing token in the path is the credential.
BY_TOKEN = "the signing token in the path is the credential"

class SigningController(Controller):
    path = "/v1/signing/{token:str}"
    tags = ["signing"]

    @get("/", public=BY_TOKEN)
    async def open_session(
        self, token: FromPath[str], request: Request, signing_sessions: NamedDependency[SigningSessions]
    ) -> SigningSessionOut:
        """What the recipient sees: the envelope and, once they passed the authentication their link asks for,
        its documents and their fields (the first view after that is recorded)."""
        return session_out(token, await signing_sessions.open(token, read_signer_pass(request)))

    @post("/authentication/code", status_code=202, public=BY_TOKEN)
    async def send_code(
        self, token: FromPath[str], signer_authentication: NamedDependency[SignerAuthentication]
    ) -> AuthenticationOut:
        """Send the recipient a new one-time code by email or SMS (one every 30 seconds at most)."""
        return authentication_out(await signer_authentication.send_code(token))

    @post("/authentication", status_code=200, public=BY_TOKEN)
    async def authenticate(
        self,
        token: FromPath[str],
        data: JSONBody[CodeIn],
        request: Request,
        signer_authentication: NamedDependency[SignerAuthentication],
    ) -> Response[AuthenticationOut]:
        """Answer with the one-time code or the access code: a right one sets the pass cookie that the other
        routes read; five wrong ones in a row lock the recipient until the sender lets them in again."""
        signer_pass = await signer_authentication.verify(token, data.code)
        state = await signer_authentication.state(token, signer_pass)
        return Response(content=authentication_out(state), cookies=[signer_pass_cookie(request, signer_pass)])

    @get(
        "/documents/{document_id:str}/content", media_type="application/pdf", public=BY_TOKEN,
        response_headers=DOWNLOAD_HEADERS, responses=DOWNLOAD_RESPONSES,
    )
    async def document_content(
        self,
        token: FromPath[str],
        document_id: FromPath[str],
        request: Request,
        signing_sessions: NamedDependency[SigningSessions],
        if_none_match: IfNoneMatch = None,
        byte_range: RangeHeader = None,
        if_range: IfRangeHeader = None,
    ) -> Response[bytes]:
        """A document as it stands now, once the recipient passed their authentication (one byte range may be
        asked for: the signer's page reads large documents in parts)."""
        stored = await signing_sessions.document_content(token, document_id, read_signer_pass(request))
        return await download_response(stored, if_none_match=if_none_match, byte_range=byte_range, if_range=if_range)

    @post("/sign", status_code=200, public=BY_TOKEN, **IDEMPOTENT_BY_SIGNING_LINK)
    async def sign(
        self,
        token: FromPath[str],
        data: JSONBody[SignIn],
        request: Request,
        sign: NamedDependency[SignHandler],
    ) -> SigningSessionOut:
        """The recipient signs (or approves): their fields are filled and their PAdES signature added.

        Safe to retry: the same signature sent again after it was made (its answer lost) is answered
        as the first was and recorded once; another act from the recipient after it is a 409
        (`already_signed`, `already_declined`)."""
        signer_pass = read_signer_pass(request)
        session = await sign(
            Sign(
                token=token, field_values=data.fields, signature_text=data.signature.text, consent=data.consent,
                ip=request.client.host if request.client else None,
                user_agent=request.headers.get("user-agent"),
                signer_pass=signer_pass,
                signature_image=signature_image(data.signature),
            )
        )
        return session_out(token, session)

    @post("/decline", status_code=200, public=BY_TOKEN, **IDEMPOTENT_BY_SIGNING_LINK)
    async def decline(
        self,
        token: FromPath[str],
        data: JSONBody[ReasonIn],
        request: Request,
        decline: NamedDependency[DeclineHandler],
    ) -> SigningSessionOut:
        """The recipient declines, with a reason: the envelope stops for everyone. Safe to retry, as signing is."""
        return session_out(token, await decline(Decline(token=token, reason=data.reason, signer_pass=read_signer_pass(request))))


def authentication_out(state: AuthenticationState) -> AuthenticationOut:
    return AuthenticationOut(
        method=state.method.value, passed=state.passed, locked=state.locked, destination=state.destination,
        code_sent=state.code_sent, attempts_left=state.attempts_left,
    )


def signature_image(signature: TypedSignatureIn | DrawnSignatureIn | UploadedSignatureIn) -> bytes | None:
    """The PNG of a drawn or uploaded signature; a typed one has none."""
    return None if isinstance(signature, TypedSignatureIn) else signature.image


def session_out(token: str, session: SigningSession) -> SigningSessionOut:
    envelope, signer = session.envelope, session.signer
    shown = session.authentication.passed
    recipient = signer_out(signer)
    if not shown:  # the link's holder is not known to be its recipient yet: nothing of them or the message
        recipient = msgspec.structs.replace(recipient, name="", email=masked_email(signer.email), decline_reason=None)
    return SigningSessionOut(
        envelope_id=envelope.id, subject=envelope.subject, message=envelope.message if shown else "",
        envelope_status=envelope.status.value, signer=recipient, can_sign=session.can_act,
        consent_text=envelope.policy.consent_text if envelope.policy else "",
        authentication=authentication_out(session.authentication),
        documents=[
            SigningDocumentOut(
                id=d.id, filename=d.filename, pages=len(d.pages),
                content_url=f"/v1/signing/{token}/documents/{d.id}/content",
            )
            for d in session.documents
        ],
        fields=[field_out(f) for f in envelope.fields_of(signer.id)] if shown else [],
    )
