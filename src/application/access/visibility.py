"""Which of a tenant's envelopes a caller sees: a sender, only their own and their teams'.

Owners, admins, viewers and auditors see every envelope of their tenant (what they may do
with one is the permission table's business). A sender sees the envelopes they made (whose
owner is their actor: their user, or their API key) and those shared with a team they belong
to (a team-scoped key belongs to its team). Envelopes made before envelopes had owners have
none, and stay visible to the tenant's senders, as they were.

An envelope a caller does not see is not found, as another tenant's is: its existence is not
theirs to learn.
"""

from __future__ import annotations

from dataclasses import dataclass

from undersign.application.access.permissions import Caller
from undersign.application.shared.loading import check_version
from undersign.application.shared.unit_of_work import UnitOfWork
from undersign.domain.envelope import Envelope
from undersign.domain.errors import NotFound
from undersign.domain.tenant import AccessRole


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeScope:
    """A sender's part of the tenant's envelopes: those `owner` made, those shared with `team_ids`, and
    those that have no owner."""

    owner: str
    team_ids: frozenset[str]

    def includes(self, envelope: Envelope) -> bool:
        return envelope.owner in (None, self.owner) or envelope.team_id in self.team_ids


def scope_of(caller: Caller) -> EnvelopeScope | None:
    """What a list of envelopes is narrowed to for this caller; None: the whole tenant."""
    if caller.role is not AccessRole.SENDER:
        return None
    return EnvelopeScope(owner=caller.actor, team_ids=caller.team_ids)


def sees(caller: Caller, envelope: Envelope) -> bool:
    scope = scope_of(caller)
    return envelope.tenant_id == caller.tenant_id and (scope is None or scope.includes(envelope))


async def require_visible_envelope(
    uow: UnitOfWork, caller: Caller, envelope_id: str, *, expected_version: int | None = None
) -> Envelope:
    """The caller's tenant's envelope, if the caller sees it (else NotFound, as for another tenant's)."""
    envelope = await uow.envelopes.get(caller.tenant_id, envelope_id)
    if envelope is None or not sees(caller, envelope):
        raise NotFound(f"no envelope {envelope_id}")
    check_version(envelope, expected_version)
    return envelope
