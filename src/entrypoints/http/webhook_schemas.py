"""What goes over the wire for webhooks: endpoints, their secret (shown twice: on creation and rotation), deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from undersign.domain.webhook import (
    MAX_DESCRIPTION_LENGTH,
    MAX_URL_LENGTH,
    PUBLIC_EVENTS,
    WebhookDelivery,
    WebhookEndpoint,
)
from undersign.entrypoints.http.schemas import Request


class RegisterWebhookIn(Request):
    url: Annotated[str, Meta(max_length=MAX_URL_LENGTH)]
    events: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=len(PUBLIC_EVENTS))]
    description: Annotated[str, Meta(max_length=MAX_DESCRIPTION_LENGTH)] = ""


class WebhookOut(msgspec.Struct, kw_only=True):
    id: str
    url: str
    events: list[str]
    description: str
    created_at: datetime


class WebhookWithSecretOut(WebhookOut, kw_only=True):
    secret: str  # whsec_…: shown now and never again


class WebhookListOut(msgspec.Struct, kw_only=True):
    items: list[WebhookOut]


class DeliveryAttemptOut(msgspec.Struct, kw_only=True):
    number: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(msgspec.Struct, kw_only=True):
    id: str  # the webhook-id header of every attempt
    event_type: str
    status: str
    created_at: datetime
    payload: dict[str, object]
    attempts: list[DeliveryAttemptOut]


class DeliveryListOut(msgspec.Struct, kw_only=True):
    items: list[DeliveryOut]
    next_cursor: str | None


def webhook_out(endpoint: WebhookEndpoint) -> WebhookOut:
    return WebhookOut(
        id=endpoint.id, url=endpoint.url, events=sorted(endpoint.events),
        description=endpoint.description, created_at=endpoint.created_at,
    )


def webhook_with_secret_out(endpoint: WebhookEndpoint) -> WebhookWithSecretOut:
    return WebhookWithSecretOut(**msgspec.structs.asdict(webhook_out(endpoint)), secret=endpoint.secret)


def delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id, event_type=delivery.event_type, status=delivery.status.value,
        created_at=delivery.created_at, payload=delivery.payload,
        attempts=[
            DeliveryAttemptOut(number=a.number, at=a.at, status_code=a.status_code, error=a.error, duration_ms=a.duration_ms)
            for a in delivery.attempts
        ],
    )
