"""The audit chain: every event of an envelope, each entry carrying the hash of the one before.

Changing, removing or reordering any stored entry breaks the chain from that entry on,
which `verify_chain` detects.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from undersign.domain.events import DomainEvent

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


def entry_hash(
    *, envelope_id: str, seq: int, type: str, at: datetime, actor: str, data: dict[str, Any], prev_hash: str
) -> str:
    """SHA-256 over a canonical JSON form of everything an entry says."""
    canonical = json.dumps(
        {
            "envelope_id": envelope_id,
            "seq": seq,
            "type": type,
            "at": at.isoformat(),
            "actor": actor,
            "data": data,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


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


def verify_chain(entries: list[AuditEntry]) -> bool:
    """Whether `entries`, in order, form one unbroken chain from the first event on."""
    prev_hash = GENESIS_HASH
    for expected_seq, entry in enumerate(entries, start=1):
        recomputed = entry_hash(
            envelope_id=entry.envelope_id, seq=entry.seq, type=entry.type, at=entry.at,
            actor=entry.actor, data=entry.data, prev_hash=entry.prev_hash,
        )
        if entry.seq != expected_seq or entry.prev_hash != prev_hash or entry.hash != recomputed:
            return False
        prev_hash = entry.hash
    return True
