"""Where webhook endpoints and deliveries are kept, and who posts a delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from undersign.domain.webhook import WebhookDelivery, WebhookEndpoint


class WebhookEndpoints(Protocol):
    async def add(self, endpoint: WebhookEndpoint) -> None: ...

    async def get(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint | None: ...

    async def save(self, endpoint: WebhookEndpoint) -> None: ...

    async def delete(self, tenant_id: str, endpoint_id: str) -> None:
        """Remove the endpoint; its deliveries stay, for the record."""
        ...

    async def for_tenant(self, tenant_id: str) -> list[WebhookEndpoint]:
        """The tenant's endpoints, oldest first."""
        ...


class WebhookDeliveries(Protocol):
    async def add(self, delivery: WebhookDelivery) -> None:
        """Store a new delivery; nothing happens if one with its id exists (a repeated dispatch)."""
        ...

    async def get(self, tenant_id: str, delivery_id: str) -> WebhookDelivery | None: ...

    async def save(self, delivery: WebhookDelivery) -> None:
        """Write its status and any new attempts."""
        ...

    async def for_endpoint(
        self, tenant_id: str, endpoint_id: str, *, limit: int, before: str | None
    ) -> list[WebhookDelivery]:
        """Up to `limit` of an endpoint's deliveries, newest first (then by id), after the delivery `before` in that order.

        A `before` that is not one of the endpoint's deliveries gives nothing.
        """
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookResult:
    status_code: int | None  # None: no answer
    error: str | None
    duration_ms: int


class WebhookSender(Protocol):
    async def check_target(self, url: str) -> None:
        """Raise InvalidInput if `url`'s host is one deliveries may not go to (private, loopback…)."""
        ...

    async def send(self, *, url: str, secrets: list[str], message_id: str, at: datetime, body: bytes) -> WebhookResult:
        """POST `body` signed per Standard Webhooks with each secret (whsec_…); what came back, never an exception.

        A target that check_target would refuse (its name may resolve elsewhere by now) is
        not contacted: the result says why.
        """
        ...
