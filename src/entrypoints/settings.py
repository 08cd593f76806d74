"""Configuration from the environment (UNDERSIGN_*), twelve-factor style."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from undersign.adapters.identity.saml_settings import SamlProviderSettings, saml_providers_from_env
from undersign.adapters.identity.settings import IssuerConfig, oidc_issuers_from_env
from undersign.adapters.identity.sign_in_settings import SignInProvider, sign_in_providers_from_env
from undersign.adapters.notify.sms_gateway import check_gateway_url, check_token
from undersign.adapters.signing.keys.config import DevSealKeySpec, SealKeySpec, parse_seal_key_spec
from undersign.adapters.signing.sandbox import MiB, PdfLimits
from undersign.adapters.storage.locations import check_blob_url, file_root


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    data_dir: Path
    database_url: str
    public_url: str
    signing_link_ttl: timedelta
    max_upload_bytes: int
    log_json: bool | None
    log_level: str
    db_pool_size: int
    db_max_overflow: int
    db_pool_timeout: float
    db_connect_timeout: float
    db_statement_timeout_ms: int  # 0: no limit
    trust_roots: tuple[Path, ...] = ()  # certificate files; none: the development root under data_dir
    tsa_urls: tuple[str, ...] = ()  # RFC 3161 TSAs, tried in order; none: the development TSA
    signer_certificate_policy: str | None = None  # the OID signers' certificates name; none: the development CA's
    seal_key: SealKeySpec = DevSealKeySpec()  # where the platform seal's key is; its secrets stay out of repr
    signer_ca: SealKeySpec = DevSealKeySpec()  # the CA that issues signers' certificates: its key, in the same forms
    redis_url: str | None = field(default=None, repr=False)  # may carry a password. Jobs go to arq workers (`undersign worker`); none: run in `serve` itself
    smtp_url: str | None = field(default=None, repr=False)  # may carry a password; none: mails written to mail_dir
    mail_from: str = "undersign@localhost"
    mail_max_attachment_bytes: int = 10 * 1024 * 1024
    sms_url: str | None = field(default=None, repr=False)  # the SMS gateway (http[s]); none: text messages written to sms_dir
    sms_token: str | None = field(default=None, repr=False)  # sent to the gateway as a bearer token; never logged
    sms_timeout_seconds: float = 10.0
    webhook_allow_private: bool = False  # deliveries to loopback and private addresses (tests, internal receivers)
    job_max_attempts: int = 10
    job_retry_base_seconds: float = 10.0
    job_timeout_seconds: int = 300
    schedule_minutes: int = 5  # how often reminders and expiry are looked for
    # Throttling (0: off): failures allowed per client address / API key id in a window, and requests
    # per tenant and minute. Counted in this process, in a file the API processes share (api_processes
    # above one), or in Redis when redis_url is set.
    throttle_auth_failures: int = 20
    throttle_token_failures: int = 20
    throttle_window_seconds: int = 300
    tenant_requests_per_minute: int = 0
    api_processes: int = 1  # API processes sharing this data directory; `undersign serve --workers N` sets it for its own
    pin_cpu: bool = True  # each server process's threads on one CPU of their own (adapters/system/cpu_affinity.py)
    pdf_limits: PdfLimits = PdfLimits()  # how much work one uploaded or verified PDF may cause
    # Identity (docs/identity.md): issuers whose JWTs the API accepts; providers people sign in with.
    oidc_issuers: tuple[IssuerConfig, ...] = ()
    oidc_sign_in: tuple[SignInProvider, ...] = ()
    # The OIDC sign-in provider recipients pass when their policy asks for a sign-in; none: that method is refused.
    signer_oidc_provider: str | None = None
    saml_providers: tuple[SamlProviderSettings, ...] = ()
    # Seals what the server hands out to keep (a sign-in in progress); none: made once under data_dir.
    secret_key: str | None = field(default=None, repr=False)
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    # Sites allowed to frame an embedded signing session (their app authenticated the signer); none: no framing.
    signing_frame_ancestors: tuple[str, ...] = ()
    # Where documents are kept (UNDERSIGN_BLOB_URL): file:///path or s3://bucket/prefix?…; "": data_dir/blobs.
    blob_url: str = ""
    # The bearer token of the Prometheus scraper (GET /metrics); none: metrics are not served.
    metrics_token: str | None = field(default=None, repr=False)
    # While documents move to blob_url (UNDERSIGN_BLOB_FALLBACK_URL): where reads look for what is not there yet.
    blob_fallback_url: str = ""

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def sms_dir(self) -> Path:
        return self.data_dir / "sms"

    @property
    def mail_domain(self) -> str:
        """The domain of UNDERSIGN_MAIL_FROM: where Message-IDs are made."""
        return self.mail_from.partition("@")[2]

    @property
    def embedded_jobs(self) -> bool:
        """No Redis: `undersign serve` runs the background jobs itself."""
        return self.redis_url is None

    @property
    def schedule_every(self) -> timedelta:
        return timedelta(minutes=self.schedule_minutes)

    @property
    def blob_location(self) -> str:
        return self.blob_url or (self.data_dir / "blobs").as_uri()

    @property
    def scratch_dir(self) -> Path:
        """Local files a remote blob store works through (S3's checked copies and uploads in the making)."""
        return self.data_dir / "scratch"

    @property
    def blob_dir(self) -> Path:
        """The blob store's directory, when it is the file system's (ValueError for S3)."""
        return file_root(self.blob_location)

    @property
    def pki_dir(self) -> Path:
        return self.data_dir / "pki"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("UNDERSIGN_DATA_DIR", ".undersign")).resolve()
        return cls(
            data_dir=data_dir,
            database_url=env.get("UNDERSIGN_DATABASE_URL", f"sqlite+aiosqlite:///{data_dir / 'undersign.db'}"),
            public_url=env.get("UNDERSIGN_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            signing_link_ttl=timedelta(hours=_number(env, "UNDERSIGN_SIGNING_LINK_TTL_HOURS", 72)),
            max_upload_bytes=_number(env, "UNDERSIGN_MAX_UPLOAD_MB", 50) * 1024 * 1024,
            log_json={"json": True, "console": False}.get(env.get("UNDERSIGN_LOG_FORMAT", "")),
            log_level=env.get("UNDERSIGN_LOG_LEVEL", "INFO"),
            db_pool_size=_number(env, "UNDERSIGN_DB_POOL_SIZE", 10),
            db_max_overflow=_number(env, "UNDERSIGN_DB_MAX_OVERFLOW", 10, minimum=0),
            db_pool_timeout=_seconds(env, "UNDERSIGN_DB_POOL_TIMEOUT_SECONDS", 10.0),
            db_connect_timeout=_seconds(env, "UNDERSIGN_DB_CONNECT_TIMEOUT_SECONDS", 5.0),
            db_statement_timeout_ms=_number(env, "UNDERSIGN_DB_STATEMENT_TIMEOUT_MS", 30_000, minimum=0),
            trust_roots=tuple(
                Path(item.strip()).resolve() for item in env.get("UNDERSIGN_TRUST_ROOTS", "").split(",") if item.strip()
            ),
            tsa_urls=_urls(env, "UNDERSIGN_TSA_URLS"),
            signer_certificate_policy=_object_identifier(env, "UNDERSIGN_SIGNER_CERTIFICATE_POLICY"),
            seal_key=_key_spec(env, "UNDERSIGN_SEAL_KEY"),
            signer_ca=_key_spec(env, "UNDERSIGN_SIGNER_CA"),
            redis_url=_optional_url(env, "UNDERSIGN_REDIS_URL", ("redis://", "rediss://")),
            smtp_url=_optional_url(env, "UNDERSIGN_SMTP_URL", ("smtp://", "smtps://")),
            mail_from=_mail_from(env),
            mail_max_attachment_bytes=_number(env, "UNDERSIGN_MAIL_MAX_ATTACHMENT_MB", 10, minimum=0) * 1024 * 1024,
            **_sms(env),
            webhook_allow_private=_flag(env, "UNDERSIGN_WEBHOOK_ALLOW_PRIVATE"),
            job_max_attempts=_number(env, "UNDERSIGN_JOB_MAX_ATTEMPTS", 10),
            job_retry_base_seconds=_seconds(env, "UNDERSIGN_JOB_RETRY_BASE_SECONDS", 10.0),
            job_timeout_seconds=_number(env, "UNDERSIGN_JOB_TIMEOUT_SECONDS", 300),
            schedule_minutes=_schedule_minutes(env),
            throttle_auth_failures=_number(env, "UNDERSIGN_THROTTLE_AUTH_FAILURES", 20, minimum=0),
            throttle_token_failures=_number(env, "UNDERSIGN_THROTTLE_TOKEN_FAILURES", 20, minimum=0),
            throttle_window_seconds=_number(env, "UNDERSIGN_THROTTLE_WINDOW_SECONDS", 300),
            tenant_requests_per_minute=_number(env, "UNDERSIGN_TENANT_REQUESTS_PER_MINUTE", 0, minimum=0),
            api_processes=_number(env, "UNDERSIGN_API_PROCESSES", 1),
            pin_cpu=_flag(env, "UNDERSIGN_PIN_CPU", default=True),
            pdf_limits=_pdf_limits(env),
            signing_frame_ancestors=_frame_ancestors(env, "UNDERSIGN_SIGNING_FRAME_ANCESTORS"),
            blob_url=_blob_url(env, "UNDERSIGN_BLOB_URL"),
            blob_fallback_url=_blob_url(env, "UNDERSIGN_BLOB_FALLBACK_URL"),
            metrics_token=_metrics_token(env),
            **_identity(env),
        )


MIN_SECRET_KEY_LENGTH = 32


def _identity(env: dict[str, str]) -> dict[str, Any]:
    """The identity providers' settings (each parser's mistakes are one line naming the variable)."""
    secret_key = env.get("UNDERSIGN_SECRET_KEY") or None
    if secret_key is not None and len(secret_key) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError(f"UNDERSIGN_SECRET_KEY has at least {MIN_SECRET_KEY_LENGTH} characters (a random string)")
    try:
        providers = {
            "oidc_issuers": oidc_issuers_from_env(env),
            "oidc_sign_in": sign_in_providers_from_env(env),
            "saml_providers": saml_providers_from_env(env),
        }
    except ValueError as error:
        raise SettingsError(str(error)) from None
    signer_provider = env.get("UNDERSIGN_SIGNER_OIDC_PROVIDER") or None
    if signer_provider is not None and signer_provider not in {p.name for p in providers["oidc_sign_in"]}:
        raise SettingsError(
            f"UNDERSIGN_SIGNER_OIDC_PROVIDER names a provider of UNDERSIGN_OIDC_SIGN_IN, and none is called {signer_provider!r}"
        )
    return providers | {
        "signer_oidc_provider": signer_provider,
        "secret_key": secret_key,
        "session_idle_minutes": _number(env, "UNDERSIGN_SESSION_IDLE_MINUTES", 30),
        "session_max_hours": _number(env, "UNDERSIGN_SESSION_MAX_HOURS", 12),
    }


def _metrics_token(env: dict[str, str]) -> str | None:
    token = env.get("UNDERSIGN_METRICS_TOKEN") or None
    if token is not None and (len(token) < MIN_SECRET_KEY_LENGTH or not all("!" <= c <= "~" for c in token)):
        raise SettingsError(f"UNDERSIGN_METRICS_TOKEN has at least {MIN_SECRET_KEY_LENGTH} visible ASCII characters")
    return token


def _blob_url(env: dict[str, str], name: str) -> str:
    url = env.get(name, "").strip()
    if url:
        try:
            check_blob_url(url)
        except ValueError as error:
            raise SettingsError(f"{name}: {error}") from None
    return url


def _number(env: dict[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {value}")
    return value


def _pdf_limits(env: dict[str, str]) -> PdfLimits:
    default = PdfLimits()
    return PdfLimits(
        max_pages=_number(env, "UNDERSIGN_PDF_MAX_PAGES", default.max_pages),
        max_objects=_number(env, "UNDERSIGN_PDF_MAX_OBJECTS", default.max_objects),
        seconds=_seconds(env, "UNDERSIGN_PDF_PARSE_SECONDS", default.seconds),
        memory_bytes=_number(env, "UNDERSIGN_PDF_PARSE_MEMORY_MB", default.memory_bytes // MiB) * MiB,
        concurrency=_number(env, "UNDERSIGN_PDF_PARSE_CONCURRENCY", default.concurrency),
    )


# X.660: a first arc of 0, 1 or 2; under 0 and 1 a second arc below 40; no leading zeros.
_OBJECT_IDENTIFIER = re.compile(r"(?:[01]\.(?:[0-9]|[1-3][0-9])|2\.(?:0|[1-9][0-9]*))(?:\.(?:0|[1-9][0-9]*))*")


def _object_identifier(env: dict[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not _OBJECT_IDENTIFIER.fullmatch(raw) or len(raw) > 200:
        raise SettingsError(f"{name} must be an object identifier in dotted form, like 1.3.6.1.4.1.55555.1.1, not {raw!r}")
    return raw


def _urls(env: dict[str, str], name: str) -> tuple[str, ...]:
    urls = tuple(item.strip() for item in env.get(name, "").split(",") if item.strip())
    for url in urls:
        if not url.startswith(("http://", "https://")) or len(url) <= len("https://"):
            raise SettingsError(f"{name} must list http:// or https:// URLs separated by commas, not {url!r}")
    return urls


# An origin as a CSP source: https, a host (letters, digits, dots, dashes; "*." first allowed), maybe a port.
_HTTPS_ORIGIN = re.compile(r"https://(?:\*\.)?[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::[0-9]{1,5})?")


def _frame_ancestors(env: dict[str, str], name: str) -> tuple[str, ...]:
    """Origins that go into a Content-Security-Policy header as they are: anything else (a path, a
    quote, a semicolon that would start a directive of its own) is refused here."""
    origins = tuple(env.get(name, "").split())
    for origin in origins:
        if not _HTTPS_ORIGIN.fullmatch(origin):
            raise SettingsError(f"{name} lists https origins separated by spaces, like https://app.example.com, not {origin!r}")
    return origins


def _key_spec(env: dict[str, str], name: str) -> SealKeySpec:
    """Where a key is kept, from `name` (dev, pkcs12:, pkcs11:) and its `name`_PASSWORD and `name`_PIN."""
    try:
        return parse_seal_key_spec(
            env.get(name), password=env.get(f"{name}_PASSWORD"), pin=env.get(f"{name}_PIN"), pin_setting=f"{name}_PIN"
        )
    except ValueError as error:
        raise SettingsError(f"{name} {error}") from None


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 < value < math.inf:
        raise SettingsError(f"{name} must be more than 0 seconds, not {raw!r}")
    return value


def _optional_url(env: dict[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    url = env.get(name, "").strip()
    if not url:
        return None
    if not url.startswith(schemes):
        raise SettingsError(f"{name} must start with {' or '.join(schemes)}")
    return url


def _sms(env: dict[str, str]) -> dict[str, Any]:
    """The SMS gateway's URL, token and timeout; a token without a URL is a mistake, not a default."""
    url = env.get("UNDERSIGN_SMS_URL", "").strip() or None
    token = env.get("UNDERSIGN_SMS_TOKEN", "").strip() or None
    if token is not None:
        if url is None:
            raise SettingsError("UNDERSIGN_SMS_TOKEN is set but UNDERSIGN_SMS_URL is not")
        try:
            check_token(token)
        except ValueError as error:  # never repeating the token
            raise SettingsError(f"UNDERSIGN_SMS_TOKEN: {error}") from None
    if url is not None:
        try:
            check_gateway_url(url, has_token=token is not None)
        except ValueError as error:
            raise SettingsError(f"UNDERSIGN_SMS_URL: {error}") from None
    return {
        "sms_url": url, "sms_token": token,
        "sms_timeout_seconds": _seconds(env, "UNDERSIGN_SMS_TIMEOUT_SECONDS", 10.0),
    }  # fmt: skip


def _flag(env: dict[str, str], name: str, *, default: bool = False) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _mail_from(env: dict[str, str]) -> str:
    address = env.get("UNDERSIGN_MAIL_FROM", "undersign@localhost").strip()
    local, at, domain = address.partition("@")
    if not (local and at and domain) or any(c.isspace() or c in "<>\"" for c in address):
        raise SettingsError(f"UNDERSIGN_MAIL_FROM must be a bare address like signing@example.com, not {address!r}")
    return address


def _schedule_minutes(env: dict[str, str]) -> int:
    minutes = _number(env, "UNDERSIGN_SCHEDULE_MINUTES", 5)
    if 60 % minutes:  # the arq cron runs at fixed minutes of each hour
        raise SettingsError(f"UNDERSIGN_SCHEDULE_MINUTES must divide an hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60), not {minutes}")
    return minutes
