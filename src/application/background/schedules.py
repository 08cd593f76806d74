"""Periodic work over every tenant's waiting envelopes: reminders on the policy's cadence, and expiry;
and, once a day, the retention run (application.retention.purge) and the outbox's clean-up.

Both run on a schedule (arq cron in production, the in-process runner embedded) and are
safe to run twice at once or again after a crash: each envelope is changed in a unit of
work of its own, under its row lock, after checking again that the change is still due.
The emails and webhooks follow from the events they record, through the outbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from undersign.application.retention.purge import Retention
from undersign.application.shared.envelope_turns import EnvelopeTurns
from undersign.application.shared.loading import require_envelope
from undersign.application.shared.ports import Clock
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.domain.envelope import Envelope
from undersign.domain.errors import DomainError


class ScheduleIncomplete(DomainError):
    code = "schedule_incomplete"


PAGE = 200


# How long a dispatched outbox message is kept, for an operator looking into a delivery;
# the event itself stays in the audit chain for good.
OUTBOX_RETENTION = timedelta(days=7)


class Schedules:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, *, turns: EnvelopeTurns, retention: Retention | None = None
    ) -> None:
        self._uow, self._clock, self._turns = uow, clock, turns
        self._retention = retention or Retention(uow, clock, turns=turns)

    async def send_reminders(self) -> int:
        """Remind every recipient who is due a reminder; how many were reminded.

        An envelope that fails does not stop the others: ScheduleIncomplete names it at the
        end, and the next run tries it again.
        """
        return await self._sweep(lambda e: bool(e.due_reminders(self._clock.now())), self._remind, "reminded")

    async def expire_envelopes(self) -> int:
        """Expire every sent envelope past its expires_at; how many expired. Failures as for reminders."""
        return await self._sweep(lambda e: e.is_past_expiry(self._clock.now()), self._expire, "expired")

    async def purge_outbox(self) -> int:
        """Remove the outbox messages dispatched longer than OUTBOX_RETENTION ago; how many went."""
        purged = 0
        while True:
            async with self._uow() as uow:
                count = await uow.outbox.purge(dispatched_before=self._clock.now() - OUTBOX_RETENTION, limit=PAGE)
                await uow.commit()
            purged += count
            if count < PAGE:
                return purged

    async def purge_documents(self) -> int:
        """The retention run: purge every envelope whose retention period is over; how many were purged.

        Envelopes that fail do not stop the others: ScheduleIncomplete names them at the end, and
        the next run tries them again (a purge cut short is finished then).
        """
        report = await self._retention.run()
        if report.failed:
            raise ScheduleIncomplete(
                f"{report.purged} purged; {len(report.failed)} envelopes failed and wait for the next run: "
                f"{', '.join(report.failed[:5])}"
            )
        return report.purged

    async def _sweep(
        self, due: Callable[[Envelope], bool], act: Callable[[str, str], Awaitable[int]], what: str
    ) -> int:
        done, failed = 0, []
        async for envelope in self._waiting():
            if not due(envelope):
                continue
            try:
                done += await retry_on_conflict(lambda e=envelope: act(e.tenant_id, e.id))
            except DomainError as error:
                failed.append(f"{envelope.id} ({error.detail})")
        if failed:
            raise ScheduleIncomplete(f"{done} {what}; {len(failed)} envelopes failed and wait for the next run: {', '.join(failed[:5])}")
        return done

    async def _remind(self, tenant_id: str, envelope_id: str) -> int:
        async with self._turns.hold(tenant_id, envelope_id) as uow:
            envelope = await require_envelope(uow, tenant_id, envelope_id)
            reminded = envelope.send_reminders(now=self._clock.now(), actor="system")
            if reminded:
                await uow.envelopes.save(envelope)
                await uow.commit()
        return len(reminded)

    async def _expire(self, tenant_id: str, envelope_id: str) -> int:
        async with self._turns.hold(tenant_id, envelope_id) as uow:
            envelope = await require_envelope(uow, tenant_id, envelope_id)
            now = self._clock.now()
            if not envelope.is_past_expiry(now):
                return 0  # signed, declined or voided meanwhile
            envelope.expire(now=now, actor="system")
            await uow.envelopes.save(envelope)
            await uow.commit()
        return 1

    async def _waiting(self) -> AsyncIterator[Envelope]:
        """Every sent envelope, a page at a time, each page read in a short transaction of its own."""
        after = None
        while True:
            async with self._uow() as uow:
                page = await uow.envelopes.waiting(after=after, limit=PAGE)
            for envelope in page:
                yield envelope
            if len(page) < PAGE:
                return
            after = page[-1].id
