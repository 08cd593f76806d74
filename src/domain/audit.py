"""The audit chains: every event of an envelope, and every administrative act in a tenant, each
entry carrying the hash of the one before.

Changing, removing or reordering any stored entry breaks the chain from that entry on,
which `verify_chain` (an envelope's) and `verify_tenant_chain` (a tenant's) detect. Both
hash the same canonical form (`canonical_hash`) and link entries the same way (`verify_links`);
they differ only in what the entry names as its chain: `envelope_id` or `tenant_id`, so an
entry of one chain never verifies as an entry of the other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from undersign.domain.events import DomainEvent
from undersign.domain.tenant_events import TenantEvent

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    envelope_id: str
    seq: int
    type: str
    at: datetime
    actor: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TenantAuditEntry:
    """An administrative act in a tenant (a key created or revoked, ...), chained per tenant."""

    tenant_id: str
    seq: int
    type: str
    at: datetime
    actor: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


def canonical_hash(fields: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON form of an entry's fields (sorted keys, no spaces, UTF-8,
    `at` as its ISO 8601 text): what auditors recompute with their own tools."""
    canonical = json.dumps(
        {**fields, "at": fields["at"].isoformat()}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def entry_hash(
    *, envelope_id: str, seq: int, type: str, at: datetime, actor: str, data: dict[str, Any], prev_hash: str
) -> str:
    """SHA-256 over a canonical JSON form of everything an envelope's entry says."""
    return canonical_hash(
        dict(envelope_id=envelope_id, seq=seq, type=type, at=at, actor=actor, data=data, prev_hash=prev_hash)
    )


def tenant_entry_hash(
    *, tenant_id: str, seq: int, type: str, at: datetime, actor: str, data: dict[str, Any], prev_hash: str
) -> str:
    """The same canonical form as an envelope's entry, with `tenant_id` where that has `envelope_id`."""
    return canonical_hash(
        dict(tenant_id=tenant_id, seq=seq, type=type, at=at, actor=actor, data=data, prev_hash=prev_hash)
    )


def chain(previous: AuditEntry | None, event: DomainEvent) -> AuditEntry:
    """The entry that records `event` after `previous` (None for an envelope's first)."""
    seq = previous.seq + 1 if previous else 1
    prev_hash = previous.hash if previous else GENESIS_HASH
    # Stored and hashed in UTC, so the hash does not depend on the offset an event came with.
    fields = dict(
        envelope_id=event.envelope_id, seq=seq, type=event.type, at=event.at.astimezone(UTC),
        actor=event.actor, data=event.data, prev_hash=prev_hash,
    )
    return AuditEntry(**fields, hash=entry_hash(**fields))


def chain_tenant(previous: TenantAuditEntry | None, event: TenantEvent) -> TenantAuditEntry:
    """The entry that records `event` after `previous` in its tenant's chain (None for the first)."""
    seq = previous.seq + 1 if previous else 1
    prev_hash = previous.hash if previous else GENESIS_HASH
    fields = dict(
        tenant_id=event.tenant_id, seq=seq, type=event.type, at=event.at.astimezone(UTC),
        actor=event.actor, data=event.data, prev_hash=prev_hash,
    )
    return TenantAuditEntry(**fields, hash=tenant_entry_hash(**fields))


class _Linked(Protocol):
    """What linking needs of an entry, whichever chain it belongs to."""

    @property
    def seq(self) -> int: ...

    @property
    def prev_hash(self) -> str: ...

    @property
    def hash(self) -> str: ...


E = TypeVar("E", bound=_Linked)


def verify_links(entries: list[E], recompute: Callable[[E], str], *, after: E | None = None) -> bool:
    """Whether `entries`, in order, continue the chain after `after` (None: from its first entry) unbroken:
    consecutive sequence numbers, each naming the hash of the one before, each hash recomputed."""
    prev_hash = after.hash if after is not None else GENESIS_HASH
    first_seq = after.seq + 1 if after is not None else 1
    for expected_seq, entry in enumerate(entries, start=first_seq):
        if entry.seq != expected_seq or entry.prev_hash != prev_hash or entry.hash != recompute(entry):
            return False
        prev_hash = entry.hash
    return True


def verify_chain(entries: list[AuditEntry]) -> bool:
    """Whether `entries`, in order, form one unbroken chain from the envelope's first event on."""
    return verify_links(entries, _recompute)


def verify_tenant_chain(entries: list[TenantAuditEntry], *, after: TenantAuditEntry | None = None) -> bool:
    """Whether `entries`, in order, continue the tenant's chain after `after` (None: from its first act) unbroken."""
    return verify_links(entries, _recompute_tenant, after=after)


def _recompute(entry: AuditEntry) -> str:
    return entry_hash(
        envelope_id=entry.envelope_id, seq=entry.seq, type=entry.type, at=entry.at,
        actor=entry.actor, data=entry.data, prev_hash=entry.prev_hash,
    )


def _recompute_tenant(entry: TenantAuditEntry) -> str:
    return tenant_entry_hash(
        tenant_id=entry.tenant_id, seq=entry.seq, type=entry.type, at=entry.at,
        actor=entry.actor, data=entry.data, prev_hash=entry.prev_hash,
    )
