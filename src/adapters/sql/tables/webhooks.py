"""Webhook endpoints, the deliveries of events to them and each delivery's attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from undersign.adapters.sql.tables.base import MYSQL_TABLE_OPTIONS, Base, Id, JsonText, UtcDateTime
from undersign.domain.webhook import DeliveryAttempt, DeliveryStatus, WebhookDelivery, WebhookEndpoint


class WebhookEndpointRow(Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        # A tenant's endpoints, oldest first (and the index MySQL wants for the foreign key).
        Index("ix_webhook_endpoints_tenant_created", "tenant_id", "created_at", "id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Id(), ForeignKey("tenants.id"))
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JsonText())  # sorted
    secret: Mapped[str] = mapped_column(String(255))
    previous_secret: Mapped[str | None] = mapped_column(String(255))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    @classmethod
    def from_domain(cls, endpoint: WebhookEndpoint) -> WebhookEndpointRow:
        return cls(
            id=endpoint.id, tenant_id=endpoint.tenant_id, url=endpoint.url, events=sorted(endpoint.events),
            secret=endpoint.secret, previous_secret=endpoint.previous_secret,
            previous_secret_until=endpoint.previous_secret_until, description=endpoint.description,
            created_at=endpoint.created_at,
        )

    def to_domain(self) -> WebhookEndpoint:
        return WebhookEndpoint(
            id=self.id, tenant_id=self.tenant_id, url=self.url, events=frozenset(self.events), secret=self.secret,
            created_at=self.created_at, description=self.description, previous_secret=self.previous_secret,
            previous_secret_until=self.previous_secret_until,
        )


class WebhookDeliveryRow(Base):
    """One event for one endpoint. No foreign key to the endpoint: deliveries outlive a deleted endpoint."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # An endpoint's deliveries by id, read backwards from the cursor.
        Index("ix_webhook_deliveries_tenant_endpoint", "tenant_id", "endpoint_id", "created_at", "id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Id())
    endpoint_id: Mapped[str] = mapped_column(Id())
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonText())
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    attempts: Mapped[list[WebhookAttemptRow]] = relationship(
        order_by="WebhookAttemptRow.number", lazy="raise", cascade="all, delete-orphan"
    )

    @classmethod
    def from_domain(cls, delivery: WebhookDelivery) -> WebhookDeliveryRow:
        return cls(
            id=delivery.id, tenant_id=delivery.tenant_id, endpoint_id=delivery.endpoint_id,
            event_type=delivery.event_type, payload=delivery.payload, status=delivery.status.value,
            created_at=delivery.created_at,
            attempts=[WebhookAttemptRow.from_domain(delivery.id, a) for a in delivery.attempts],
        )

    def to_domain(self) -> WebhookDelivery:
        """Needs `attempts` loaded."""
        return WebhookDelivery(
            id=self.id, tenant_id=self.tenant_id, endpoint_id=self.endpoint_id, event_type=self.event_type,
            payload=self.payload, created_at=self.created_at, status=DeliveryStatus(self.status),
            attempts=[a.to_domain() for a in self.attempts],
        )


class WebhookAttemptRow(Base):
    """An attempt at a delivery. Its primary key (delivery_id, number) lets only one writer record each number."""

    __tablename__ = "webhook_attempts"

    delivery_id: Mapped[str] = mapped_column(
        Id(), ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)

    @classmethod
    def from_domain(cls, delivery_id: str, attempt: DeliveryAttempt) -> WebhookAttemptRow:
        return cls(
            delivery_id=delivery_id, number=attempt.number, at=attempt.at, status_code=attempt.status_code,
            error=attempt.error, duration_ms=attempt.duration_ms,
        )

    def to_domain(self) -> DeliveryAttempt:
        return DeliveryAttempt(
            number=self.number, at=self.at, status_code=self.status_code, error=self.error,
            duration_ms=self.duration_ms,
        )
