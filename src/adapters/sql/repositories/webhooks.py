"""Webhook endpoints, and the deliveries to them with their attempts (each attempt number written once)."""

from __future__ import annotations

from sqlalchemy import Select, delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from undersign.adapters.sql.repositories.shared import FRESH, NO_SYNC, add_row, conflicts_raise
from undersign.adapters.sql.tables.base import column_values
from undersign.adapters.sql.tables.webhooks import WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow
from undersign.domain.webhook import WebhookDelivery, WebhookEndpoint


class SqlWebhookEndpoints:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, endpoint: WebhookEndpoint) -> None:
        await add_row(self._session, WebhookEndpointRow.from_domain(endpoint), f"webhook {endpoint.id} already exists")

    async def get(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        row = await self._session.scalar(
            select(WebhookEndpointRow)
            .where(WebhookEndpointRow.tenant_id == tenant_id, WebhookEndpointRow.id == endpoint_id)
            .execution_options(**FRESH)
        )
        return row.to_domain() if row else None

    async def save(self, endpoint: WebhookEndpoint) -> None:
        values = column_values(WebhookEndpointRow.from_domain(endpoint))
        del values["id"], values["tenant_id"]
        await self._session.execute(
            update(WebhookEndpointRow)
            .where(WebhookEndpointRow.id == endpoint.id, WebhookEndpointRow.tenant_id == endpoint.tenant_id)
            .values(**values)
            .execution_options(**NO_SYNC)
        )

    async def delete(self, tenant_id: str, endpoint_id: str) -> None:
        await self._session.execute(
            delete(WebhookEndpointRow)
            .where(WebhookEndpointRow.tenant_id == tenant_id, WebhookEndpointRow.id == endpoint_id)
            .execution_options(**NO_SYNC)
        )

    async def for_tenant(self, tenant_id: str) -> list[WebhookEndpoint]:
        rows = await self._session.scalars(
            select(WebhookEndpointRow)
            .where(WebhookEndpointRow.tenant_id == tenant_id)
            .order_by(WebhookEndpointRow.created_at, WebhookEndpointRow.id)
            .execution_options(**FRESH)
        )
        return [row.to_domain() for row in rows]


class SqlWebhookDeliveries:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Attempt numbers each delivery had when this unit of work read or wrote it: only
        # later ones are inserted, so an attempt someone else recorded meanwhile collides.
        self._stored: dict[str, set[int]] = {}

    async def add(self, delivery: WebhookDelivery) -> None:
        """Look, then insert: ids are deterministic, so a repeated dispatch finds its delivery here.

        Two dispatchers adding the same new delivery at once both find none; the second
        insert then fails on the primary key, as ConcurrencyConflict (its messages stay
        pending and the next dispatch finds the delivery).
        """
        exists = await self._session.scalar(select(WebhookDeliveryRow.id).where(WebhookDeliveryRow.id == delivery.id))
        if exists is not None:
            return
        await add_row(self._session, WebhookDeliveryRow.from_domain(delivery), f"delivery {delivery.id} was just added")
        self._stored[delivery.id] = {a.number for a in delivery.attempts}

    async def get(self, tenant_id: str, delivery_id: str) -> WebhookDelivery | None:
        row = await self._session.scalar(
            self._select().where(WebhookDeliveryRow.tenant_id == tenant_id, WebhookDeliveryRow.id == delivery_id)
        )
        return self._loaded(row).to_domain() if row else None

    async def save(self, delivery: WebhookDelivery) -> None:
        stored = self._stored.get(delivery.id)
        if stored is None:
            stored = set(
                await self._session.scalars(
                    select(WebhookAttemptRow.number).where(WebhookAttemptRow.delivery_id == delivery.id)
                )
            )
        new = [WebhookAttemptRow.from_domain(delivery.id, a) for a in delivery.attempts if a.number not in stored]
        with conflicts_raise(f"delivery {delivery.id} got an attempt since it was read"):
            if new:
                await self._session.execute(insert(WebhookAttemptRow), [column_values(a) for a in new])
            await self._session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == delivery.id, WebhookDeliveryRow.tenant_id == delivery.tenant_id)
                .values(status=delivery.status.value)
                .execution_options(**NO_SYNC)
            )
        self._stored[delivery.id] = stored | {a.number for a in new}

    async def for_endpoint(
        self, tenant_id: str, endpoint_id: str, *, limit: int, before: str | None
    ) -> list[WebhookDelivery]:
        """Along ix_webhook_deliveries_tenant_endpoint (tenant_id, endpoint_id, created_at, id), backwards from the cursor."""
        query = self._select().where(
            WebhookDeliveryRow.tenant_id == tenant_id, WebhookDeliveryRow.endpoint_id == endpoint_id
        )
        if before is not None:
            cursor = await self._session.get(WebhookDeliveryRow, before)
            if cursor is None or cursor.tenant_id != tenant_id or cursor.endpoint_id != endpoint_id:
                return []
            query = query.where(
                tuple_(WebhookDeliveryRow.created_at, WebhookDeliveryRow.id) < (cursor.created_at, cursor.id)
            )
        order = (WebhookDeliveryRow.created_at.desc(), WebhookDeliveryRow.id.desc())
        rows = await self._session.scalars(query.order_by(*order).limit(limit))
        return [self._loaded(row).to_domain() for row in rows]

    def _loaded(self, row: WebhookDeliveryRow) -> WebhookDeliveryRow:
        self._stored[row.id] = {a.number for a in row.attempts}
        return row

    @staticmethod
    def _select() -> Select[WebhookDeliveryRow]:
        return (
            select(WebhookDeliveryRow)
            .options(selectinload(WebhookDeliveryRow.attempts))
            .execution_options(**FRESH)
        )
