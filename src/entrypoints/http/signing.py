"""The signer's side of the API: the token in the path is the credential, no API key."""

from __future__ import annotations

from pathlib import Path

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.decline import Decline, DeclineHandler
from application.sign import Sign, SignHandler
from application.signing_session import SigningSession, SigningSessions
from entrypoints.http.envelopes import pdf_response
from entrypoints.http.schemas import (
    ReasonIn,
    SignIn,
    SigningDocumentOut,
    SigningSessionOut,
    field_out,
    signer_out,
)

SIGNING_PAGE = (Path(__file__).parent / "templates" / "sign.html").read_text()


class SigningController(Controller):
    path = "/v1/signing/{token:str}"
    tags = ["signing"]

    @get("/")
    async def open_session(
        self, token: FromPath[str], signing_sessions: NamedDependency[SigningSessions]
    ) -> SigningSessionOut:
        return session_out(token, await signing_sessions.open(token))

    @get("/documents/{document_id:str}/content", media_type="application/pdf")
    async def document_content(
        self, token: FromPath[str], document_id: FromPath[str], signing_sessions: NamedDependency[SigningSessions]
    ) -> Response[bytes]:
        return pdf_response(*await signing_sessions.document_content(token, document_id))

    @post("/sign", status_code=200)
    async def sign(
        self,
        token: FromPath[str],
        data: JSONBody[SignIn],
        request: Request,
        sign: NamedDependency[SignHandler],
        signing_sessions: NamedDependency[SigningSessions],
    ) -> SigningSessionOut:
        await sign(
            Sign(
                token=token, field_values=data.fields, signature_text=data.signature.text, consent=data.consent,
                ip=request.client.host if request.client else None,
                user_agent=request.headers.get("user-agent"),
            )
        )
        return session_out(token, await signing_sessions.open(token))

    @post("/decline", status_code=200)
    async def decline(
        self,
        token: FromPath[str],
        data: JSONBody[ReasonIn],
        decline: NamedDependency[DeclineHandler],
        signing_sessions: NamedDependency[SigningSessions],
    ) -> SigningSessionOut:
        await decline(Decline(token=token, reason=data.reason))
        return session_out(token, await signing_sessions.open(token))


@get("/sign/{token:str}", media_type="text/html", include_in_schema=False)
async def signing_page(token: FromPath[str]) -> Response[str]:
    """The page a person opens from their link; it drives the API above from the browser."""
    headers = {
        "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline'",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    return Response(content=SIGNING_PAGE, media_type="text/html", headers=headers)


def session_out(token: str, session: SigningSession) -> SigningSessionOut:
    envelope, signer = session.envelope, session.signer
    return SigningSessionOut(
        envelope_id=envelope.id, subject=envelope.subject, message=envelope.message,
        envelope_status=envelope.status.value, signer=signer_out(signer), can_sign=session.can_act,
        consent_text=envelope.policy.consent_text if envelope.policy else "",
        documents=[
            SigningDocumentOut(
                id=d.id, filename=d.filename, pages=len(d.pages),
                content_url=f"/v1/signing/{token}/documents/{d.id}/content",
            )
            for d in session.documents
        ],
        fields=[field_out(f) for f in envelope.fields_of(signer.id)],
    )
