"""The signer's page: what a person opens from their invitation, rendered on the server.

GET /sign/{token} shows the envelope as it stands for its recipient (the authentication step,
their documents and fields with the sign and decline forms, or what was done); the forms post
back here (post/redirect/get: a 303 to the page on success, the page again with the message on
failure). The token in the path is the credential; the JSON API for the same link is signing.py.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from undersign.application.shared.errors import (
    LinkGone,
    ServiceUnavailable,
    TooManyRequests,
)
from undersign.application.signing.decline import Decline, DeclineHandler
from undersign.application.signing.sessions import SigningSession, SigningSessions
from undersign.application.signing.sign import Sign, SignHandler
from undersign.application.signing.signer_authentication import SignerAuthentication
from undersign.domain.errors import DomainError, NotFound
from undersign.entrypoints.http import page_forms as forms
from undersign.entrypoints.http.page_language import LANGUAGES, N_, Language, choose_language
from undersign.entrypoints.http.page_refusals import SIGN_IN_OUTCOMES, gone, message_of, unavailable_page
from undersign.entrypoints.http.page_render import (
    ASSETS,
    Notice,
    page_headers,
    render,
    session_context,
)
from undersign.entrypoints.http.problems import status_of
from undersign.entrypoints.http.signer_passes import read_signer_pass, signer_pass_cookie
from undersign.entrypoints.http.signing import BY_TOKEN

_SIGN_FORM = frozenset({"csrf", "lang", "signature_text", "signature_image", "consent"})


@get("/sign/{token:str}", include_in_schema=False, public=BY_TOKEN)
async def signing_page(
    token: FromPath[str],
    request: Request,
    signing_sessions: NamedDependency[SigningSessions],
    lang: FromQuery[str | None] = None,
    sign_in: FromQuery[str | None] = None,
) -> Response[str]:
    """The page as it stands for the link's recipient, in the language they asked for or their browser prefers
    (`sign_in`: how a sign-in at the identity provider went, when it did not let them in)."""
    outcome = SIGN_IN_OUTCOMES.get(sign_in or "")
    return await _page(request, token, signing_sessions, lang, Notice(message=outcome) if outcome else None)


@post("/sign/{token:str}/code", include_in_schema=False, public=BY_TOKEN)
async def send_code(
    token: FromPath[str],
    request: Request,
    signing_sessions: NamedDependency[SigningSessions],
    signer_authentication: NamedDependency[SignerAuthentication],
) -> Response[Any]:
    """A (new) one-time code by email or SMS, in the page's language."""
    form, language = await _posted(request, token, "code", frozenset({"csrf", "lang"}), signing_sessions)
    if isinstance(form, Response):
        return form
    return await _acting(
        request, token, language, signing_sessions, signer_authentication.send_code(token, language=language.code)
    )


@post("/sign/{token:str}/verify", include_in_schema=False, public=BY_TOKEN)
async def verify_code(
    token: FromPath[str],
    request: Request,
    signing_sessions: NamedDependency[SigningSessions],
    signer_authentication: NamedDependency[SignerAuthentication],
) -> Response[Any]:
    """The code the recipient typed: a signer pass (a cookie) when it is right."""
    form, language = await _posted(request, token, "verify", frozenset({"csrf", "lang", "code"}), signing_sessions)
    if isinstance(form, Response):
        return form
    code = "".join(form.get("code", "").split())[: forms.MAX_CODE]  # people type codes with spaces
    return await _acting(
        request, token, language, signing_sessions, signer_authentication.verify(token, code), passes=True
    )


@post(
    "/sign/{token:str}/sign", include_in_schema=False, public=BY_TOKEN, request_max_body_size=forms.MAX_SIGN_BODY_BYTES
)
async def sign_from_page(
    token: FromPath[str],
    request: Request,
    signing_sessions: NamedDependency[SigningSessions],
    sign: NamedDependency[SignHandler],
) -> Response[Any]:
    """The recipient signs: their fields, their typed (and maybe drawn) signature, their consent."""
    form, language = await _posted(request, token, "sign", _SIGN_FORM, signing_sessions, fields=True)
    if isinstance(form, Response):
        return form
    try:
        command = _sign_command(request, token, form, await signing_sessions.open(token, read_signer_pass(request)))
    except forms.FormRefused as refused:
        return await _page(request, token, signing_sessions, language.code, _notice(refused, form), status=422)
    except DomainError as error:
        return await _failed(request, token, language, signing_sessions, error, form)
    return await _acting(request, token, language, signing_sessions, sign(command), form=form)


@post("/sign/{token:str}/decline", include_in_schema=False, public=BY_TOKEN)
async def decline_from_page(
    token: FromPath[str],
    request: Request,
    signing_sessions: NamedDependency[SigningSessions],
    decline: NamedDependency[DeclineHandler],
) -> Response[Any]:
    """The recipient declines, with their reason."""
    form, language = await _posted(request, token, "decline", frozenset({"csrf", "lang", "reason"}), signing_sessions)
    if isinstance(form, Response):
        return form
    try:
        reason = forms.bounded(form, "reason", forms.MAX_REASON, message=N_("This reason is too long."))
    except forms.FormRefused as refused:
        return await _page(request, token, signing_sessions, language.code, _notice(refused, form), status=422)
    command = Decline(token=token, reason=reason, signer_pass=read_signer_pass(request))
    return await _acting(request, token, language, signing_sessions, decline(command), form=form)


