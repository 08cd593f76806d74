"""Signing in with the tenant's identity provider in a browser, the session that follows, signing out.

Routes (public: the provider's answer, or the session cookie, is the credential):
- GET  /sign-in/oidc/{name}            to the OpenID Provider (authorization code + PKCE)
- GET  /sign-in/oidc/{name}/callback   back from it: the session starts
- GET  /sign-in/saml/{name}            to the SAML IdP (SP-initiated, HTTP-Redirect)
- POST /sign-in/saml/{name}/acs        the IdP's signed answer (HTTP-POST): the session starts
- GET  /sign-in/saml/{name}/metadata   this service provider's metadata, for the IdP
- POST /sign-in/password               a local user's password (local_sign_ins.py), then, if asked:
- POST /sign-in/password/enrol         a new TOTP authenticator (the tenant requires one)
- POST /sign-in/password/second-factor a TOTP or recovery code: the session starts
- GET  /v1/session                     who is signed in, and the CSRF token of the session
- POST /sign-out                       the session ends

The sign-in in progress travels in a cookie sealed with the installation's secret key
(sealing.py), bound to the browser that started it, for ten minutes; the callback takes it
back once and clears it. The session's token is a new random value at every sign-in (a
session cookie planted before sign-in is never the one after: no session fixation), in an
HttpOnly, SameSite=Lax cookie, Secure when the public URL is https. Requests that change
something with the session cookie must send `X-CSRF-Token`, the session's token HMAC'd
(a page of another site can neither read the cookie nor the token); requests with an API key
or a bearer token carry no cookie and need none.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.response import Redirect
from msgspec import Meta

from undersign.application.access.local_sign_ins import LocalSignIns, SignedIn
from undersign.application.access.sign_ins import SignIns, StartedSession
from undersign.application.shared.errors import Forbidden, Unauthenticated
from undersign.domain.local_credentials import MAX_PASSWORD_LENGTH
from undersign.domain.text import MAX_EMAIL_LENGTH
from undersign.entrypoints.http.schemas import Request as StrictRequest
from undersign.entrypoints.http.sealing import open_text, seal_text

SESSION_COOKIE = "undersign_session"
PENDING_COOKIE = "undersign_sign_in"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PENDING_SECONDS = 600
_PENDING_PURPOSE = b"undersign sign-in in progress v1"
AFTER_SIGN_IN = "/v1/session"
MAX_SAML_FORM_BYTES = 512 * 1024

BY_PROVIDER = "the identity provider's answer is the credential"
BY_COOKIE = "the session cookie is the credential"
BY_PASSWORD = "the user's password (and second factor) is the credential"
PASSWORD_METHOD = "password"


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"undersign csrf v1", hashlib.sha256).hexdigest()


def require_csrf_token(request: Request[Any, Any, Any], session_token: str) -> None:
    """A state-changing request with the session cookie must carry the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    presented = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(presented.encode(), csrf_token(session_token).encode()):
        raise Forbidden(f"a request with the session cookie sends its CSRF token in {CSRF_HEADER} (GET /v1/session)")


class SessionOut(msgspec.Struct, kw_only=True):
    tenant_id: str
    user_id: str
    role: str
    team_ids: list[str]
    csrf_token: str


class PasswordSignIn(StrictRequest):
    tenant: Annotated[str, Meta(min_length=1, max_length=63)]
    email: Annotated[str, Meta(min_length=1, max_length=MAX_EMAIL_LENGTH)]
    password: Annotated[str, Meta(min_length=1, max_length=MAX_PASSWORD_LENGTH)]


class SecondFactorIn(StrictRequest):
    code: Annotated[str, Meta(min_length=1, max_length=64)]


class SignInStepOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    signed_in: bool
    second_factor: str | None = None  # "totp": send a code; "enrol": set an authenticator up first
    otpauth_uri: str | None = None  # the new authenticator's secret, shown once
    recovery_codes: list[str] | None = None  # shown once, when an authenticator was just set up


