"""Every use case wired to the fakes by application.bootstrap, as the composition root wires them to real adapters."""

from __future__ import annotations

from datetime import timedelta

from tests.fakes.access import FakeIdempotencyKeys
from tests.fakes.background import FakeJobQueue
from tests.fakes.database import FakeDatabase
from tests.fakes.notifications import FakeMailer, FakeSmsSender
from tests.fakes.pdf import FakeCertificateRenderer, FakePdfInspector, FakePdfSigner, FakePdfVerifier
from tests.fakes.system import FakeBlobStore, FakeClock, SequentialIds, SequentialSecrets
from tests.fakes.unit_of_work import FakeUnitOfWork
from tests.fakes.webhooks import FakeWebhookSender
from undersign.application.access.throttling import ThrottleLimits
from undersign.application.background.job_runner import RetryPolicy
from undersign.application.background.ports import ClaimedJob
from undersign.application.bootstrap import Config, UseCases
from undersign.application.shared.jobs import JobLane


class FakePlatform(UseCases):
    """Every use case wired to fakes by application.bootstrap, as the composition root wires them
    to real adapters. The platform is its own ports: a test reaches a fake by the port's name
    (platform.pdf_signer, platform.job_queue) and a use case by its own (platform.sign)."""

    def __init__(self) -> None:
        import argon2

        from tests.fakes.people import FakeOneTimeIds
        from undersign.adapters.identity.passwords import Argon2PasswordHasher
        from undersign.adapters.identity.recovery_codes import Sha256RecoveryCodes
        from undersign.adapters.identity.totp import PyOtpTotpCodes
        from undersign.adapters.notify.code_messages import JinjaCodeMessages
        from undersign.adapters.notify.templates import JinjaNoticeTemplates
        from undersign.adapters.throttling.memory import MemoryRateLimiter
        from undersign.entrypoints.evidence_formats import ApiEvidenceFormats

        self.db, self.blob_store = FakeDatabase(), FakeBlobStore()
        self.clock, self.ids, self.secrets = FakeClock(), SequentialIds(), SequentialSecrets()
        self.pdf_inspector, self.pdf_signer, self.pdf_verifier = FakePdfInspector(), FakePdfSigner(), FakePdfVerifier()
        self.certificate_renderer, self.idempotency_keys = FakeCertificateRenderer(), FakeIdempotencyKeys()
        self.job_queue = FakeJobQueue(self.clock)
        self.mailer, self.notice_templates = FakeMailer(), JinjaNoticeTemplates()  # the real email templates
        self.sms_sender, self.code_messages = FakeSmsSender(), JinjaCodeMessages()  # the real wording of codes
        self.webhook_sender, self.rate_limiter = FakeWebhookSender(), MemoryRateLimiter(self.clock)
        self.sign_in_providers: list = []  # a test adds its fake providers before it first signs in
        self.signer_sign_in = None  # the provider recipients sign in with: a test sets a fake one first
        self.bearer_tokens = None
        # The real credential adapters (pure Python, no I/O); Argon2 with a light cost, as tests need no more.
        self.password_hasher = Argon2PasswordHasher(argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        self.totp_codes, self.recovery_codes = PyOtpTotpCodes(), Sha256RecoveryCodes()
        self.one_time_ids = FakeOneTimeIds()
        self.evidence_formats = ApiEvidenceFormats()  # the real JSON forms (pure): a package reads as the API answers
        super().__init__(self, FAKE_CONFIG)

    async def run_background(self, *, rounds: int = 1_000) -> None:
        """Run the background work until none is left: the outbox, the due jobs, the schedule.

        Each job is seen through to its end before the next one runs: a failed attempt is
        tried again after its retry delay, by which the clock moves on, as time would. So
        a scenario reads one job's attempts in a row, whatever else is queued.
        """
        for _ in range(rounds):
            while await self.dispatcher.dispatch():
                pass
            claimed = [
                job for lane in JobLane  # urgent first, as its own runners would take it
                for job in await self.job_queue.claim(lane=lane, now=self.clock.now(), limit=100, lease_seconds=300)
            ]
            for job in claimed:
                await self._run_to_the_end(job)
            if claimed:
                continue
            reminded, expired = await self.schedules.send_reminders(), await self.schedules.expire_envelopes()
            if reminded or expired:
                continue
            if not self.job_queue.queued:
                return
            self.clock.current = max(self.clock.current, min(q.run_at for q in self.job_queue.queued.values()))
        raise RuntimeError(f"the background work did not settle in {rounds} rounds")

    async def _run_to_the_end(self, claimed: ClaimedJob) -> None:
        """Attempt after attempt until the job is done or kept as a dead letter."""
        from undersign.application.background.job_runner import RetryLater

        attempt = claimed.attempt
        while isinstance(outcome := await self.job_runner.run(claimed.job, attempt), RetryLater):
            self.clock.advance(outcome.delay)
            attempt += 1
        await self.job_queue.finish(claimed.job.id)

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.db, self.blob_store)


FAKE_CONFIG = Config(
    signing_link_ttl=timedelta(days=7), public_url="https://undersign.example", mail_domain="undersign.example",
    mail_max_attachment_bytes=10 * 1024 * 1024, retry=RetryPolicy(), job_timeout_seconds=60,
    throttle=ThrottleLimits(), random_fraction=lambda: 0.0,
)
