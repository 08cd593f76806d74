"""The signer's pass in a cookie: proof that the browser holding a link passed its authentication.

Sealed (AES-GCM) with the installation's secret key, so it cannot be made or changed by the
browser; bound to one link (a new link for the recipient revokes the old one, and with it the
pass) and valid for application.signing.signer_authentication.PASS_LIFETIME after it was earned.
"""

from __future__ import annotations

import json
from datetime import datetime

from litestar import Request
from litestar.datastructures import Cookie

from undersign.application.signing.signer_authentication import PASS_LIFETIME, SignerPass
from undersign.domain.policy import SignerAuth
from undersign.entrypoints.http.sealing import open_text, seal_text

SIGNER_PASS_COOKIE = "undersign_signer_pass"
_PURPOSE = b"undersign signer pass v1"


def read_signer_pass(request: Request) -> SignerPass | None:
    """The pass the browser holds, if it is one this installation sealed and it has not outlived PASS_LIFETIME."""
    opened = open_text(request.cookies.get(SIGNER_PASS_COOKIE), _secret_key(request), _PURPOSE)
    if opened is None:
        return None
    try:
        data = json.loads(opened)
        signer_pass = SignerPass(
            link_id=data["link_id"], signer_id=data["signer_id"], method=SignerAuth(data["method"]),
            at=datetime.fromisoformat(data["at"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    return signer_pass


def signer_pass_cookie(request: Request, signer_pass: SignerPass) -> Cookie:
    """The cookie that carries `signer_pass` (HttpOnly, SameSite=Lax, Secure behind https)."""
    data = {
        "link_id": signer_pass.link_id, "signer_id": signer_pass.signer_id,
        "method": signer_pass.method.value, "at": signer_pass.at.isoformat(),
    }
    return Cookie(
        key=SIGNER_PASS_COOKIE, value=seal_text(json.dumps(data).encode(), _secret_key(request), _PURPOSE), path="/",
        httponly=True, samesite="lax", secure=_https(request), max_age=int(PASS_LIFETIME.total_seconds()),
    )


def _secret_key(request: Request) -> bytes:
    return request.app.state.container.gateways.secret_key()


def _https(request: Request) -> bool:
    return request.app.state.container.settings().public_url.startswith("https://")