class SamlAnswer(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    SAMLResponse: str  # noqa: N815 - the SAML binding's field name
    RelayState: str = ""  # noqa: N815


@get("/sign-in/oidc/{name:str}", tags=["sign-in"], public=BY_PROVIDER, include_in_schema=False)
async def oidc_sign_in(name: FromPath[str], request: Request, sign_ins: NamedDependency[SignIns]) -> Response:
    return await _begin(f"oidc:{name}", request, sign_ins)


@get("/sign-in/oidc/{name:str}/callback", tags=["sign-in"], public=BY_PROVIDER, include_in_schema=False)
async def oidc_callback(name: FromPath[str], request: Request, sign_ins: NamedDependency[SignIns]) -> Response:
    query = {key: values[0] for key, values in request.query_params.dict().items() if len(values) == 1}
    return await _finish(f"oidc:{name}", request, sign_ins, query)


@get("/sign-in/saml/{name:str}", tags=["sign-in"], public=BY_PROVIDER, include_in_schema=False)
async def saml_sign_in(name: FromPath[str], request: Request, sign_ins: NamedDependency[SignIns]) -> Response:
    return await _begin(f"saml:{name}", request, sign_ins)


@post(
    "/sign-in/saml/{name:str}/acs", tags=["sign-in"], public=BY_PROVIDER, include_in_schema=False,
    request_max_body_size=MAX_SAML_FORM_BYTES,
)
async def saml_acs(
    name: FromPath[str], request: Request, sign_ins: NamedDependency[SignIns], data: URLEncodedBody[SamlAnswer],
) -> Response:
    return await _finish(f"saml:{name}", request, sign_ins, {"SAMLResponse": data.SAMLResponse})


@get(
    "/sign-in/saml/{name:str}/metadata", tags=["sign-in"], public="a service provider's metadata is public",
    media_type="application/samlmetadata+xml", include_in_schema=False,
)
async def saml_metadata(name: FromPath[str], sign_ins: NamedDependency[SignIns]) -> bytes:
    return await sign_ins.service_provider_metadata(f"saml:{name}")


@get("/v1/session", tags=["sign-in"], public=BY_COOKIE)
async def current_session(request: Request, sign_ins: NamedDependency[SignIns]) -> SessionOut:
    """Who is signed in with this browser's session, and the CSRF token its changes must send."""
    token = _session_token(request)
    caller = await sign_ins.authenticate(token)
    return SessionOut(
        tenant_id=caller.tenant_id, user_id=caller.user_id or "", role=caller.role.value,
        team_ids=sorted(caller.team_ids), csrf_token=csrf_token(token),
    )


@post("/sign-out", status_code=204, tags=["sign-in"], public=BY_COOKIE)
async def sign_out(request: Request, sign_ins: NamedDependency[SignIns]) -> Response[None]:
    """End this browser's session (its CSRF token required); the cookie is removed."""
    token = _session_token(request)
    require_csrf_token(request, token)
    await sign_ins.sign_out(token)
    response: Response[None] = Response(None, status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@post("/sign-in/password", status_code=200, tags=["sign-in"], public=BY_PASSWORD)
async def password_sign_in(
    data: JSONBody[PasswordSignIn], request: Request, local_sign_ins: NamedDependency[LocalSignIns]
) -> Response[SignInStepOut]:
    """A local user's password: the session starts, or the second step is asked for."""
    _json_only(request)
    outcome = await local_sign_ins.sign_in(data.tenant, data.email, data.password)
    if isinstance(outcome, SignedIn):
        return _signed_in(request, outcome, local_sign_ins)
    asked = SignInStepOut(signed_in=False, second_factor="enrol" if outcome.enrol else "totp")
    return _with_pending(Response(asked), request, PASSWORD_METHOD, outcome.pending)


@post("/sign-in/password/enrol", status_code=200, tags=["sign-in"], public=BY_PASSWORD)
async def password_enrol(request: Request, local_sign_ins: NamedDependency[LocalSignIns]) -> Response[SignInStepOut]:
    """A new TOTP authenticator for a user whose tenant requires one; its first code finishes the sign-in."""
    setup = await local_sign_ins.enrol(_pending(request, PASSWORD_METHOD))
    asked = SignInStepOut(signed_in=False, second_factor="totp", otpauth_uri=setup.otpauth_uri)
    response = _with_pending(Response(asked), request, PASSWORD_METHOD, setup.pending)
    response.headers["cache-control"] = "no-store"
    return response


@post("/sign-in/password/second-factor", status_code=200, tags=["sign-in"], public=BY_PASSWORD)
async def password_second_factor(
    data: JSONBody[SecondFactorIn], request: Request, local_sign_ins: NamedDependency[LocalSignIns]
) -> Response[SignInStepOut]:
    """A code from the user's authenticator, or one of their recovery codes, for the password sign-in in
    progress: the session starts."""
    _json_only(request)
    done = await local_sign_ins.second_factor(_pending(request, PASSWORD_METHOD), data.code)
    response = _signed_in(request, done, local_sign_ins)
    response.delete_cookie(PENDING_COOKIE, path="/")
    return response


SESSION_ROUTES = [
    oidc_sign_in, oidc_callback, saml_sign_in, saml_acs, saml_metadata, password_sign_in, password_enrol,
    password_second_factor, current_session, sign_out,
]


# -- the parts ---------------------------------------------------------------------------------


async def _begin(method: str, request: Request, sign_ins: SignIns) -> Response:
    url, pending = await sign_ins.begin(method)
    return _with_pending(Redirect(url, status_code=303), request, method, pending)


def _with_pending(response: Response, request: Request, method: str, pending: bytes) -> Response:
    """`response` carrying the sign-in in progress for `method`, sealed, to this browser only. Only
    SAML's must come back with a cross-site POST (the IdP's); the others stay SameSite=Lax."""
    sealed = seal_text(method.encode() + b"\n" + pending, _secret_key(request), _PENDING_PURPOSE)
    cookie = _cookie(request, PENDING_COOKIE, sealed, max_age=PENDING_SECONDS, cross_site=method.startswith("saml:"))
    response.cookies.append(cookie)
    return response


def _json_only(request: Request) -> None:
    """A password step takes JSON, said so: a page of another site can post a form or text/plain without
    asking, which, read as JSON, would sign this browser in to the account of the page's choosing."""
    if request.content_type[0] != "application/json":
        raise HTTPException(status_code=415, detail="send the sign-in as application/json")


def _signed_in(request: Request, done: SignedIn, local_sign_ins: LocalSignIns) -> Response[SignInStepOut]:
    answer = SignInStepOut(signed_in=True, recovery_codes=list(done.recovery_codes) or None)
    response = Response(answer, headers={"cache-control": "no-store"})
    max_age = int(local_sign_ins.session_timeouts.absolute.total_seconds())
    response.cookies.append(_cookie(request, SESSION_COOKIE, done.started.token, max_age=max_age, cross_site=False))
    return response


async def _finish(method: str, request: Request, sign_ins: SignIns, answer: dict[str, str]) -> Response:
    pending = _pending(request, method)
    started = await sign_ins.finish(method, pending, answer)
    response = Redirect(AFTER_SIGN_IN, status_code=303)
    response.headers["referrer-policy"] = "no-referrer"  # the provider's code is in this URL
    response.delete_cookie(PENDING_COOKIE, path="/")
    response.cookies.append(_session_cookie(request, started, sign_ins))
    return response


def _pending(request: Request, method: str) -> bytes:
    """The sign-in in progress this browser brought back, if it is one started here for `method`."""
    refused = Unauthenticated("this sign-in was not started in this browser, or took too long: start again")
    opened = open_text(request.cookies.get(PENDING_COOKIE), _secret_key(request), _PENDING_PURPOSE)
    if opened is None:
        raise refused
    started_for, _, pending = opened.partition(b"\n")
    if started_for != method.encode():
        raise refused
    return pending


def _session_cookie(request: Request, started: StartedSession, sign_ins: SignIns) -> Cookie:
    max_age = int(sign_ins.timeouts.absolute.total_seconds())
    return _cookie(request, SESSION_COOKIE, started.token, max_age=max_age, cross_site=False)


def _cookie(request: Request, key: str, value: str, *, max_age: int, cross_site: bool) -> Cookie:
    secure = _public_url(request).startswith("https://")
    # The SAML IdP's answer is a POST from its site: a Lax cookie would stay behind, so the sign-in
    # in progress goes SameSite=None, which browsers take only with Secure (https).
    same_site = "none" if cross_site and secure else "lax"
    return Cookie(key=key, value=value, max_age=max_age, path="/", httponly=True, secure=secure, samesite=same_site)


def _session_token(request: Request) -> str:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthenticated("you are not signed in")
    return token


def _secret_key(request: Request) -> bytes:
    return request.app.state.container.gateways.secret_key()


def _public_url(request: Request) -> str:
    return request.app.state.container.settings().public_url
