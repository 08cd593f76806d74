"""Create a draft envelope."""

from __future__ import annotations

from dataclasses import dataclass

from undersign.application.access.permissions import Caller, Permission
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.application.shared.write_conflicts import in_fresh_unit_of_work
from undersign.domain.envelope import Envelope
from undersign.domain.errors import InvalidInput
from undersign.domain.policy import Routing, UnknownPolicy


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateEnvelope:
    caller: Caller
    subject: str
    message: str = ""
    routing: Routing | None = None
    team_id: str | None = None  # share it with this team of the caller's; a team-scoped key's team by default
    policy_id: str | None = None  # a policy of the tenant's; None: the tenant's default, as it is when sent


class CreateEnvelopeHandler:
    """Creates a draft in the caller's tenant; routing defaults to its policy's (the one named, or the
    tenant's default). A policy the tenant does not have is UnknownPolicy (422), whoever's it is."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids

    async def __call__(self, command: CreateEnvelope) -> Envelope:
        command.caller.require(Permission.WRITE_ENVELOPES)
        team_id = _team_of(command.caller, command.team_id)

        async def create(uow: UnitOfWork) -> Envelope:
            tenant_id, policy = command.caller.tenant_id, None
            if command.policy_id is not None:
                policy = await uow.policies.get(tenant_id, command.policy_id)
                if policy is None:
                    raise UnknownPolicy(f"policy_id names no policy of this tenant: {command.policy_id!r}")
            elif command.routing is None:  # the default policy is asked for its routing only
                policy = await uow.policies.default_for(tenant_id)
            routing = command.routing
            if routing is None:
                routing = policy.routing_default if policy else Routing.SEQUENTIAL
            envelope = Envelope.create(
                envelope_id=self._ids.new_id(),
                tenant_id=command.caller.tenant_id,
                subject=command.subject,
                message=command.message,
                routing=routing,
                now=self._clock.now(),
                actor=command.caller.actor,
                team_id=team_id,
                policy_id=command.policy_id,
            )
            await uow.envelopes.add(envelope)
            await uow.commit()
            return envelope

        return await in_fresh_unit_of_work(self._uow, create)


def _team_of(caller: Caller, team_id: str | None) -> str | None:
    """The team a new envelope is shared with: one the caller belongs to (a key scoped to a team
    shares with it unless told otherwise); any other id is refused as invalid (422), whoever's it is."""
    if team_id is None:
        return next(iter(caller.team_ids)) if caller.kind == "key" and len(caller.team_ids) == 1 else None
    if team_id not in caller.team_ids:
        raise InvalidInput(f"team_id names no team of yours: {team_id!r}")
    return team_id
