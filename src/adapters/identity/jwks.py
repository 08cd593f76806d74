"""An issuer's signing keys (its JWKS), fetched over HTTP, cached, and refreshed when a token names a new key.

An identity provider rotates its keys by publishing the new one before signing with it, so
a token naming a key id (`kid`) that the cached set lacks is a reason to fetch the set again,
but not every time: an attacker can send a flood of tokens with made-up key ids. The set is
fetched at most once per `jwks_refresh_seconds` per issuer, whatever the number of tokens or
concurrent requests (one fetch at a time; the others wait for it and use its result), and
again after `jwks_max_age_seconds` so that keys the provider withdrew stop being trusted.
When a fetch fails, the keys already known stay in use.

Only keys for signatures are kept: symmetric (`oct`) keys, keys meant for encryption, RSA
keys under 2048 bits and keys the JOSE library warns about are left out.
"""

from __future__ import annotations

import asyncio
import json
import time
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import structlog
from joserfc import jwk
from joserfc.errors import JoseError, SecurityWarning

from undersign.adapters.identity.settings import IssuerConfig, OidcSettingsError, check_url
from undersign.application.access.identity_ports import IdentityProviderUnavailable

log = structlog.get_logger("undersign.identity")

MAX_DOCUMENT_BYTES = 256 * 1024  # a discovery document or a key set; real ones are a few KiB
MIN_RSA_BITS = 2048
PublicKey = jwk.RSAKey | jwk.ECKey | jwk.OKPKey


class FetchFailed(Exception):
    """A discovery document or key set could not be had; the message is safe to log."""


async def fetch_json(client: httpx.AsyncClient, url: str, *, timeout_seconds: float) -> dict[str, Any]:
    """The JSON object at `url`: a 200 answer (no redirect) of at most MAX_DOCUMENT_BYTES within `timeout_seconds`."""
    try:
        # httpx's timeout applies to each read; this one bounds the whole exchange, so a server
        # trickling its answer cannot hold the request that is waiting for the keys.
        async with asyncio.timeout(timeout_seconds):
            async with client.stream("GET", url, headers={"Accept": "application/json"}) as response:
                if response.status_code != 200:
                    raise FetchFailed(f"{url} answered HTTP {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise FetchFailed(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    except TimeoutError:
        raise FetchFailed(f"{url} did not answer within {timeout_seconds} s") from None
    except httpx.HTTPError as error:
        raise FetchFailed(f"{url} could not be fetched ({type(error).__name__})") from None
    try:
        document = json.loads(body)
    except ValueError:
        raise FetchFailed(f"{url} did not answer JSON") from None
    if not isinstance(document, dict):
        raise FetchFailed(f"{url} did not answer a JSON object")
    return document


def signing_keys(document: dict[str, Any]) -> dict[str, list[PublicKey]]:
    """The usable signature keys of a JWKS document, by key id (a kid may name keys of several types)."""
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise FetchFailed("the key set has no \"keys\" list")
    by_kid: dict[str, list[PublicKey]] = {}
    for data in keys:
        key = _signing_key(data)
        if key is not None:
            by_kid.setdefault(data["kid"], []).append(key)
    return by_kid


def _signing_key(data: object) -> PublicKey | None:
    if not isinstance(data, dict) or not isinstance(data.get("kid"), str) or data.get("use", "sig") != "sig":
        return None
    if data.get("kty") not in ("RSA", "EC", "OKP"):
        return None  # never `oct`: a shared secret published in a key set would let anyone sign
    public = {name: value for name, value in data.items() if name not in ("d", "p", "q", "dp", "dq", "qi", "oth", "k")}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", SecurityWarning)
            key = jwk.import_key(public)
    except (JoseError, SecurityWarning, ValueError, TypeError):
        return None
    if isinstance(key, jwk.RSAKey) and key.raw_value.key_size < MIN_RSA_BITS:
        return None
    if not isinstance(key, (jwk.RSAKey, jwk.ECKey, jwk.OKPKey)):
        return None
    return key


class IssuerKeys:
    """The signing keys of one issuer, as its JWKS publishes them (see the module's docstring)."""

    def __init__(
        self, config: IssuerConfig, client: httpx.AsyncClient, *, timeout_seconds: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self._config = config
        self._client = client
        self._timeout = timeout_seconds
        self._monotonic = monotonic
        self._jwks_uri = config.jwks_uri
        self._keys: dict[str, list[PublicKey]] | None = None
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    async def keys_for(self, kid: str) -> list[PublicKey]:
        """The issuer's keys with id `kid` (none if it has none, even after a refresh allowed now).

        Raises IdentityProviderUnavailable when no key set could ever be fetched.
        """
        cached = self._cached(kid)
        if cached:
            return cached
        async with self._lock:
            # Another request may have refreshed the set while this one waited for the lock.
            if not self._cached(kid) and self._may_fetch():
                await self._refresh()
        if self._keys is None:
            raise IdentityProviderUnavailable("the identity provider's keys cannot be fetched right now")
        return self._keys.get(kid, [])

    def _cached(self, kid: str) -> list[PublicKey]:
        """The keys with id `kid` in a set fetched less than `jwks_max_age_seconds` ago."""
        if self._keys is None or self._fetched_at is None:
            return []
        if self._monotonic() - self._fetched_at >= self._config.jwks_max_age_seconds:
            return []
        return self._keys.get(kid, [])

    def _may_fetch(self) -> bool:
        return self._attempted_at is None or self._monotonic() - self._attempted_at >= self._config.jwks_refresh_seconds

    async def _refresh(self) -> None:
        self._attempted_at = self._monotonic()
        try:
            jwks_uri = self._jwks_uri or await self._discover()
            keys = signing_keys(await fetch_json(self._client, jwks_uri, timeout_seconds=self._timeout))
        except FetchFailed as error:
            log.warning("identity provider keys not fetched", issuer=self._config.issuer, error=str(error),
                        keeping=sum(map(len, self._keys.values())) if self._keys else 0)  # fmt: skip
            return
        self._jwks_uri = jwks_uri
        self._keys = keys
        self._fetched_at = self._monotonic()
        log.info("identity provider keys fetched", issuer=self._config.issuer, kids=sorted(keys))

    async def _discover(self) -> str:
        """The `jwks_uri` of the issuer's discovery document, which must name the same issuer."""
        url = f"{self._config.issuer.rstrip('/')}/.well-known/openid-configuration"
        document = await fetch_json(self._client, url, timeout_seconds=self._timeout)
        if document.get("issuer") != self._config.issuer:
            raise FetchFailed(f"{url} names another issuer ({document.get('issuer')!r})")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise FetchFailed(f"{url} has no jwks_uri")
        try:
            return check_url(jwks_uri, "the discovered jwks_uri")
        except OidcSettingsError as error:
            raise FetchFailed(str(error)) from None
