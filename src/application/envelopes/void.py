"""Void a sent envelope: nobody can act on it any more."""

from __future__ import annotations

from dataclasses import dataclass

from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.visibility import require_visible_envelope
from undersign.application.shared.ports import Clock
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.domain.envelope import Envelope


@dataclass(frozen=True, slots=True, kw_only=True)
class VoidEnvelope:
    caller: Caller
    envelope_id: str
    reason: str
    expected_version: int | None = None  # the version the caller last read (If-Match); None: no check


class VoidEnvelopeHandler:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, command: VoidEnvelope) -> Envelope:
        command.caller.require(Permission.WRITE_ENVELOPES)
        return await retry_on_conflict(lambda: self._void(command))

    async def _void(self, command: VoidEnvelope) -> Envelope:
        async with self._uow() as uow:
            envelope = await require_visible_envelope(
                uow, command.caller, command.envelope_id, expected_version=command.expected_version
            )
            envelope.void(reason=command.reason, now=self._clock.now(), actor=command.caller.actor)
            await uow.envelopes.save(envelope)
            await uow.commit()
        return envelope
