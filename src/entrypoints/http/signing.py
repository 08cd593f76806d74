"""The signer's side of the API: the token in the path is the credential, no API key."""

from __future__ import annotations

import hashlib
from pathlib import Path

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody

from undersign.application.signing.decline import Decline, DeclineHandler
from undersign.application.signing.sessions import SigningSession, SigningSessions
from undersign.application.signing.sign import Sign, SignHandler
from undersign.entrypoints.http.envelopes import pdf_response
from undersign.entrypoints.http.schemas import (
    ReasonIn,
    SignIn,
    SigningDocumentOut,
    SigningSessionOut,
    field_out,
    signer_out,
)

# The routes below need no API key: the signing token in the path is the credential.
BY_TOKEN = "the signing token in the path is the credential"

# The page's script and stylesheet, served by Undersign itself (its CSP allows nothing else).
# The page links them with their content's digest, so a browser may keep them for good.
ASSET_TYPES = {"sign.js": "text/javascript", "sign.css": "text/css"}  # Litestar adds "; charset=utf-8"
ASSETS = {name: (Path(__file__).parent / "static" / name).read_bytes() for name in ASSET_TYPES}
ASSET_VERSIONS = {name: hashlib.sha256(content).hexdigest()[:16] for name, content in ASSETS.items()}


def _linking_versions(page: str) -> str:
    for name, version in ASSET_VERSIONS.items():
        page = page.replace(f'"/sign/assets/{name}"', f'"/sign/assets/{name}?v={version}"')
    return page


SIGNING_PAGE = _linking_versions((Path(__file__).parent / "templates" / "sign.html").read_text())

# Only what the page does: its own script and stylesheet, calls to the API, no frames, no forms sent.
SIGNING_PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'"
)


class SigningController(Controller):
    path = "/v1/signing/{token:str}"
    tags = ["signing"]

    @get("/", public=BY_TOKEN)
    async def open_session(
        self, token: FromPath[str], signing_sessions: NamedDependency[SigningSessions]
    ) -> SigningSessionOut:
        return session_out(token, await signing_sessions.open(token))

    @get("/documents/{document_id:str}/content", media_type="application/pdf", public=BY_TOKEN)
    async def document_content(
        self, token: FromPath[str], document_id: FromPath[str], signing_sessions: NamedDependency[SigningSessions]
    ) -> Response[bytes]:
        return pdf_response(*await signing_sessions.document_content(token, document_id))

    @post("/sign", status_code=200, public=BY_TOKEN)
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

    @post("/decline", status_code=200, public=BY_TOKEN)
    async def decline(
        self,
        token: FromPath[str],
        data: JSONBody[ReasonIn],
        decline: NamedDependency[DeclineHandler],
    ) -> SigningSessionOut:
        return session_out(token, await decline(Decline(token=token, reason=data.reason)))


@get("/sign/{token:str}", media_type="text/html", include_in_schema=False, public=BY_TOKEN)
async def signing_page(token: FromPath[str]) -> Response[str]:
    """The page a person opens from their link; it drives the API above from the browser."""
    headers = {
        "Content-Security-Policy": SIGNING_PAGE_CSP,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    return Response(content=SIGNING_PAGE, media_type="text/html", headers=headers)


@get("/sign/assets/{name:str}", include_in_schema=False, public="the page's script and stylesheet say nothing about anyone")
async def signing_asset(name: FromPath[str], v: FromQuery[str | None] = None) -> Response[bytes]:
    """The signing page's script or stylesheet; at the version the page links, cacheable for good."""
    if name not in ASSETS:
        raise NotFoundException(detail="the signing page has no such asset")
    fresh = v == ASSET_VERSIONS[name]
    cache = "public, max-age=31536000, immutable" if fresh else "no-cache"
    return Response(content=ASSETS[name], media_type=ASSET_TYPES[name], headers={"Cache-Control": cache})


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
