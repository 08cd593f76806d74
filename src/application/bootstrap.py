"""Every use case, wired once: the composition root and the tests both build them here.

The composition root (entrypoints/container.py) hands in the real adapters, the tests
(tests/fakes/platform.FakePlatform) the fakes; both get the same use cases wired the same way, so a
test cannot pass on a wiring production does not have. Each use case is made the first
time it is asked for, and with it only the adapters it needs: `undersign tenant create`
loads no PDF machinery.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Protocol

from undersign.application.access.api_keys import ApiKeys
from undersign.application.access.audit_log import TenantAuditQueries
from undersign.application.access.credential_ports import PasswordHasher, RecoveryCodes, TotpCodes
from undersign.application.access.idempotency import Idempotency
from undersign.application.access.identity_ports import BearerTokenVerifier, OneTimeIds, SignInProvider
from undersign.application.access.local_sign_ins import LocalSignIns
from undersign.application.access.ports import IdempotencyKeys
from undersign.application.access.sign_ins import SignIns
from undersign.application.access.tenants import Tenants
from undersign.application.access.throttling import RateLimiter, Throttle, ThrottleLimits
from undersign.application.access.users import Users
from undersign.application.background.dead_letters import DeadLetterOffice
from undersign.application.background.dispatch import Dispatcher
from undersign.application.background.job_runner import JobRunner, RetryPolicy
from undersign.application.background.schedules import Schedules
from undersign.application.envelopes.create import CreateEnvelopeHandler
from undersign.application.envelopes.documents import AddDocumentHandler
from undersign.application.envelopes.fields import PlaceFieldHandler
from undersign.application.envelopes.queries import EnvelopeQueries
from undersign.application.envelopes.recipients import AddSignerHandler, UnlockSignerHandler
from undersign.application.envelopes.send import SendEnvelopeHandler
from undersign.application.envelopes.signing_links import CreateSigningLinkHandler
from undersign.application.envelopes.void import VoidEnvelopeHandler
from undersign.application.evidence.completion_certificate import CompletionCertificateRenderer
from undersign.application.evidence.package import EvidenceFormats, EvidencePackages
from undersign.application.evidence.package_verification import VerifyEvidencePackageHandler
from undersign.application.evidence.stored_certificate import (
    CompletionCertificateMaker,
    CompletionCertificates,
    MakeCompletionCertificateJob,
)
from undersign.application.evidence.verification import PdfVerifier, VerifyPdfHandler
from undersign.application.notifications.ports import NoticeTemplates
from undersign.application.notifications.send_notice import SendNoticeHandler, SendNoticeJob
from undersign.application.policies.manage import Policies
from undersign.application.retention.legal_holds import LegalHolds
from undersign.application.retention.purge import Retention
from undersign.application.shared.envelope_turns import EnvelopeTurns
from undersign.application.shared.jobs import JobQueue
from undersign.application.shared.messages import CodeMessages, Mailer, SmsSender
from undersign.application.shared.pdf import PdfInspector, PdfSigner
from undersign.application.shared.ports import Clock, IdGenerator, SecretGenerator
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.application.signing.archive_renewal import RenewArchiveTimestampsHandler
from undersign.application.signing.certificate_revocations import CertificateRevocations
from undersign.application.signing.certificate_status import PublishedCertificateStatus, RevocationPublisher
from undersign.application.signing.decline import DeclineHandler
from undersign.application.signing.seal import SealEnvelopeHandler, SealEnvelopeJob
from undersign.application.signing.sessions import SigningSessions
from undersign.application.signing.sign import SignHandler
from undersign.application.signing.signer_authentication import SignerAuthentication
from undersign.application.webhooks.delivery import DeliverWebhookHandler, DeliverWebhookJob
from undersign.application.webhooks.endpoints import Webhooks
from undersign.application.webhooks.ports import WebhookSender
from undersign.domain.web_session import SessionTimeouts


class Ports(Protocol):
    """The adapters the use cases are built from. Read when a use case first needs one, so an
    implementation may make each when it is first read."""

    @property
    def unit_of_work(self) -> UnitOfWorkFactory: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def ids(self) -> IdGenerator: ...
    @property
    def secrets(self) -> SecretGenerator: ...
    @property
    def pdf_inspector(self) -> PdfInspector: ...
    @property
    def pdf_signer(self) -> PdfSigner: ...
    @property
    def pdf_verifier(self) -> PdfVerifier: ...
    @property
    def certificate_renderer(self) -> CompletionCertificateRenderer: ...
    @property
    def evidence_formats(self) -> EvidenceFormats: ...
    @property
    def idempotency_keys(self) -> IdempotencyKeys: ...
    @property
    def job_queue(self) -> JobQueue: ...
    @property
    def mailer(self) -> Mailer: ...
    @property
    def notice_templates(self) -> NoticeTemplates: ...
    @property
    def webhook_sender(self) -> WebhookSender: ...
    @property
    def rate_limiter(self) -> RateLimiter: ...
    @property
    def revocation_publisher(self) -> RevocationPublisher: ...
    @property
    def sign_in_providers(self) -> Sequence[SignInProvider]: ...
    @property
    def bearer_tokens(self) -> BearerTokenVerifier | None: ...
    @property
    def password_hasher(self) -> PasswordHasher: ...
    @property
    def totp_codes(self) -> TotpCodes: ...
    @property
    def recovery_codes(self) -> RecoveryCodes: ...
    @property
    def one_time_ids(self) -> OneTimeIds: ...
    @property
    def sms_sender(self) -> SmsSender: ...
    @property
    def code_messages(self) -> CodeMessages: ...
    @property
    def signer_sign_in(self) -> SignInProvider | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The settings the use cases take, whatever reads them (environment variables, a test)."""

    signing_link_ttl: timedelta
    public_url: str
    mail_domain: str
    mail_max_attachment_bytes: int
    retry: RetryPolicy
    job_timeout_seconds: float
    throttle: ThrottleLimits
    random_fraction: Callable[[], float]  # spreads job retries (random.random; a constant in tests)
    session_timeouts: SessionTimeouts = SessionTimeouts()


