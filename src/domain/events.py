"""Domain events: facts the aggregates record, written to the audit chain and outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """Something that happened to an envelope, by whom and when.

    `type` is the stable event name (``EnvelopeSent``, ``SignerSigned``...); `data` holds
    plain JSON-compatible values only, because it is hashed into the audit chain.
    """

    type: str
    envelope_id: str
    at: datetime
    actor: str
    data: dict[str, Any] = field(default_factory=dict)
