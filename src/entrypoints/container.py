"""The composition root: the one place that decides which adapter serves which port."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from dependency_injector import containers, providers
from sqlalchemy.ext.asyncio import async_sessionmaker

from undersign.adapters.identity.oidc_tokens import OidcTokenVerifier
from undersign.adapters.identity.passwords import Argon2PasswordHasher
from undersign.adapters.identity.recovery_codes import Sha256RecoveryCodes
from undersign.adapters.identity.totp import PyOtpTotpCodes
from undersign.adapters.notify.code_messages import JinjaCodeMessages
from undersign.adapters.notify.file_mailer import FileMailer
from undersign.adapters.notify.file_sms import FileSmsSender
from undersign.adapters.notify.sms_gateway import HttpSmsGateway
from undersign.adapters.notify.smtp import SmtpMailer, parse_smtp_url
from undersign.adapters.notify.templates import JinjaNoticeTemplates
from undersign.adapters.queue.arq_queue import ArqJobQueue
from undersign.adapters.signing.assembly import configured_pdf_signer
from undersign.adapters.signing.certificate_lifetimes import (
    CertificateNotValid,
    EndingCertificate,
    check_certificate_lifetimes,
)
from undersign.adapters.signing.completion_certificate import ReportLabCompletionCertificateRenderer
from undersign.adapters.signing.dev_pki import (
    DEV_OCSP_URL,
    DEV_ORGANIZATION,
    DEV_SIGNER_POLICY,
    ROOT_CERT_FILE,
    DevPki,
    load_or_create_dev_pki,
    tsa_at,
)
from undersign.adapters.signing.issuing_ca import CRL_PATH, OCSP_PATH, IssuingCa, IssuingCaError, PublicationPoints
from undersign.adapters.signing.keys.base import SealKey, SealKeyError
from undersign.adapters.signing.keys.config import DevSealKeySpec
from undersign.adapters.signing.keys.factory import seal_key_from
from undersign.adapters.signing.keys.local import dev_issuing_key
from undersign.adapters.signing.pdf_inspector import PyHankoPdfInspector
from undersign.adapters.signing.revocation_publisher import CaRevocationPublisher
from undersign.adapters.signing.sandbox import PdfSandbox
from undersign.adapters.signing.seal_first import SealFirstPdfSigner
from undersign.adapters.signing.trust import TrustAnchorError, load_trust_anchors
from undersign.adapters.signing.verification import PyHankoPdfVerifier
from undersign.adapters.sql.engine import create_engine
from undersign.adapters.sql.idempotency_keys import SqlIdempotencyKeys
from undersign.adapters.sql.job_store import SqlJobStore
from undersign.adapters.sql.recorded_blobs import SqlRecordedBlobs
from undersign.adapters.sql.repositories.people import SqlOneTimeIds
from undersign.adapters.sql.unit_of_work import sql_unit_of_work_factory
from undersign.adapters.storage.alarmed import AlarmedBlobStore
from undersign.adapters.storage.locations import open_blob_store
from undersign.adapters.system import cpu_affinity
from undersign.adapters.system.clock import SystemClock
from undersign.adapters.system.identifiers import TokenGenerator, UuidGenerator
from undersign.adapters.system.secret_key import secret_key
from undersign.adapters.throttling.memory import MemoryRateLimiter
from undersign.adapters.throttling.redis import RedisRateLimiter
from undersign.adapters.throttling.shared_file import SharedFileRateLimiter
from undersign.adapters.webhooks.sender import HttpWebhookSender
from undersign.application.access.throttling import RateLimiter, ThrottleLimits
from undersign.application.background.job_runner import RetryPolicy
from undersign.application.bootstrap import Config, UseCases
from undersign.application.evidence.corruption import CorruptionReports
from undersign.application.storage.check import CheckStorage

if TYPE_CHECKING:
    from undersign.adapters.identity.sign_in_providers import OidcProvider, SamlProvider
from undersign.application.shared.jobs import JobQueue
from undersign.application.shared.messages import Mailer, SmsSender
from undersign.application.shared.ports import Clock
from undersign.domain.web_session import SessionTimeouts
from undersign.entrypoints.evidence_formats import ApiEvidenceFormats
from undersign.entrypoints.settings import Settings, SettingsError
from undersign.entrypoints.worker.doorbell import Doorbell, LaneDoorbells
from undersign.entrypoints.worker.embedded import EmbeddedRunner


def development_pki(settings: Settings, clock: SystemClock) -> DevPki:
    pki, created = load_or_create_dev_pki(settings.pki_dir, clock.now())
    log = structlog.get_logger("undersign.pki")
    message = "DEVELOPMENT CA in use: signatures are not trusted outside this installation. Never use it in production."
    log.warning(message, created=created, directory=str(settings.pki_dir))
    return pki


def trust_anchor_files(settings: Settings) -> tuple[Path, ...]:
    """UNDERSIGN_TRUST_ROOTS, or else the development root (what the embedded default signs under)."""
    return settings.trust_roots or (settings.pki_dir / ROOT_CERT_FILE,)


def platform_seal_key(settings: Settings, pki: DevPki) -> SealKey:
    """The platform seal's key as UNDERSIGN_SEAL_KEY says; a SettingsError if it cannot be used."""
    try:
        key = seal_key_from(settings.seal_key, dev_pki=pki)
    except SealKeyError as error:
        raise SettingsError(f"UNDERSIGN_SEAL_KEY: {error}") from error
    structlog.get_logger("undersign.seal").info(
        "platform seal key loaded",
        kind=type(key).__name__,
        subject=key.certificate.subject.rfc4514_string(),
        not_after=key.certificate.not_valid_after_utc.isoformat(),
    )
    return key