class UseCases:
    def __init__(self, ports: Ports, config: Config) -> None:
        self._ports, self._config = ports, config

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every use case's name, as the HTTP layer offers them to handlers (a parameter of that name)."""
        return tuple(name for name, member in vars(cls).items() if isinstance(member, cached_property))

    # -- envelopes ---------------------------------------------------------------------------

    @cached_property
    def create_envelope(self) -> CreateEnvelopeHandler:
        return CreateEnvelopeHandler(self._uow, self._ports.clock, self._ports.ids)

    @cached_property
    def add_document(self) -> AddDocumentHandler:
        return AddDocumentHandler(self._uow, self._ports.clock, self._ports.ids, self._ports.pdf_inspector)

    @cached_property
    def add_signer(self) -> AddSignerHandler:
        return AddSignerHandler(self._uow, self._ports.clock, self._ports.ids, self._ports.password_hasher)

    @cached_property
    def unlock_signer(self) -> UnlockSignerHandler:
        return UnlockSignerHandler(self._uow, self._ports.clock)

    @cached_property
    def place_field(self) -> PlaceFieldHandler:
        return PlaceFieldHandler(self._uow, self._ports.clock, self._ports.ids)

    @cached_property
    def send_envelope(self) -> SendEnvelopeHandler:
        return SendEnvelopeHandler(self._uow, self._ports.clock, self._ports.ids, self._ports.pdf_signer)

    @cached_property
    def void_envelope(self) -> VoidEnvelopeHandler:
        return VoidEnvelopeHandler(self._uow, self._ports.clock)

    @cached_property
    def envelope_queries(self) -> EnvelopeQueries:
        return EnvelopeQueries(self._uow)

    @cached_property
    def create_signing_link(self) -> CreateSigningLinkHandler:
        ports = self._ports
        return CreateSigningLinkHandler(
            self.envelope_turns, ports.clock, ports.ids, ports.secrets, self._config.signing_link_ttl
        )

    # -- policies ----------------------------------------------------------------------------

    @cached_property
    def policies(self) -> Policies:
        return Policies(self._uow, self._ports.clock, self._ports.ids)

    # -- retention ---------------------------------------------------------------------------

    @cached_property
    def legal_holds(self) -> LegalHolds:
        return LegalHolds(self._uow, self._ports.clock, turns=self.envelope_turns)

    @cached_property
    def retention(self) -> Retention:
        return Retention(self._uow, self._ports.clock, turns=self.envelope_turns)

    # -- signing -----------------------------------------------------------------------------

    @cached_property
    def envelope_turns(self) -> EnvelopeTurns:
        """One for the process: a signature, a seal and a sweep of one envelope take turns with each other."""
        return EnvelopeTurns(self._uow)

    @cached_property
    def signing_sessions(self) -> SigningSessions:
        return SigningSessions(self._uow, self._ports.clock)

    @cached_property
    def sign(self) -> SignHandler:
        ports = self._ports
        return SignHandler(
            self._uow, ports.clock, ports.ids, ports.pdf_signer, turns=self.envelope_turns, jobs=ports.job_queue
        )

    @cached_property
    def decline(self) -> DeclineHandler:
        return DeclineHandler(self._uow, self._ports.clock)

    @cached_property
    def signer_authentication(self) -> SignerAuthentication:
        ports = self._ports
        return SignerAuthentication(
            self._uow, ports.clock, ports.secrets, ports.password_hasher, ports.mailer, ports.sms_sender,
            ports.code_messages, mail_domain=self._config.mail_domain, sign_in=ports.signer_sign_in,
        )

    @cached_property
    def seal_envelope(self) -> SealEnvelopeHandler:
        ports = self._ports
        return SealEnvelopeHandler(self._uow, ports.clock, ports.ids, ports.pdf_signer, turns=self.envelope_turns)

    @cached_property
    def renew_archive_timestamps(self) -> RenewArchiveTimestampsHandler:
        ports = self._ports
        return RenewArchiveTimestampsHandler(self._uow, ports.clock, ports.ids, ports.pdf_signer, turns=self.envelope_turns)

    @cached_property
    def certificate_revocations(self) -> CertificateRevocations:
        """The installation's revoked signer certificates, which the OCSP responder and the CRL publish."""
        return CertificateRevocations(self._uow, self._ports.clock)

    @cached_property
    def published_certificate_status(self) -> PublishedCertificateStatus:
        """What relying parties learn about signers' certificates: OCSP answers, the revocation list, the CA."""
        return PublishedCertificateStatus(self.certificate_revocations, self._ports.revocation_publisher)

    # -- evidence ----------------------------------------------------------------------------

    @cached_property
    def completion_certificates(self) -> CompletionCertificates:
        return CompletionCertificates(self._uow, self.make_completion_certificate)

    @cached_property
    def make_completion_certificate(self) -> CompletionCertificateMaker:
        ports = self._ports
        return CompletionCertificateMaker(
            self._uow, ports.clock, ports.ids, ports.certificate_renderer, ports.pdf_signer
        )

    @cached_property
    def verify_pdf(self) -> VerifyPdfHandler:
        return VerifyPdfHandler(self._ports.pdf_verifier, self._ports.clock)

    @cached_property
    def evidence_packages(self) -> EvidencePackages:
        return EvidencePackages(self._uow, self._ports.clock, self.verify_pdf, self._ports.evidence_formats)

    @cached_property
    def verify_evidence_package(self) -> VerifyEvidencePackageHandler:
        return VerifyEvidencePackageHandler(self.verify_pdf)

    # -- access ------------------------------------------------------------------------------

    @cached_property
    def tenants(self) -> Tenants:
        return Tenants(self._uow, self._ports.clock, self._ports.ids, self.api_keys)

    @cached_property
    def sign_ins(self) -> SignIns:
        return SignIns(
            self._uow, self._ports.clock, self._ports.ids, self._ports.secrets,
            providers=self._ports.sign_in_providers, bearer_tokens=self._ports.bearer_tokens,
            timeouts=self._config.session_timeouts,
        )

    @cached_property
    def local_sign_ins(self) -> LocalSignIns:
        return LocalSignIns(
            self._uow, self._ports.clock, self._ports.ids, self.sign_ins, passwords=self._ports.password_hasher,
            totp=self._ports.totp_codes, recovery_codes=self._ports.recovery_codes,
            one_time_ids=self._ports.one_time_ids,
        )

    @cached_property
    def api_keys(self) -> ApiKeys:
        """One for the process: it remembers when it last wrote each key's last use."""
        return ApiKeys(self._uow, self._ports.clock, self._ports.ids, self._ports.secrets)

    @cached_property
    def users(self) -> Users:
        return Users(self._uow, self._ports.clock, self._ports.ids)

    @cached_property
    def tenant_audit(self) -> TenantAuditQueries:
        return TenantAuditQueries(self._uow)

    @cached_property
    def idempotency(self) -> Idempotency:
        return Idempotency(self._ports.idempotency_keys, self._ports.clock, self._ports.ids)

    @cached_property
    def throttle(self) -> Throttle:
        return Throttle(self._ports.rate_limiter, self._config.throttle)

    # -- background work ---------------------------------------------------------------------

    @cached_property
    def webhooks(self) -> Webhooks:
        ports = self._ports
        return Webhooks(self._uow, ports.clock, ports.ids, ports.secrets, ports.webhook_sender, ports.job_queue)

    @cached_property
    def dispatcher(self) -> Dispatcher:
        return Dispatcher(self._uow, self._ports.job_queue, self._ports.clock)

    @cached_property
    def send_notice(self) -> SendNoticeHandler:
        config = self._config
        return SendNoticeHandler(
            self._uow, self.create_signing_link, self._ports.mailer, self._ports.notice_templates,
            public_url=config.public_url, max_attachment_bytes=config.mail_max_attachment_bytes,
            mail_domain=config.mail_domain,
        )

    @cached_property
    def deliver_webhook(self) -> DeliverWebhookHandler:
        return DeliverWebhookHandler(self._uow, self._ports.clock, self._ports.webhook_sender)

    @cached_property
    def schedules(self) -> Schedules:
        return Schedules(self._uow, self._ports.clock, turns=self.envelope_turns, retention=self.retention)

    @cached_property
    def job_runner(self) -> JobRunner:
        """Which handler runs which kind of job; a webhook delivery that fails for good is marked failed too."""
        handlers = {
            SealEnvelopeJob: self.seal_envelope, MakeCompletionCertificateJob: self.make_completion_certificate,
            SendNoticeJob: self.send_notice, DeliverWebhookJob: self.deliver_webhook,
        }
        return JobRunner(
            handlers, self._uow, self._ports.clock, self._config.retry, self._config.random_fraction,
            timeout_seconds=self._config.job_timeout_seconds, on_give_up={DeliverWebhookJob: self.deliver_webhook.give_up},
        )

    @cached_property
    def dead_letters(self) -> DeadLetterOffice:
        return DeadLetterOffice(self._uow, self._ports.job_queue, self._ports.ids, lane_of=self.job_runner.lane_of)

    @property
    def _uow(self) -> UnitOfWorkFactory:
        return self._ports.unit_of_work
