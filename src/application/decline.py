"""A recipient declines: the envelope stops, and nobody else can act on it."""

from __future__ import annotations

from dataclasses import dataclass

from application.loading import require_envelope, require_signing_link
from application.ports import Clock
from application.retry import retry_on_conflict
from application.unit_of_work import UnitOfWorkFactory
from domain.envelope import Envelope


@dataclass(frozen=True, slots=True, kw_only=True)
class Decline:
    token: str
    reason: str


class DeclineHandler:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, command: Decline) -> Envelope:
        return await retry_on_conflict(lambda: self._decline(command))

    async def _decline(self, command: Decline) -> Envelope:
        async with self._uow() as uow:
            now = self._clock.now()
            link = await require_signing_link(uow, command.token, now)
            envelope = await require_envelope(uow, link.tenant_id, link.envelope_id)
            envelope.decline(signer_id=link.signer_id, reason=command.reason, now=now, actor=f"signer:{link.signer_id}")
            await uow.envelopes.save(envelope)
            await uow.commit()
        return envelope
