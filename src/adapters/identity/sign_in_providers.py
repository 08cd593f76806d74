"""The OIDC and SAML sign-ins behind one port (application.access.identity_ports.SignInProvider).

Each wrapper knows where the provider sends the browser back (under UNDERSIGN_PUBLIC_URL),
what of a sign-in in progress the browser must bring back (the OIDC pending sign-in; the
SAML request's id and when it was made), and which part of the answer the adapter reads.
An OIDC `state` is claimed once (OneTimeIds): a callback replayed, even to another process,
is refused; a SAML assertion's id is claimed by the SAML adapter itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from undersign.adapters.identity.oidc_sign_in import OidcSignIn, PendingSignIn
from undersign.adapters.identity.saml import SamlServiceProvider
from undersign.application.access.identity_ports import OneTimeIds, SignInRejected, VerifiedSignIn

PENDING_LIFETIME = timedelta(minutes=10)  # how long a browser may spend at the provider
MAX_ANSWER_LENGTH = 300_000  # a posted SAMLResponse (the adapter refuses past 256 KiB of base64)


def oidc_callback_path(name: str) -> str:
    return f"/sign-in/oidc/{name}/callback"


SIGNER_CALLBACK_PATH = "/sign/oidc/callback"  # where recipients come back from the provider they sign in with


def saml_acs_path(name: str) -> str:
    return f"/sign-in/saml/{name}/acs"


class OidcProvider:
    """`callback_path`: the staff sign-in's by default; SIGNER_CALLBACK_PATH for recipients (registered with the provider too)."""

    def __init__(
        self, sign_in: OidcSignIn, *, public_url: str, one_time_ids: OneTimeIds, callback_path: str | None = None
    ) -> None:
        self._sign_in, self._one_time_ids = sign_in, one_time_ids
        self._redirect_uri = public_url + (callback_path or oidc_callback_path(sign_in.name))

    @property
    def key(self) -> str:
        return f"oidc:{self._sign_in.name}"

    @property
    def metadata(self) -> None:
        return None

    async def begin(self) -> tuple[str, bytes]:
        url, pending = await self._sign_in.begin(redirect_uri=self._redirect_uri)
        return url, pending.to_bytes()

    async def finish(self, pending: bytes, answer: Mapping[str, str]) -> VerifiedSignIn:
        started = PendingSignIn.from_bytes(pending)
        verified = await self._sign_in.finish(started, query=answer)
        if not await self._one_time_ids.claim(f"oidc-state:{started.state}", until=started.created_at + PENDING_LIFETIME):
            raise SignInRejected("replayed", "this sign-in was completed already: start again")
        return verified

    async def aclose(self) -> None:
        await self._sign_in.aclose()


class SamlProvider:
    def __init__(self, provider: SamlServiceProvider, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._provider, self._now = provider, now

    @property
    def key(self) -> str:
        return f"saml:{self._provider.name}"

    @property
    def metadata(self) -> bytes:
        return self._provider.metadata()

    async def begin(self) -> tuple[str, bytes]:
        url, request_id = self._provider.begin("")
        started = self._now().isoformat()
        return url, json.dumps({"request_id": request_id, "at": started}).encode()

    async def finish(self, pending: bytes, answer: Mapping[str, str]) -> VerifiedSignIn:
        try:
            started = json.loads(pending)
            request_id, at = str(started["request_id"]), datetime.fromisoformat(started["at"])
        except (ValueError, KeyError, TypeError):
            raise SignInRejected("bad_pending", "this sign-in was not started here: start again") from None
        if self._now() - at > PENDING_LIFETIME:
            raise SignInRejected("expired", "this sign-in took too long: start again")
        response = answer.get("SAMLResponse", "")
        if len(response) > MAX_ANSWER_LENGTH:
            raise SignInRejected("too_large", "the identity provider's answer is too large")
        return await self._provider.finish(response, request_id=request_id)
