"""Webhook endpoints and deliveries in memory, and a sender that records each post."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.database import FakeDatabase, Writes
from undersign.application.webhooks.ports import WebhookResult
from undersign.domain.errors import ConcurrencyConflict, InvalidInput
from undersign.domain.webhook import WebhookDelivery, WebhookEndpoint


class FakeWebhookEndpoints:
    def __init__(self, db: FakeDatabase, writes: Writes) -> None:
        self._db, self._writes = db, writes

    async def add(self, endpoint: WebhookEndpoint) -> None:
        stored = copy.deepcopy(endpoint)

        def check() -> None:
            if endpoint.id in self._db.webhook_endpoints:
                raise ConcurrencyConflict(f"webhook {endpoint.id} already exists")

        self._writes.stage(check, lambda: self._db.webhook_endpoints.__setitem__(endpoint.id, stored))

    async def get(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        found = self._db.webhook_endpoints.get(endpoint_id)
        return copy.deepcopy(found) if found and found.tenant_id == tenant_id else None

    async def save(self, endpoint: WebhookEndpoint) -> None:
        stored = copy.deepcopy(endpoint)

        def apply() -> None:
            current = self._db.webhook_endpoints.get(endpoint.id)
            if current is not None and current.tenant_id == endpoint.tenant_id:  # an UPDATE of nothing otherwise
                self._db.webhook_endpoints[endpoint.id] = stored

        self._writes.stage(lambda: None, apply)

    async def delete(self, tenant_id: str, endpoint_id: str) -> None:
        def apply() -> None:
            current = self._db.webhook_endpoints.get(endpoint_id)
            if current is not None and current.tenant_id == tenant_id:
                del self._db.webhook_endpoints[endpoint_id]

        self._writes.stage(lambda: None, apply)

    async def for_tenant(self, tenant_id: str) -> list[WebhookEndpoint]:
        found = sorted(
            (e for e in self._db.webhook_endpoints.values() if e.tenant_id == tenant_id),
            key=lambda e: (e.created_at, e.id),
        )
        return copy.deepcopy(found)


class FakeWebhookDeliveries:
    def __init__(self, db: FakeDatabase, writes: Writes) -> None:
        self._db, self._writes = db, writes
        self._read_attempts: dict[str, set[int]] = {}  # attempt numbers as this unit of work read them

    async def add(self, delivery: WebhookDelivery) -> None:
        stored = copy.deepcopy(delivery)
        # A delivery with its id is kept as it is: a repeated dispatch adds nothing.
        self._writes.stage(lambda: None, lambda: self._db.webhook_deliveries.setdefault(delivery.id, stored))
        self._read_attempts[delivery.id] = {a.number for a in delivery.attempts}

    async def get(self, tenant_id: str, delivery_id: str) -> WebhookDelivery | None:
        found = self._db.webhook_deliveries.get(delivery_id)
        if found is None or found.tenant_id != tenant_id:
            return None
        self._read_attempts[delivery_id] = {a.number for a in found.attempts}
        return copy.deepcopy(found)

    async def save(self, delivery: WebhookDelivery) -> None:
        """As in SQL: the status is overwritten, attempts it had not read are added, and one someone else added first conflicts."""
        current = self._db.webhook_deliveries.get(delivery.id)
        known = self._read_attempts.get(delivery.id)
        if known is None:
            known = {a.number for a in current.attempts} if current else set()
        new = [a for a in delivery.attempts if a.number not in known]
        status = delivery.status

        def check() -> None:
            stored = self._db.webhook_deliveries.get(delivery.id)
            if stored is not None and {a.number for a in stored.attempts} & {a.number for a in new}:
                raise ConcurrencyConflict(f"delivery {delivery.id} got an attempt since it was read")

        def apply() -> None:
            stored = self._db.webhook_deliveries.get(delivery.id)
            if stored is None or stored.tenant_id != delivery.tenant_id:
                return
            self._db.webhook_deliveries[delivery.id] = replace(
                stored, status=status, attempts=sorted([*stored.attempts, *new], key=lambda a: a.number)
            )

        self._writes.stage(check, apply)
        self._read_attempts[delivery.id] = known | {a.number for a in new}

    async def for_endpoint(
        self, tenant_id: str, endpoint_id: str, *, limit: int, before: str | None
    ) -> list[WebhookDelivery]:
        mine = [d for d in self._db.webhook_deliveries.values() if d.tenant_id == tenant_id and d.endpoint_id == endpoint_id]
        found = sorted(mine, key=lambda d: (d.created_at, d.id), reverse=True)
        if before is not None:
            cursor = next((d for d in mine if d.id == before), None)
            found = [] if cursor is None else [d for d in found if (d.created_at, d.id) < (cursor.created_at, cursor.id)]
        return copy.deepcopy(found[:limit])


@dataclass
class FakeWebhookSender:
    """An endpoint that refuses (500) its first `refuse_first` deliveries, then accepts (200); keeps every one.

    Hosts in `refused_hosts` are what check_target refuses (private or loopback addresses).
    """

    refuse_first: int = 0
    refused_hosts: set[str] = field(default_factory=set)
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def check_target(self, url: str) -> None:
        host = urlsplit(url).hostname
        if host in self.refused_hosts:
            raise InvalidInput(f"{host} is not a host webhooks may go to")

    async def send(self, *, url: str, secrets: list[str], message_id: str, at: datetime, body: bytes) -> WebhookResult:
        status_code = 500 if self.refuse_first > 0 else 200
        self.refuse_first = max(0, self.refuse_first - 1)
        self.sent.append({"url": url, "secrets": list(secrets), "message_id": message_id, "at": at, "body": body,
                          "status_code": status_code})
        return WebhookResult(status_code=status_code, error=None, duration_ms=12)
