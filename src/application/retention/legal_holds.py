"""Legal holds: an admin keeps an envelope's documents past their retention, with a reason, and lets them go.

Both acts are recorded on the envelope's audit chain (LegalHoldSet, LegalHoldReleased) with who
and why, in the unit of work that makes them. A hold can be set on an envelope in any state (a
dispute may start before it ends), but not on one whose documents are purged or being purged:
their bytes are gone (ContentPurged).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.visibility import require_visible_envelope
from undersign.application.shared.envelope_turns import EnvelopeTurns
from undersign.application.shared.loading import require_envelope
from undersign.application.shared.ports import Clock
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.domain.envelope import Envelope
from undersign.domain.errors import NotFound


@dataclass(frozen=True, slots=True, kw_only=True)
class SetLegalHold:
    caller: Caller
    envelope_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseLegalHold:
    caller: Caller
    envelope_id: str
    reason: str


class LegalHolds:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, *, turns: EnvelopeTurns) -> None:
        self._uow, self._clock, self._turns = uow, clock, turns

    async def set(self, command: SetLegalHold) -> Envelope:
        """Put the envelope on hold (the same reason again changes nothing; another one replaces it)."""
        command.caller.require(Permission.MANAGE_LEGAL_HOLDS)
        caller = command.caller
        return await self._act(
            caller.tenant_id, command.envelope_id, caller, lambda e: self._set(e, command.reason, caller.actor)
        )

    async def release(self, command: ReleaseLegalHold) -> Envelope:
        """Release the hold (NoLegalHold if there is none): the next retention run purges the documents if due."""
        command.caller.require(Permission.MANAGE_LEGAL_HOLDS)
        caller = command.caller
        return await self._act(
            caller.tenant_id, command.envelope_id, caller, lambda e: self._release(e, command.reason, caller.actor)
        )

    async def set_by_operator(self, envelope_id: str, *, reason: str, actor: str) -> Envelope:
        """For operators (the CLI), who work across tenants: as `set`, named `actor` on the chain."""
        tenant_id = await self._tenant_of(envelope_id)
        return await self._act(tenant_id, envelope_id, None, lambda e: self._set(e, reason, actor))

    async def release_by_operator(self, envelope_id: str, *, reason: str, actor: str) -> Envelope:
        """For operators (the CLI): as `release`."""
        tenant_id = await self._tenant_of(envelope_id)
        return await self._act(tenant_id, envelope_id, None, lambda e: self._release(e, reason, actor))

    def _set(self, envelope: Envelope, reason: str, actor: str) -> bool:
        return envelope.set_legal_hold(reason=reason, now=self._clock.now(), actor=actor)

    def _release(self, envelope: Envelope, reason: str, actor: str) -> bool:
        envelope.release_legal_hold(reason=reason, now=self._clock.now(), actor=actor)
        return True

    async def _act(
        self, tenant_id: str, envelope_id: str, caller: Caller | None, change: Callable[[Envelope], bool]
    ) -> Envelope:
        async def attempt() -> Envelope:
            async with self._turns.hold(tenant_id, envelope_id) as uow:
                envelope = await self._load(uow, tenant_id, envelope_id, caller)
                if change(envelope):
                    await uow.envelopes.save(envelope)
                    await uow.commit()
            return envelope

        return await retry_on_conflict(attempt)

    @staticmethod
    async def _load(uow: UnitOfWork, tenant_id: str, envelope_id: str, caller: Caller | None) -> Envelope:
        if caller is None:
            return await require_envelope(uow, tenant_id, envelope_id)
        return await require_visible_envelope(uow, caller, envelope_id)

    async def _tenant_of(self, envelope_id: str) -> str:
        async with self._uow() as uow:
            tenant_id = await uow.envelopes.tenant_of(envelope_id)
        if tenant_id is None:
            raise NotFound(f"no envelope {envelope_id}")
        return tenant_id
