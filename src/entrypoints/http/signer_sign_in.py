"""A recipient signs in at the installation's identity provider when their policy asks for it (OIDC).

`GET /sign/{token}/oidc` sends the browser to the provider (UNDERSIGN_SIGNER_OIDC_PROVIDER), the
sign-in in progress and the link sealed in a cookie only this browser brings back; the provider
returns it to `GET /sign/oidc/callback`, where its answer is checked and its verified email
compared with the recipient's. Either way the browser goes back to the signing page: with the
signer's pass, or with `?sign_in=refused|locked` for the page to say why not.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from undersign.application.access.identity_ports import SignInRejected
from undersign.application.shared.errors import SignerLocked, Unauthenticated, WrongCode
from undersign.application.signing.signer_authentication import SignerAuthentication
from undersign.entrypoints.http.browser_sessions import BY_PROVIDER
from undersign.entrypoints.http.sealing import open_text, seal_text
from undersign.entrypoints.http.signer_passes import signer_pass_cookie
from undersign.entrypoints.http.signing import BY_TOKEN

PENDING_COOKIE = "undersign_signer_sign_in"
PENDING_SECONDS = 600
_PURPOSE = b"undersign signer sign-in v1"


@get("/sign/{token:str}/oidc", include_in_schema=False, public=BY_TOKEN)
async def signer_sign_in(
    token: FromPath[str], request: Request, signer_authentication: NamedDependency[SignerAuthentication]
) -> Response[Any]:
    """To the provider, with the sign-in in progress (and the link it is for) sealed in a cookie."""
    url, pending = await signer_authentication.begin_sign_in(token)
    sealed = seal_text(token.encode() + b"\n" + pending, _secret_key(request), _PURPOSE)
    response = Redirect(url, status_code=303, headers=_private())
    response.cookies.append(
        Cookie(
            key=PENDING_COOKIE, value=sealed, path="/sign", max_age=PENDING_SECONDS, httponly=True,
            samesite="lax", secure=_https(request),
        )
    )
    return response


@get("/sign/oidc/callback", include_in_schema=False, public=BY_PROVIDER)
async def signer_sign_in_callback(
    request: Request, signer_authentication: NamedDependency[SignerAuthentication]
) -> Response[Any]:
    """Back from the provider: the answer checked, then its verified email against the recipient's."""
    token, pending = _pending(request)
    outcome, cookies = "", []
    try:
        signer_pass = await signer_authentication.finish_sign_in(token, pending, dict(request.query_params))
        cookies.append(signer_pass_cookie(request, signer_pass))
    except SignerLocked:
        outcome = "?sign_in=locked"
    except (WrongCode, SignInRejected):
        outcome = "?sign_in=refused"
    response = Redirect(f"/sign/{token}{outcome}", status_code=303, headers=_private(), cookies=cookies)
    response.delete_cookie(PENDING_COOKIE, path="/sign")
    return response


def _pending(request: Request) -> tuple[str, bytes]:
    opened = open_text(request.cookies.get(PENDING_COOKIE), _secret_key(request), _PURPOSE)
    if opened is None:
        raise Unauthenticated("this sign-in was not started in this browser, or took too long: open your link again")
    token, _, pending = opened.partition(b"\n")
    return token.decode(), pending


def _private() -> dict[str, str]:
    # The provider's code is in the callback's URL, the link's token in the redirect: neither goes anywhere else.
    return {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _secret_key(request: Request) -> bytes:
    return request.app.state.container.gateways.secret_key()


def _https(request: Request) -> bool:
    return request.app.state.container.settings().public_url.startswith("https://")
