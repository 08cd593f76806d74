"""Reminders, expiry and the decline and void notices on the real stack, with a clock the test moves.

The embedded default: `undersign serve`'s own runner (dispatcher, job lanes, schedule) on SQLite.
The production shape: the API on PostgreSQL, jobs on Redis, and the `undersign worker`'s arq
workers (build_workers, the same ones `undersign worker` runs) in this test's event loop, whose
cron jobs send the reminders and expire envelopes. Every mail goes through a real SMTP server on
loopback and is read back from it.

The clock starts at the real time and moves only forward, by what the test adds: the loops
still sleep in real time, while everything the application dates (sending, reminders, expiry,
links, jobs) reads this clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from signal import Signals
from typing import Any

import pytest
from arq.worker import Worker
from dependency_injector import providers

from tests.e2e.api import add_signer, place, post, send
from tests.pdf_samples import make_pdf
from tests.servers import RedisServer, empty_database
from tests.smtp_server import SmtpServer, smtp_server
from tests.stack import Stack, serve, settings_for
from undersign.adapters.notify.templates import when
from undersign.entrypoints.container import build_container, shutdown
from undersign.entrypoints.settings import Settings
from undersign.entrypoints.worker.arq_worker import build_workers, expire_envelopes, send_reminders

SIGNING_LINK = re.compile(r"https://sign\.example\.test/sign/([A-Za-z0-9_-]+)")
ADA, BOB = "ada.lovelace@example.com", "bob.babbage@example.com"
# Reminders every 2 days, expiry after 5: what the policy of the reminded envelopes says.
CADENCE = {"name": "Chased", "routing_default": "parallel", "reminder_days": 2, "expiry_days": 5}
# UNDERSIGN_SCHEDULE_MINUTES cannot go below a minute (the arq cron runs at whole minutes); the
# embedded runner's schedule loop is only a pause, which a test may shorten below that.
SCHEDULE_PAUSE_MINUTES = 0.5 / 60
MAIL_TIMEOUT = 15


class MovableClock:
    """The real time plus what the test has added so far."""

    def __init__(self) -> None:
        self._ahead = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._ahead

    def advance(self, by: timedelta) -> None:
        self._ahead += by


@pytest.fixture
def mail() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def mail_env(mail: SmtpServer) -> dict[str, str]:
    return {"UNDERSIGN_SMTP_URL": f"smtp://{mail.host}:{mail.port}", "UNDERSIGN_MAIL_FROM": "signing@example.test"}


async def mail_to(mail: SmtpServer, address: str, subject: str, timeout: float = MAIL_TIMEOUT) -> EmailMessage:
    """The one message to `address` with `subject`, once it has arrived."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (found := mails(mail, subject, address)):
        assert asyncio.get_running_loop().time() < deadline, [(m["To"], m["Subject"]) for m in mail.received()]
        await asyncio.sleep(0.1)
    assert len(found) == 1, f"{len(found)} mails {subject!r} to {address}"
    return found[0]


def mails(mail: SmtpServer, subject: str, address: str | None = None) -> list[EmailMessage]:
    return [m for m in mail.received() if m["Subject"] == subject and address in (None, m["To"])]


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def token_in(message: EmailMessage) -> str:
    found = SIGNING_LINK.search(text_of(message))
    assert found, text_of(message)
    return found.group(1)


async def envelope_to_ada_and_bob(stack: Stack, subject: str, **body: Any) -> dict[str, Any]:
    """The envelope `subject`, sent to Ada and Bob to sign (with `body`'s policy_id or routing), as sent."""
    created = await post(stack, "/v1/envelopes", {"subject": subject, "message": "Please sign", **body})
    upload = await stack.client.post(
        f"/v1/envelopes/{created['id']}/documents",
        files={"file": ("deal.pdf", make_pdf(pages=1), "application/pdf")}, headers=stack.headers,
    )
    assert upload.status_code == 201, upload.text
    for n, name in enumerate(("Ada Lovelace", "Bob Babbage")):
        signer_id = await add_signer(stack, created["id"], name)
        await place(stack, created["id"], upload.json()["id"], signer_id, "signature", 1, 72, 600 - 60 * n)
    return await send(stack, created["id"])


async def envelope(stack: Stack, envelope_id: str) -> dict[str, Any]:
    response = await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def signing_session(stack: Stack, token: str, status: int = 200) -> dict[str, Any]:
    response = await stack.client.get(f"/v1/signing/{token}")
    assert response.status_code == status, response.text
    return response.json()


