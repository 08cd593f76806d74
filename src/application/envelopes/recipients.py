"""Add a recipient (signer, approver or carbon copy) to a draft envelope."""

from __future__ import annotations

from dataclasses import dataclass

from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.visibility import require_visible_envelope
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.domain.signer import Role, Signer


@dataclass(frozen=True, slots=True, kw_only=True)
class AddSigner:
    caller: Caller
    envelope_id: str
    name: str
    email: str
    role: Role = Role.SIGNER
    routing_order: int | None = None
    expected_version: int | None = None  # the version the caller last read (If-Match); None: no check


class AddSignerHandler:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids

    async def __call__(self, command: AddSigner) -> Signer:
        command.caller.require(Permission.WRITE_ENVELOPES)
        async with self._uow() as uow:
            envelope = await require_visible_envelope(
                uow, command.caller, command.envelope_id, expected_version=command.expected_version
            )
            signer = envelope.add_signer(
                signer_id=self._ids.new_id(),
                name=command.name,
                email=command.email,
                role=command.role,
                routing_order=command.routing_order,
                now=self._clock.now(),
                actor=command.caller.actor,
            )
            await uow.envelopes.save(envelope)
            await uow.commit()
        return signer