def signers_issuing_ca(settings: Settings, pki: DevPki) -> IssuingCa:
    """The CA that issues signers' certificates (UNDERSIGN_SIGNER_CA) and publishes their status under /pki.

    The development CA by default. The operator's own must chain to UNDERSIGN_TRUST_ROOTS and
    name its certificate policy, or the start stops with one line saying so.
    """
    if isinstance(settings.signer_ca, DevSealKeySpec):
        return IssuingCa(
            dev_issuing_key(pki),
            publication=PublicationPoints(ocsp_url=DEV_OCSP_URL),
            policy=settings.signer_certificate_policy or DEV_SIGNER_POLICY,
            organization=DEV_ORGANIZATION,
        )
    if settings.signer_certificate_policy is None:
        raise SettingsError("UNDERSIGN_SIGNER_CA needs UNDERSIGN_SIGNER_CERTIFICATE_POLICY: the policy your CA issues under")
    try:
        ca = IssuingCa(
            seal_key_from(settings.signer_ca),
            publication=PublicationPoints(
                ocsp_url=f"{settings.public_url}{OCSP_PATH}", crl_url=f"{settings.public_url}{CRL_PATH}"
            ),
            policy=settings.signer_certificate_policy,
        )
    except (SealKeyError, IssuingCaError) as error:
        raise SettingsError(f"UNDERSIGN_SIGNER_CA: {error}") from error
    try:
        roots = load_trust_anchors(settings.trust_roots)
    except TrustAnchorError as error:
        raise SettingsError(f"UNDERSIGN_TRUST_ROOTS: {error}") from error
    if not ca.chains_to(roots):
        raise SettingsError(
            f"UNDERSIGN_SIGNER_CA: {ca.certificate.subject.rfc4514_string()} does not chain to any of "
            "UNDERSIGN_TRUST_ROOTS: put its root there (and its intermediates in the PKCS#12 file or on the token)"
        )
    structlog.get_logger("undersign.pki").info(
        "signers' issuing CA loaded",
        subject=ca.certificate.subject.rfc4514_string(),
        not_after=ca.certificate.not_valid_after_utc.isoformat(),
    )
    return ca


