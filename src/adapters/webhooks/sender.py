"""Delivering a webhook: one signed POST per attempt, and what came back of it (a status code, or why none).

Signatures follow Standard Webhooks and are made by its reference library, so receivers
using any of its implementations verify them as they are.
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx
from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError

from undersign.adapters.webhooks.targets import check_target
from undersign.application.webhooks.ports import WebhookResult
from undersign.domain.errors import InvalidInput

_MAX_ERROR_LENGTH = 300


class HttpWebhookSender:
    """A WebhookSender over httpx. One client (its connection pool) serves every delivery; `aclose()` at shutdown."""

    def __init__(
        self, *, allow_private: bool, timeout_seconds: float = 10, user_agent: str = "Undersign-Webhooks/1"
    ) -> None:
        self._allow_private = allow_private
        self._timeout = timeout_seconds
        self._user_agent = user_agent
        self._client: httpx.AsyncClient | None = None

    async def check_target(self, url: str) -> None:
        await check_target(url, allow_private=self._allow_private, timeout_seconds=self._timeout)

    async def send(self, *, url: str, secrets: list[str], message_id: str, at: datetime, body: bytes) -> WebhookResult:
        try:
            headers = self._headers(secrets=secrets, message_id=message_id, at=at, body=body)
        except (ValueError, EmptyWebhookSecretError) as exc:  # a malformed secret, a body that is not UTF-8
            return _failed(f"not sent: cannot sign the message ({exc})")
        try:
            # Again at every attempt: the name may resolve elsewhere than when it was registered.
            # A rebinding between this check and httpx's own resolution when it connects is still
            # possible (a name with a TTL of 0); closing that gap means connecting to the very
            # addresses checked here, through a network backend of our own.
            await self.check_target(url)
        except InvalidInput as exc:
            return _failed(f"not sent: {exc.detail}")
        started = time.monotonic()
        try:
            # httpx's timeout applies to each read and write; this one bounds the whole exchange,
            # so a receiver trickling its answer a byte at a time cannot hold a worker.
            async with asyncio.timeout(self._timeout):
                # Streamed and never read: only the status code is recorded, and a receiver
                # cannot make us download a large body.
                async with self._http().stream("POST", url, content=body, headers=headers) as response:
                    status = response.status_code
        except (TimeoutError, httpx.TimeoutException):
            return _failed(f"no answer within {self._timeout:g} s", started)
        except httpx.ConnectError as exc:
            return _failed(_short(f"could not connect: {exc}"), started)
        except httpx.HTTPError as exc:  # the connection broke, the answer was not HTTP…
            return _failed(_short(f"{type(exc).__name__}: {exc}"), started)
        duration_ms = _since(started)
        if 300 <= status < 400:
            error = "answered with a redirect, which is not followed"
            return WebhookResult(status_code=status, error=error, duration_ms=duration_ms)
        return WebhookResult(status_code=status, error=None, duration_ms=duration_ms)

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    def _headers(self, *, secrets: list[str], message_id: str, at: datetime, body: bytes) -> dict[str, str]:
        if not secrets:
            raise ValueError("no secret")
        # The library reads `at` as UTC whatever its zone (it replaces tzinfo): hand it UTC.
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        data = body.decode("utf-8")
        signatures = [Webhook(secret).sign(message_id, at, data) for secret in secrets]
        return {
            "content-type": "application/json",
            "user-agent": self._user_agent,
            "webhook-id": message_id,
            "webhook-timestamp": str(math.floor(at.timestamp())),
            "webhook-signature": " ".join(signatures),
        }

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self._timeout,
                follow_redirects=False,  # a redirect could lead anywhere, past check_target
                # No proxy or .netrc credentials from the environment on requests to tenants' URLs.
                trust_env=False,
                # No cookies kept: one tenant's receiver must not set what another's requests carry.
                cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            )
        return self._client


def _failed(error: str, started: float | None = None) -> WebhookResult:
    return WebhookResult(status_code=None, error=error, duration_ms=0 if started is None else _since(started))


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _short(text: str) -> str:
    return text if len(text) <= _MAX_ERROR_LENGTH else text[: _MAX_ERROR_LENGTH - 1] + "…"
