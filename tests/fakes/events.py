"""An event for tests of the audit chain, named and filled as the test needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from undersign.domain.events import DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class AnyEvent(DomainEvent):
    """An event named and filled as a test of the audit chain needs (real ones are domain.events')."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return self.name

    @property
    def data(self) -> dict[str, Any]:
        return self.payload