@get(
    "/sign/assets/{name:str}",
    include_in_schema=False,
    public="the page's script and stylesheet say nothing about anyone",
)
async def signing_asset(name: FromPath[str], v: FromQuery[str | None] = None) -> Response[bytes]:
    """The signing page's script, stylesheet or pdf.js; at the version the page links, cacheable for good."""
    return ASSETS.response(name, v)


SIGNING_PAGE_ROUTES = [signing_page, send_code, verify_code, sign_from_page, decline_from_page, signing_asset]


# -- the steps every page answer shares ---------------------------------------------------------------


async def _page(
    request: Request,
    token: str,
    signing_sessions: SigningSessions,
    lang: str | None,
    notice: Notice | None = None,
    *,
    status: int = 200,
) -> Response[str]:
    try:
        session = await signing_sessions.open(token, read_signer_pass(request))
    except (NotFound, LinkGone) as error:
        return gone(request, _language(request, lang, tuple(LANGUAGES)), error)
    except ServiceUnavailable as error:  # the database, say: a page that says so, not a JSON problem
        return unavailable_page(request, _language(request, lang, tuple(LANGUAGES)), error)
    language = _language(request, lang, tuple(getattr(session.envelope.policy, "languages", ("en",))))
    binding, cookie = forms.browser_binding(request, embedded=session.embedded)
    context = session_context(request, token, session, language, binding, notice)
    return render(
        request, "sign.html", context, status=status, embedded=session.embedded, cookies=[cookie] if cookie else []
    )


async def _posted(
    request: Request,
    token: str,
    purpose: str,
    allowed: frozenset[str],
    signing_sessions: SigningSessions,
    *,
    fields: bool = False,
) -> tuple[dict[str, str] | Response[str], Language]:
    """The post's form if it is this page's own, else the page again saying why (the form is not acted on)."""
    form: dict[str, str] = {}
    language = _language(request, None, tuple(LANGUAGES))
    try:
        form = await forms.read_form(request, allowed, prefix_allowed=fields)
        language = _language(request, form.get("lang"), tuple(LANGUAGES))
        forms.check_origin_and_token(request, form, purpose, token)
    except forms.FormRefused as refused:
        return await _page(
            request, token, signing_sessions, language.code, _notice(refused, form), status=403
        ), language
    return form, language


async def _acting(
    request: Request,
    token: str,
    language: Language,
    signing_sessions: SigningSessions,
    act: Any,
    *,
    form: dict[str, str] | None = None,
    passes: bool = False,
) -> Response[Any]:
    """Await the use case `act`; on success back to the page (303), else the page with what went wrong."""
    try:
        done = await act
    except DomainError as error:
        return await _failed(request, token, language, signing_sessions, error, form or {})
    response = Redirect(path=f"/sign/{token}?lang={language.code}", status_code=303, headers=page_headers(request))
    if passes:
        response.cookies.append(signer_pass_cookie(request, done))
    return response


async def _failed(
    request: Request,
    token: str,
    language: Language,
    signing_sessions: SigningSessions,
    error: DomainError,
    form: dict[str, str],
) -> Response[str]:
    if isinstance(error, (NotFound, LinkGone)):
        return gone(request, language, error)
    notice = Notice(message=message_of(error), values=form)
    page = await _page(request, token, signing_sessions, language.code, notice, status=status_of(error))
    if isinstance(error, (TooManyRequests, ServiceUnavailable)):
        page.headers["Retry-After"] = str(error.retry_after_seconds)
    return page


def _notice(refused: forms.FormRefused, form: dict[str, str]) -> Notice:
    return Notice(message=refused.message, input_name=refused.field, values=form)


def _sign_command(request: Request, token: str, form: dict[str, str], session: SigningSession) -> Sign:
    """The sign form read against the recipient's own fields (FormRefused when it does not fit them)."""
    mine = [
        forms.FieldInput(id=f.id, kind=f.kind.value, required=f.required)
        for f in session.envelope.fields_of(session.signer.id)
    ]
    return Sign(
        token=token,
        field_values=forms.field_values(form, mine),
        signature_text=forms.bounded(form, "signature_text", forms.MAX_NAME, message=N_("This name is too long.")),
        consent=_consented(form),
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        signer_pass=read_signer_pass(request),
        signature_image=forms.signature_image(form),
    )


def _consented(form: dict[str, str]) -> bool:
    if form.get("consent", "") not in ("", "yes"):
        raise forms.FormRefused("The form could not be read. Please send it again from the page.", "consent")
    if form.get("consent") != "yes":
        raise forms.FormRefused("Please tick the box to agree to sign electronically.", "consent")
    return True


def _language(request: Request, asked: str | None, offered: tuple[str, ...]) -> Language:
    return choose_language(offered, asked, request.headers.get("accept-language"))
