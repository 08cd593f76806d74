"""Create a draft envelope."""

from __future__ import annotations

from dataclasses import dataclass

from undersign.application.access.permissions import Caller, Permission
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.domain.envelope import Envelope
from undersign.domain.policy import Routing


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateEnvelope:
    caller: Caller
    subject: str
    message: str = ""
    routing: Routing | None = None


class CreateEnvelopeHandler:
    """Creates a draft in the caller's tenant; routing defaults to the tenant policy's."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids

    async def __call__(self, command: CreateEnvelope) -> Envelope:
        command.caller.require(Permission.WRITE_ENVELOPES)
        async with self._uow() as uow:
            routing = command.routing
            if routing is None:
                policy = await uow.policies.default_for(command.caller.tenant_id)
                routing = policy.routing_default if policy else Routing.SEQUENTIAL
            envelope = Envelope.create(
                envelope_id=self._ids.new_id(),
                tenant_id=command.caller.tenant_id,
                subject=command.subject,
                message=command.message,
                routing=routing,
                now=self._clock.now(),
                actor=command.caller.actor,
            )
            await uow.envelopes.add(envelope)
            await uow.commit()
        return envelope