def own_signer_ca(settings: Settings, ca: IssuingCa) -> IssuingCa | None:
    """The operator's issuing CA for the PDF signer; None for the development CA, which the signer knows itself."""
    return None if isinstance(settings.signer_ca, DevSealKeySpec) else ca


def check_signing_certificates(
    settings: Settings, pki: DevPki, seal: SealKey, signer_ca: IssuingCa, clock: Clock
) -> list[EndingCertificate]:
    """A warning for each certificate signing needs that ends within 90 days (those are returned); a SettingsError
    naming one that has ended."""
    now = clock.now()
    certificates = {"the platform seal": seal.certificate, "the signers' issuing CA": signer_ca.certificate}
    if not settings.tsa_urls:  # remote TSAs show their certificates only in their answers
        certificates["the development time-stamping authority"] = tsa_at(pki, now).certificate
    try:
        ending = check_certificate_lifetimes(certificates, now)
    except CertificateNotValid as error:
        raise SettingsError(f"{error}: nothing can be signed or sealed until it is replaced") from error
    log = structlog.get_logger("undersign.pki")
    for certificate in ending:
        log.warning(
            "certificate ends soon: replace it before then, or signing and sealing stop",
            role=certificate.role, subject=certificate.subject,
            not_after=certificate.not_after.isoformat(), days_left=certificate.days_left(now),
        )
    return ending


def ready_to_sign(container: Container) -> None:
    """Load the PKI, the seal key and the signer, and check their certificates' lifetimes.

    Called when a process that signs starts (serve, worker), so a wrong key or an expired
    certificate stops it with one line instead of failing every signature and seal job.
    """
    container.gateways.pdf_signer()
    container.gateways.signing_certificates()  # once per process: `serve` asks before the app starts, the app again


def job_queue(settings: Settings, store: SqlJobStore) -> JobQueue:
    """arq on Redis when UNDERSIGN_REDIS_URL is set; else the database, for the runner inside `serve`."""
    return store if settings.redis_url is None else ArqJobQueue(settings.redis_url)


def mailer(settings: Settings) -> Mailer:
    """SMTP when UNDERSIGN_SMTP_URL is set; else each mail is written to a file under the data directory."""
    if settings.smtp_url is None:
        structlog.get_logger("undersign.mail").warning(
            "no UNDERSIGN_SMTP_URL: emails are written to files, not sent", directory=str(settings.mail_dir)
        )
        return FileMailer(settings.mail_dir, settings.mail_from)
    try:
        smtp = parse_smtp_url(settings.smtp_url)
    except ValueError as error:
        raise SettingsError(f"UNDERSIGN_SMTP_URL: {error}") from None
    return SmtpMailer(smtp, settings.mail_from)


def sms_sender(settings: Settings) -> SmsSender:
    """The HTTP gateway when UNDERSIGN_SMS_URL is set; else each text message is written to a file under the data directory."""
    if settings.sms_url is None:
        structlog.get_logger("undersign.sms").warning(
            "no UNDERSIGN_SMS_URL: text messages are written to files, not sent", directory=str(settings.sms_dir)
        )
        return FileSmsSender(settings.sms_dir)
    return HttpSmsGateway(settings.sms_url, settings.sms_token, settings.sms_timeout_seconds)


def rate_limiter(settings: Settings, clock: Clock) -> RateLimiter:
    """Throttling counts every API process shares: in Redis when UNDERSIGN_REDIS_URL is set, else in a file
    under the data directory when there are several; one process alone keeps them in its memory."""
    if settings.redis_url is not None:
        return RedisRateLimiter(settings.redis_url)
    if settings.api_processes > 1:
        return SharedFileRateLimiter(settings.data_dir / "throttle.sqlite3", clock)
    return MemoryRateLimiter(clock)


