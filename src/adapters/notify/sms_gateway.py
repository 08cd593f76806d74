"""Sending text messages through an HTTP gateway: the installation's own, or a thin relay to a provider.

The contract is deliberately small, so any provider can sit behind a few lines of glue:

    POST <UNDERSIGN_SMS_URL>
    Authorization: Bearer <UNDERSIGN_SMS_TOKEN>      (when a token is set)
    Content-Type: application/json

    {"to": "+41791234567", "text": "...", "message_id": "..."}

Any 2xx answer means the gateway took the message; anything else (a refusal, an error, a
redirect, no answer in time) is SmsUnavailable, and the caller may try again with the same
message_id. The text carries a one-time code, so neither it nor the token is ever logged or
put in an error; a log line names the gateway's host, the message id and the status.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx
import structlog

from undersign.adapters.notify.smtp import is_loopback
from undersign.application.shared.errors import SmsUnavailable
from undersign.application.shared.messages import SmsMessage

DEFAULT_TIMEOUT_SECONDS = 10.0
USER_AGENT = "Undersign-SMS/1"

log = structlog.get_logger("undersign.sms")


def check_gateway_url(url: str, *, has_token: bool = False) -> str:
    """`url` if it is an http(s) URL of a gateway; ValueError saying what is wrong otherwise.

    A token is refused over plain http to anything but this machine: it would cross the
    network readable. Error messages never repeat the URL, which may carry a key in its query.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError("the SMS gateway URL is not a URL (or its port is not a number from 1 to 65535)") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"the SMS gateway URL must start with http:// or https://, not {scheme or 'nothing'!r}")
    if not parts.hostname:
        raise ValueError("the SMS gateway URL names no host")
    if port == 0:
        raise ValueError("the SMS gateway URL's port must be a number from 1 to 65535")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the SMS gateway URL takes no user name or password: set UNDERSIGN_SMS_TOKEN instead")
    if parts.fragment:
        raise ValueError("the SMS gateway URL takes no fragment")
    if has_token and scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError("the SMS gateway URL would send its token unencrypted: use https://")
    return url


def check_token(token: str) -> str:
    """`token` if it can go into an Authorization header as it is; ValueError otherwise (never repeating it)."""
    if not token or not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        raise ValueError("the SMS gateway token must be printable ASCII without spaces")
    return token


class HttpSmsGateway:
    """An SmsSender that POSTs each message to the gateway, one connection per message.

    Codes are asked for seconds or hours apart: a fresh connection each time keeps nothing
    open between them and leaves nothing to close at shutdown.
    """

    def __init__(self, url: str, token: str | None, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self._url = check_gateway_url(url, has_token=token is not None)
        self._token = check_token(token) if token is not None else None
        if not timeout_seconds > 0:
            raise ValueError("the SMS gateway timeout must be more than 0 seconds")
        self._timeout = timeout_seconds
        parts = urlsplit(self._url)
        self._address = parts.netloc  # host[:port], for messages: no path or query, which may hold a key

    def __repr__(self) -> str:
        return f"HttpSmsGateway({self._address!r})"

    async def send(self, message: SmsMessage) -> None:
        headers = {"user-agent": USER_AGENT, "accept": "application/json"}
        if self._token is not None:
            headers["authorization"] = f"Bearer {self._token}"
        body = {"to": message.to, "text": message.text, "message_id": message.message_id}
        try:
            # httpx's timeout applies to each step; this one bounds the whole exchange, so a
            # gateway trickling its answer cannot hold the caller (a signer waiting for a code).
            async with asyncio.timeout(self._timeout):
                async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False, trust_env=False) as client:
                    # Streamed and never read: the status is the answer, and a body could be large.
                    async with client.stream("POST", self._url, json=body, headers=headers) as response:
                        status = response.status_code
        except (TimeoutError, httpx.TimeoutException):
            self._refused(message, status=None, reason="timeout")
            raise SmsUnavailable(f"the SMS gateway {self._address} did not answer within {self._timeout:g} s") from None
        except httpx.HTTPError as error:  # refused connection, unknown host, TLS failure, broken answer
            self._refused(message, status=None, reason=type(error).__name__)
            raise SmsUnavailable(
                f"the SMS gateway {self._address} could not be reached ({type(error).__name__})"
            ) from None
        if not 200 <= status < 300:
            self._refused(message, status=status, reason="status")
            raise SmsUnavailable(f"the SMS gateway {self._address} did not take the message: it answered {status}")
        log.info(
            "text message handed to the gateway", gateway=self._address, message_id=message.message_id, status=status
        )

    def _refused(self, message: SmsMessage, *, status: int | None, reason: str) -> None:
        log.warning(
            "the SMS gateway did not take a text message",
            gateway=self._address, message_id=message.message_id, status=status, reason=reason,
        )  # fmt: skip