async def reminded_and_expired(
    stack: Stack, mail: SmtpServer, clock: MovableClock, schedule_runs: Callable[[], AbstractAsyncContextManager[None]]
) -> None:
    """The story both shapes tell: invited, not reminded before the cadence, reminded after it, then expired.

    `schedule_runs()` is an async context in which the installation's schedule runs at least once
    (and what it sets off is sent) with the clock as it is.
    """
    policy = await post(stack, "/v1/policies", CADENCE)
    sent = await envelope_to_ada_and_bob(stack, "Chased contract", policy_id=policy["id"])
    sent_at, expires_at = datetime.fromisoformat(sent["sent_at"]), datetime.fromisoformat(sent["expires_at"])
    assert expires_at - sent_at == timedelta(days=5)

    clock.advance(timedelta(days=1, hours=23))  # the cadence not yet passed
    async with schedule_runs():
        invitations = {a: await mail_to(mail, a, "Please sign: Chased contract") for a in (ADA, BOB)}
    assert mails(mail, "Reminder: please sign: Chased contract") == []

    clock.advance(timedelta(hours=1, minutes=1))  # two days and a minute after sending
    async with schedule_runs():
        reminders = {a: await mail_to(mail, a, "Reminder: please sign: Chased contract") for a in (ADA, BOB)}
    for address, reminder in reminders.items():
        assert reminder["From"].addresses[0].addr_spec == "signing@example.test"
        assert "is still waiting for your signature" in text_of(reminder)
        assert f"works until {when(expires_at)}" in text_of(reminder)  # the link ends with the envelope
        # The link is the recipient's own, and it opens their signing page.
        session = await signing_session(stack, token_in(reminder))
        assert (session["signer"]["email"], session["envelope_status"]) == (address, "sent")
        assert token_in(reminder) != token_in(invitations[address])
    assert (await envelope(stack, sent["id"]))["status"] == "sent"

    clock.advance(timedelta(days=3))  # past expiry: five days and a minute after sending
    async with schedule_runs():
        notices = {a: await mail_to(mail, a, "Expired: Chased contract") for a in (ADA, BOB)}
    assert (await envelope(stack, sent["id"]))["status"] == "expired"
    for reminder, notice in zip(reminders.values(), notices.values(), strict=True):
        assert f"expired on {when(expires_at)} before everyone had signed" in text_of(notice)
        assert SIGNING_LINK.search(text_of(notice)) is None
        await signing_session(stack, token_in(reminder), status=410)  # the reminded link is dead now
    # Each recipient was reminded once: not again by the later runs, nor once the envelope was past its expiry.
    assert len(mails(mail, "Reminder: please sign: Chased contract")) == 2


# -- the embedded default: `undersign serve` alone, on SQLite -----------------------------------------


def embedded_settings(tmp_path: Path, mail: SmtpServer) -> Settings:
    settings = settings_for(tmp_path / "data", **mail_env(mail))
    return dataclasses.replace(settings, schedule_minutes=SCHEDULE_PAUSE_MINUTES)


@contextlib.asynccontextmanager
async def a_few_schedule_runs() -> AsyncIterator[None]:
    """The embedded runner's schedule runs on its own, every SCHEDULE_PAUSE_MINUTES: let it run twice."""
    await asyncio.sleep(2 * SCHEDULE_PAUSE_MINUTES * 60 + 0.2)
    yield


async def test_embedded_runner_reminds_on_the_policy_cadence_then_expires_the_envelope_by_mail(
    tmp_path: Path, mail: SmtpServer
) -> None:
    clock = MovableClock()
    async with serve(embedded_settings(tmp_path, mail), clock=clock) as stack:
        await reminded_and_expired(stack, mail, clock, a_few_schedule_runs)