def throttle_limits(settings: Settings) -> ThrottleLimits:
    return ThrottleLimits(
        auth_failures=settings.throttle_auth_failures, token_failures=settings.throttle_token_failures,
        window_seconds=settings.throttle_window_seconds, tenant_requests_per_minute=settings.tenant_requests_per_minute,
    )


def bearer_tokens(settings: Settings) -> OidcTokenVerifier | None:
    return OidcTokenVerifier(settings.oidc_issuers) if settings.oidc_issuers else None


def sign_in_providers(settings: Settings, one_time_ids: SqlOneTimeIds) -> list[OidcProvider | SamlProvider]:
    """The identity providers people sign in with: UNDERSIGN_OIDC_SIGN_IN's, then UNDERSIGN_SAML_PROVIDERS'.
    (Imported only when some are configured: pysaml2 alone takes a second to import, which every
    CLI command would pay.)"""
    if not settings.oidc_sign_in and not settings.saml_providers:
        return []
    from undersign.adapters.identity.oidc_sign_in import OidcSignIn
    from undersign.adapters.identity.saml import SamlServiceProvider
    from undersign.adapters.identity.sign_in_providers import OidcProvider, SamlProvider

    oidc = [
        OidcProvider(OidcSignIn(provider), public_url=settings.public_url, one_time_ids=one_time_ids)
        for provider in settings.oidc_sign_in
    ]
    saml = [SamlProvider(SamlServiceProvider(provider, one_time_ids=one_time_ids)) for provider in settings.saml_providers]
    return [*oidc, *saml]


def signer_sign_in(settings: Settings, one_time_ids: SqlOneTimeIds) -> OidcProvider | None:
    """The provider recipients sign in with when their policy asks (UNDERSIGN_SIGNER_OIDC_PROVIDER), back at
    /sign/oidc/callback; None when none is named."""
    if settings.signer_oidc_provider is None:
        return None
    from undersign.adapters.identity.oidc_sign_in import OidcSignIn
    from undersign.adapters.identity.sign_in_providers import SIGNER_CALLBACK_PATH, OidcProvider

    (provider,) = [p for p in settings.oidc_sign_in if p.name == settings.signer_oidc_provider]
    return OidcProvider(
        OidcSignIn(provider), public_url=settings.public_url, one_time_ids=one_time_ids,
        callback_path=SIGNER_CALLBACK_PATH,
    )


def config(settings: Settings) -> Config:
    return Config(
        signing_link_ttl=settings.signing_link_ttl, public_url=settings.public_url, mail_domain=settings.mail_domain,
        mail_max_attachment_bytes=settings.mail_max_attachment_bytes,
        retry=RetryPolicy(max_attempts=settings.job_max_attempts, base=timedelta(seconds=settings.job_retry_base_seconds)),
        job_timeout_seconds=settings.job_timeout_seconds, throttle=throttle_limits(settings), random_fraction=random.random,
        session_timeouts=SessionTimeouts(
            idle=timedelta(minutes=settings.session_idle_minutes), absolute=timedelta(hours=settings.session_max_hours)
        ),
    )


