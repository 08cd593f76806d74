"""Webhooks: a tenant's endpoints, which events they want, and each event's delivery to each of them.

Deliveries follow the Standard Webhooks specification: the delivery's id is the message id
(the same on every attempt and redelivery), the body is `{"type", "timestamp", "data"}`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from undersign.domain.errors import InvalidInput
from undersign.domain.events import EVENTS
from undersign.domain.text import single_line

# The public names a webhook may subscribe to: those of the events that are published
# (DomainEvent.webhook). Editing a draft is not published.
PUBLIC_EVENTS = frozenset(event.webhook for event in EVENTS.values() if event.webhook)

# What of an event's data a webhook carries: identifiers and outcomes, and how a signer was
# authenticated; never the rest of the evidence (IP addresses, user agents, field values stay
# in the audit trail).
PUBLISHED_DATA = ("signer_id", "role", "reason", "expires_at", "document_ids", "auth_method", "method")

MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 200


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # every attempt failed; an operator or the tenant may redeliver


def check_webhook_url(url: str) -> str:
    """The URL as given if it can be a webhook target: http(s), a host, no credentials, no fragment.

    Whether the host is a private or loopback address is for the adapter that resolves it.
    """
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"a webhook URL has at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise InvalidInput(f"{url!r} is not a URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput("a webhook URL starts with https:// (or http://) and names a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("a webhook URL cannot carry credentials: verify deliveries by their signature")
    if parts.fragment:
        raise InvalidInput("a webhook URL cannot have a fragment")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise InvalidInput("a webhook URL cannot contain spaces or control characters")
    return url


def check_event_names(names: list[str]) -> frozenset[str]:
    if not names:
        raise InvalidInput(f"a webhook needs at least one event: {', '.join(sorted(PUBLIC_EVENTS))}")
    unknown = sorted(set(names) - PUBLIC_EVENTS)
    if unknown:
        raise InvalidInput(f"unknown events {', '.join(unknown)}; known: {', '.join(sorted(PUBLIC_EVENTS))}")
    return frozenset(names)


@dataclass(slots=True, kw_only=True)
class WebhookEndpoint:
    """Where a tenant wants to hear about events. `secret` signs every delivery (whsec_…)."""

    id: str
    tenant_id: str
    url: str
    events: frozenset[str]
    secret: str = field(repr=False)
    created_at: datetime
    description: str = ""
    # After a rotation the old secret signs too, for a while, so receivers can switch without dropping any.
    previous_secret: str | None = field(default=None, repr=False)
    previous_secret_until: datetime | None = None

    @classmethod
    def register(
        cls, *, endpoint_id: str, tenant_id: str, url: str, events: list[str], secret: str, description: str, now: datetime
    ) -> WebhookEndpoint:
        description = single_line(description, what="a webhook description", max_length=MAX_DESCRIPTION_LENGTH, required=False)
        return cls(
            id=endpoint_id, tenant_id=tenant_id, url=check_webhook_url(url), events=check_event_names(events),
            secret=secret, created_at=now, description=description,
        )

    def wants(self, event_name: str) -> bool:
        return event_name in self.events

    def rotate_secret(self, *, new_secret: str, now: datetime, overlap: timedelta) -> None:
        self.previous_secret, self.previous_secret_until = self.secret, now + overlap
        self.secret = new_secret

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets a delivery at `now` is signed with: the current one, and the previous one while it overlaps."""
        if self.previous_secret and self.previous_secret_until and now < self.previous_secret_until:
            return [self.secret, self.previous_secret]
        return [self.secret]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryAttempt:
    number: int
    at: datetime
    status_code: int | None  # None: no answer (refused, timed out, not allowed)
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(slots=True, kw_only=True)
class WebhookDelivery:
    """One event for one endpoint, with every attempt to deliver it."""

    id: str
    tenant_id: str
    endpoint_id: str
    event_type: str
    payload: dict[str, Any]
    created_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: list[DeliveryAttempt] = field(default_factory=list)

    def record_attempt(self, *, at: datetime, status_code: int | None, error: str | None, duration_ms: int) -> DeliveryAttempt:
        attempt = DeliveryAttempt(
            number=len(self.attempts) + 1, at=at, status_code=status_code, error=error, duration_ms=duration_ms
        )
        self.attempts.append(attempt)
        if attempt.succeeded:
            self.status = DeliveryStatus.SUCCEEDED
        return attempt

    def give_up(self) -> None:
        if self.status is DeliveryStatus.PENDING:
            self.status = DeliveryStatus.FAILED

    def redeliver(self) -> None:
        """Deliver again, on request: the same message (same id), so a receiver that has it can tell."""
        self.status = DeliveryStatus.PENDING


def webhook_payload(*, event_name: str, at: datetime, envelope_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The Standard Webhooks body of an event: its public name, when it happened, and what it is about."""
    published = {key: data[key] for key in PUBLISHED_DATA if key in data}
    return {"type": event_name, "timestamp": at.isoformat(), "data": {"envelope_id": envelope_id, **published}}