async def test_a_decline_and_a_void_are_mailed_to_the_recipients_who_knew_of_the_envelope(
    tmp_path: Path, mail: SmtpServer
) -> None:
    async with serve(embedded_settings(tmp_path, mail), clock=MovableClock()) as stack:
        # In parallel both are invited; Ada declines through the link her invitation carries.
        declined = await envelope_to_ada_and_bob(stack, "Declined deal", routing="parallel")
        # In sequence only Ada is invited: Bob never heard of the envelope the sender voids.
        voided = await envelope_to_ada_and_bob(stack, "Voided deal", routing="sequential")
        invitation = await mail_to(mail, ADA, "Please sign: Declined deal")
        await mail_to(mail, ADA, "Please sign: Voided deal")
        declining = await stack.client.post(
            f"/v1/signing/{token_in(invitation)}/decline", json={"reason": "Wrong price"}
        )
        assert declining.status_code == 200, declining.text
        await post(stack, f"/v1/envelopes/{voided['id']}/void", {"reason": "Sent by mistake"}, expect=200)

        decline_notice = await mail_to(mail, BOB, "Declined: Declined deal")
        assert "was declined by Ada Lovelace" in text_of(decline_notice)
        assert "The reason given:\nWrong price" in text_of(decline_notice)
        void_notice = await mail_to(mail, ADA, "Voided: Voided deal")
        assert 'acme withdrew "Voided deal"' in text_of(void_notice)
        assert "The reason given:\nSent by mistake" in text_of(void_notice)
        for notice in (decline_notice, void_notice):
            assert SIGNING_LINK.search(text_of(notice)) is None
        assert (await envelope(stack, declined["id"]))["status"] == "declined"
        assert (await envelope(stack, voided["id"]))["status"] == "voided"
        await signing_session(stack, token_in(invitation), status=410)

        await asyncio.sleep(1)  # the jobs of one event go out together: give any stray one time to arrive
        assert [m["To"] for m in mails(mail, "Declined: Declined deal")] == [BOB]  # not to the one who declined
        assert [m["To"] for m in mails(mail, "Voided: Voided deal")] == [ADA]
        assert mails(mail, "Please sign: Voided deal", BOB) == []


# -- the production shape: PostgreSQL, Redis and the arq workers' cron ---------------------------------


@pytest.fixture
async def postgresql_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with empty_database("postgresql", request, tmp_path) as url:
        yield url


CRON_JOBS = {f"cron:{f.__qualname__}" for f in (send_reminders, expire_envelopes)}


async def idle(workers: list[Worker], timeout: float = MAIL_TIMEOUT) -> None:
    """Once no job runs in any of `workers` (or `timeout` has passed)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while any(not task.done() for w in workers for task in w.tasks.values()):
        if asyncio.get_running_loop().time() > deadline:
            return
        await asyncio.sleep(0.05)


async def test_arq_workers_cron_reminds_then_expires_on_postgresql_and_redis(
    tmp_path: Path, mail: SmtpServer, postgresql_database: str, redis_server: RedisServer
) -> None:
    redis_server.flush()
    settings = settings_for(
        tmp_path / "data", UNDERSIGN_DATABASE_URL=postgresql_database, UNDERSIGN_REDIS_URL=redis_server.url(),
        UNDERSIGN_SCHEDULE_MINUTES="1", **mail_env(mail),
    )
    clock = MovableClock()
    worker_container = build_container(settings)  # as `undersign worker` builds it
    worker_container.core.clock.override(providers.Object(clock))

    @contextlib.asynccontextmanager
    async def workers_started() -> AsyncIterator[None]:
        """`undersign worker`'s arq workers, started afresh: their cron jobs run at startup, with the clock as it is.
        (Left running, they would run them again only at the next whole minute.) Entered once both have ended."""
        workers = build_workers(worker_container)
        ended: list[str] = []

        async def job_ended(ctx: dict[str, Any]) -> None:  # arq's hook: cron jobs keep no result to look for
            ended.append(ctx["job_id"].rpartition(":")[0])

        for worker in workers:
            worker.after_job_end = job_ended
        running = asyncio.gather(*(w.async_run() for w in workers), return_exceptions=True)
        try:
            deadline = asyncio.get_running_loop().time() + MAIL_TIMEOUT
            while not CRON_JOBS <= set(ended):
                assert not running.done(), running.result()
                assert asyncio.get_running_loop().time() < deadline, f"the cron jobs did not run: {ended}"
                await asyncio.sleep(0.05)
            yield
        finally:
            await idle(workers)  # a job stopped in its middle would only run again: stop between jobs
            for worker in workers:
                worker.handle_sig(Signals.SIGTERM)
            for outcome in await running:  # stopped, not failed
                assert not isinstance(outcome, Exception), outcome
            with warnings.catch_warnings():  # arq 0.28 closes its pool with redis 5's deprecated close()
                warnings.simplefilter("ignore", DeprecationWarning)
                for worker in workers:
                    await worker.close()

    try:
        async with serve(settings, clock=clock) as stack:
            assert not settings.embedded_jobs  # the API runs no jobs: the workers do all of it
            await reminded_and_expired(stack, mail, clock, workers_started)
    finally:
        await shutdown(worker_container)