class ContainerPorts:
    """The containers' adapters, read as application.bootstrap.Ports: each made when first read."""

    def __init__(self, core: Core, gateways: Gateways) -> None:
        self._core, self._gateways = core, gateways

    unit_of_work = property(lambda self: self._gateways.unit_of_work())
    clock = property(lambda self: self._core.clock())
    ids = property(lambda self: self._core.ids())
    secrets = property(lambda self: self._core.secrets())
    pdf_inspector = property(lambda self: self._gateways.pdf_inspector())
    pdf_signer = property(lambda self: self._gateways.pdf_signer())
    pdf_verifier = property(lambda self: self._gateways.pdf_verifier())
    certificate_renderer = property(lambda self: self._gateways.certificate_renderer())
    evidence_formats = property(lambda self: self._gateways.evidence_formats())
    idempotency_keys = property(lambda self: self._gateways.idempotency_keys())
    job_queue = property(lambda self: self._gateways.job_queue())
    mailer = property(lambda self: self._gateways.mailer())
    notice_templates = property(lambda self: self._gateways.notice_templates())
    webhook_sender = property(lambda self: self._gateways.webhook_sender())
    rate_limiter = property(lambda self: self._gateways.rate_limiter())
    revocation_publisher = property(lambda self: self._gateways.revocation_publisher())
    sign_in_providers = property(lambda self: self._gateways.sign_in_providers())
    bearer_tokens = property(lambda self: self._gateways.bearer_tokens())
    password_hasher = property(lambda self: self._gateways.password_hasher())
    totp_codes = property(lambda self: self._gateways.totp_codes())
    recovery_codes = property(lambda self: self._gateways.recovery_codes())
    one_time_ids = property(lambda self: self._gateways.one_time_ids())
    sms_sender = property(lambda self: self._gateways.sms_sender())
    code_messages = property(lambda self: self._gateways.code_messages())
    signer_sign_in = property(lambda self: self._gateways.signer_sign_in())


def embedded_runner(
    settings: Settings, use_cases: UseCases, store: SqlJobStore, clock: Clock, outbox_doorbell: Doorbell,
    lane_doorbells: LaneDoorbells,
) -> EmbeddedRunner:
    return EmbeddedRunner(
        use_cases.dispatcher, store, use_cases.job_runner, use_cases.schedules, clock,
        job_timeout_seconds=settings.job_timeout_seconds, schedule_every=settings.schedule_every,
        outbox_doorbell=outbox_doorbell, lane_doorbells=lane_doorbells,
    )


class Core(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidGenerator)
    secrets = providers.Singleton(TokenGenerator)


