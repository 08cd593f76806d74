"""Add a recipient (signer, approver or carbon copy) to a draft envelope; let a locked-out one in again."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from undersign.application.access.credential_ports import PasswordHasher
from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.visibility import require_visible_envelope
from undersign.application.shared.loading import require_envelope
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.application.shared.write_conflicts import in_fresh_unit_of_work, retry_on_conflict
from undersign.domain.policy import SignerAuth
from undersign.domain.signer import Role, Signer
from undersign.domain.signer_authentication import check_access_code


@dataclass(frozen=True, slots=True, kw_only=True)
class AddSigner:
    caller: Caller
    envelope_id: str
    name: str
    email: str
    role: Role = Role.SIGNER
    routing_order: int | None = None
    expected_version: int | None = None  # the version the caller last read (If-Match); None: no check
    auth_method: SignerAuth | None = None  # how this recipient authenticates; None: as the policy says
    phone: str | None = None  # where their SMS codes go
    access_code: str | None = None  # the code the sender hands them out of band (kept only hashed)


class AddSignerHandler:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, passwords: PasswordHasher) -> None:
        self._uow, self._clock, self._ids, self._passwords = uow, clock, ids, passwords

    async def __call__(self, command: AddSigner) -> Signer:
        command.caller.require(Permission.WRITE_ENVELOPES)
        access_code_hash = None
        if command.access_code is not None:
            # Argon2, off the event loop: the code guards a signature for as long as the link lives.
            access_code_hash = await asyncio.to_thread(self._passwords.hash, check_access_code(command.access_code))

        async def add(uow: UnitOfWork) -> Signer:
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
                auth_method=command.auth_method,
                phone=command.phone,
                access_code_hash=access_code_hash,
            )
            await uow.envelopes.save(envelope)
            await uow.commit()
            return signer

        return await in_fresh_unit_of_work(self._uow, add)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnlockSigner:
    caller: Caller
    envelope_id: str
    signer_id: str


class UnlockSignerHandler:
    """The sender lets a recipient locked out by wrong codes try again (a new link does it too)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, command: UnlockSigner) -> Signer:
        command.caller.require(Permission.ISSUE_SIGNING_LINKS)
        async with self._uow() as uow:
            await require_visible_envelope(uow, command.caller, command.envelope_id)
        return await retry_on_conflict(lambda: self._unlock(command))

    async def _unlock(self, command: UnlockSigner) -> Signer:
        async with self._uow() as uow:
            envelope = await require_envelope(uow, command.caller.tenant_id, command.envelope_id)
            envelope.check_can_authenticate()
            if envelope.unlock_signer(signer_id=command.signer_id, now=self._clock.now(), actor=command.caller.actor):
                await uow.envelopes.save(envelope)
                await uow.commit()
            return envelope.signer(command.signer_id)
