"""Sending mail through an SMTP server (a relay, or a provider's submission service).

The server is configured with one URL:

    smtp://user:pass@host:587?starttls=true   submission, upgraded with STARTTLS
    smtps://user:pass@host:465                implicit TLS from the first byte
    smtp://host:25                            plain, for a relay on a trusted network

Credentials are percent-decoded (a password with "@" or "/" is written %40, %2F). Optional
query parameters: `starttls` (true/false; true by default on port 587 only) and `timeout`
(seconds for each step, 30 by default). The From address is configured separately.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from undersign.adapters.notify.message import build_message, parse_address
from undersign.application.shared.errors import MailUnavailable
from undersign.application.shared.messages import EmailMessage

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
SUBMISSION_PORT = 587
DEFAULT_TIMEOUT_SECONDS = 30.0
TRUE, FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpSettings:
    """Where and how to reach the mail server; the password never shows in a repr or a log line."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    implicit_tls: bool = False  # smtps: TLS from the first byte
    starttls: bool = False  # smtp: upgrade with STARTTLS, and fail if the server cannot
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @property
    def address(self) -> str:
        """host:port, for messages (IPv6 hosts in brackets)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpSettings:
    """The settings an smtp:// or smtps:// URL describes; ValueError saying what is wrong otherwise.

    Error messages never repeat the URL, which may hold a password.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"the mail server URL must start with smtp:// or smtps://, not {scheme or 'nothing'!r}")
    if not parts.hostname:
        raise ValueError("the mail server URL names no host")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError(
            "the mail server URL takes no path or fragment: only smtp[s]://[user:pass@]host[:port][?options]"
        )
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the mail server URL's port must be a number from 1 to 65535") from None
    if port == 0:
        raise ValueError("the mail server URL's port must be a number from 1 to 65535")
    port = port or DEFAULT_PORTS[scheme]

    options = _options(parts.query)
    starttls = _flag(options, "starttls", default=scheme == "smtp" and port == SUBMISSION_PORT)
    if scheme == "smtps" and "starttls" in options:
        raise ValueError("smtps:// is TLS from the start; starttls applies to smtp:// only")
    timeout = _timeout(options)

    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and username is None:
        raise ValueError("the mail server URL has a password but no user name")
    encrypted = scheme == "smtps" or starttls
    if username is not None and not encrypted and not is_loopback(parts.hostname):
        raise ValueError(
            "the mail server URL would send its credentials unencrypted: "
            "use smtps://, or smtp:// with ?starttls=true"
        )
    return SmtpSettings(
        host=parts.hostname, port=port, username=username, password=password,
        implicit_tls=scheme == "smtps", starttls=scheme == "smtp" and starttls, timeout_seconds=timeout,
    )  # fmt: skip


def _options(query: str) -> dict[str, str]:
    try:
        parsed = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ValueError("the mail server URL's options are not a query string (?starttls=true&timeout=30)") from None
    unknown = sorted(set(parsed) - {"starttls", "timeout"})
    if unknown:
        raise ValueError(f"unknown mail server URL option(s): {', '.join(unknown)} (known: starttls, timeout)")
    repeated = sorted(name for name, values in parsed.items() if len(values) > 1)
    if repeated:
        raise ValueError(f"mail server URL option(s) given twice: {', '.join(repeated)}")
    return {name: values[0] for name, values in parsed.items()}


def _flag(options: dict[str, str], name: str, *, default: bool) -> bool:
    value = options.get(name)
    if value is None:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise ValueError(f"the mail server URL option {name} must be true or false, not {value!r}")


def _timeout(options: dict[str, str]) -> float:
    value = options.get("timeout")
    if value is None:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (0 < seconds <= 600):
        raise ValueError(f"the mail server URL option timeout must be a number of seconds from 0 to 600, not {value!r}")
    return seconds


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine: a credential may travel to it unencrypted."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SmtpMailer:
    """A Mailer that hands each message to the SMTP server, one connection per message.

    A new connection each time keeps nothing open between notifications (which are
    background jobs, seconds or hours apart) and nothing to repair after a server restart.
    """

    def __init__(self, settings: SmtpSettings, from_address: str) -> None:
        parse_address(from_address)  # a bad address fails at start-up, not at the first notification
        self._settings, self._from_address = settings, from_address

    async def send(self, message: EmailMessage) -> None:
        mime = build_message(message, from_address=self._from_address)
        settings = self._settings
        try:
            await aiosmtplib.send(
                mime,
                sender=mime["From"].addresses[0].addr_spec,
                recipients=[mime["To"].addresses[0].addr_spec],
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password,
                use_tls=settings.implicit_tls,
                start_tls=settings.starttls,
                timeout=settings.timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            # OSError covers a refused connection, an unknown host and a TLS failure;
            # aiosmtplib's timeouts are both. The server's words are kept, never our password.
            raise MailUnavailable(
                f"the mail server {settings.address} did not take the message: {self._describe(error)}"
            ) from error

    def _describe(self, error: BaseException) -> str:
        text = str(error) or type(error).__name__
        password = self._settings.password
        return text.replace(password, "***") if password else text
