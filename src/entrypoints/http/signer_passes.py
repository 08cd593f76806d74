"""The signer's pass in a cookie: proof that the browser holding a link passed its authentication.

Sealed (AES-GCM) with the installation's secret key, so it cannot be made or changed by the
browser; bound to one link (a new link for the recipient revokes the old one, and with it the
pass) and valid for `PASS_LIFETIME` after it was earned.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timedelta

from litestar import Request
from litestar.datastructures import Cookie

from undersign.application.signing.signer_authentication import SignerPass
from undersign.domain.policy import SignerAuth
from undersign.entrypoints.http.sealing import open_bytes, seal_bytes

SIGNER_PASS_COOKIE = "undersign_signer_pass"
PASS_LIFETIME = timedelta(hours=1)
_PURPOSE = b"undersign signer pass v1"


def read_signer_pass(request: Request) -> SignerPass | None:
    """The pass the browser holds, if it is one this installation sealed and it has not outlived PASS_LIFETIME."""
    sealed = request.cookies.get(SIGNER_PASS_COOKIE)
    if not sealed:
        return None
    try:
        opened = open_bytes(base64.urlsafe_b64decode(sealed.encode("ascii")), _secret_key(request), _PURPOSE)
        if opened is None:
            return None
        data = json.loads(opened)
        signer_pass = SignerPass(
            link_id=data["link_id"], signer_id=data["signer_id"], method=SignerAuth(data["method"]),
            at=datetime.fromisoformat(data["at"]),
        )
    except (UnicodeEncodeError, binascii.Error, ValueError, KeyError, TypeError):
        return None
    return signer_pass


def signer_pass_cookie(request: Request, signer_pass: SignerPass) -> Cookie:
    """The cookie that carries `signer_pass` (HttpOnly, SameSite=Lax, Secure behind https)."""
    data = {
        "link_id": signer_pass.link_id, "signer_id": signer_pass.signer_id,
        "method": signer_pass.method.value, "at": signer_pass.at.isoformat(),
    }
    sealed = seal_bytes(json.dumps(data).encode(), _secret_key(request), _PURPOSE)
    return Cookie(
        key=SIGNER_PASS_COOKIE, value=base64.urlsafe_b64encode(sealed).decode("ascii"), path="/",
        httponly=True, samesite="lax", secure=_https(request), max_age=int(PASS_LIFETIME.total_seconds()),
    )


def _secret_key(request: Request) -> bytes:
    return request.app.state.container.gateways.secret_key()


def _https(request: Request) -> bool:
    return request.app.state.container.settings().public_url.startswith("https://")