class Gateways(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()
    engine = providers.Singleton(
        create_engine,
        core.settings.provided.database_url,
        pool_size=core.settings.provided.db_pool_size,
        max_overflow=core.settings.provided.db_max_overflow,
        pool_timeout=core.settings.provided.db_pool_timeout,
        connect_timeout=core.settings.provided.db_connect_timeout,
        statement_timeout_ms=core.settings.provided.db_statement_timeout_ms,
    )
    sessions = providers.Singleton(async_sessionmaker, engine, expire_on_commit=False)
    stored_blobs = providers.Singleton(
        open_blob_store, core.settings.provided.blob_location, core.settings.provided.blob_fallback_url,
        core.settings.provided.scratch_dir,
    )
    # Corrupted blobs are recorded through a unit of work of their own, over the store itself.
    corruption_reports = providers.Singleton(
        CorruptionReports, providers.Singleton(sql_unit_of_work_factory, sessions, stored_blobs), core.clock
    )
    blobs = providers.Singleton(AlarmedBlobStore, stored_blobs, corruption_reports)
    recorded_blobs = providers.Singleton(SqlRecordedBlobs, sessions)
    # Rung by this process's writes, so that its background loops take them up at once.
    outbox_doorbell = providers.Singleton(Doorbell)
    lane_doorbells = providers.Singleton(LaneDoorbells)
    unit_of_work = providers.Singleton(sql_unit_of_work_factory, sessions, blobs, outbox_doorbell.provided.ring)
    idempotency_keys = providers.Singleton(SqlIdempotencyKeys, sessions)
    pki = providers.Singleton(development_pki, core.settings, core.clock)
    pdf_sandbox = providers.Singleton(PdfSandbox, core.settings.provided.pdf_limits, cpu_affinity.unpin_child)
    pdf_inspector = providers.Singleton(PyHankoPdfInspector, pdf_sandbox)
    seal_key = providers.Singleton(platform_seal_key, core.settings, pki)
    signer_ca = providers.Singleton(signers_issuing_ca, core.settings, pki)
    revocation_publisher = providers.Singleton(CaRevocationPublisher, signer_ca, core.clock.provided.now)
    signing_certificates = providers.Singleton(
        check_signing_certificates, core.settings, pki, seal_key, signer_ca, core.clock
    )
    pdf_signer = providers.Singleton(
        SealFirstPdfSigner,
        providers.Singleton(
            configured_pdf_signer,
            pki,
            tsa_urls=core.settings.provided.tsa_urls,
            trust_root_files=core.settings.provided.trust_roots,
            seal=seal_key,
            signer_ca=providers.Callable(own_signer_ca, core.settings, signer_ca),
            signer_certificate_policy=core.settings.provided.signer_certificate_policy,
        ),
    )
    pdf_verifier = providers.Singleton(
        PyHankoPdfVerifier, providers.Callable(trust_anchor_files, core.settings), pdf_sandbox
    )
    certificate_renderer = providers.Singleton(ReportLabCompletionCertificateRenderer)
    evidence_formats = providers.Singleton(ApiEvidenceFormats)  # the API's own JSON forms, in the evidence package
    job_store = providers.Singleton(SqlJobStore, sessions, core.clock, lane_doorbells.provided.ring)
    job_queue = providers.Singleton(job_queue, core.settings, job_store)
    mailer = providers.Singleton(mailer, core.settings)
    notice_templates = providers.Singleton(JinjaNoticeTemplates)
    sms_sender = providers.Singleton(sms_sender, core.settings)
    code_messages = providers.Singleton(JinjaCodeMessages)
    webhook_sender = providers.Singleton(HttpWebhookSender, allow_private=core.settings.provided.webhook_allow_private)
    rate_limiter = providers.Singleton(rate_limiter, core.settings, core.clock)
    secret_key = providers.Singleton(secret_key, core.settings.provided.secret_key, core.settings.provided.data_dir)
    one_time_ids = providers.Singleton(SqlOneTimeIds, sessions, core.clock)
    bearer_tokens = providers.Singleton(bearer_tokens, core.settings)
    sign_in_providers = providers.Singleton(sign_in_providers, core.settings, one_time_ids)
    signer_sign_in = providers.Singleton(signer_sign_in, core.settings, one_time_ids)
    password_hasher = providers.Singleton(Argon2PasswordHasher)
    totp_codes = providers.Singleton(PyOtpTotpCodes)
    recovery_codes = providers.Singleton(Sha256RecoveryCodes)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    core = providers.Container(Core, settings=settings)
    gateways = providers.Container(Gateways, core=core)
    # Every use case, wired by application.bootstrap as the tests wire them to fakes.
    use_cases = providers.Singleton(UseCases, providers.Factory(ContainerPorts, core, gateways), providers.Callable(config, settings))
    embedded_runner = providers.Singleton(
        embedded_runner, settings, use_cases, gateways.job_store, core.clock, gateways.outbox_doorbell,
        gateways.lane_doorbells,
    )
    # Operators' storage commands: they work on the store and the records directly, across tenants.
    check_storage = providers.Singleton(CheckStorage, gateways.recorded_blobs, gateways.blobs)


def build_container(settings: Settings) -> Container:
    return Container(settings=settings)


async def shutdown(container: Container) -> None:
    """Close what the container opened (only what it did open: shutting down starts nothing new)."""
    gateways = container.gateways
    await gateways.webhook_sender().aclose()
    queue = gateways.job_queue()
    if isinstance(queue, ArqJobQueue):
        await queue.close()
    if (verifier := gateways.bearer_tokens()) is not None:
        await verifier.aclose()
    for provider in [*gateways.sign_in_providers(), gateways.signer_sign_in()]:
        if (close := getattr(provider, "aclose", None)) is not None:  # the OIDC ones hold an HTTP client
            await close()
    limiter = gateways.rate_limiter()
    if isinstance(limiter, RedisRateLimiter):
        await limiter.aclose()
    if isinstance(limiter, SharedFileRateLimiter):
        limiter.close()
    await gateways.engine().dispose()
