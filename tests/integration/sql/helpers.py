"""The backends the persistence contract runs on, and the aggregates its tests build and store."""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fakes.database import FakeDatabase
from tests.fakes.pdf import A4
from tests.fakes.system import FakeBlobStore
from undersign.application.shared.unit_of_work import UnitOfWork
from undersign.domain.document import Document
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.field import PageSize
from undersign.domain.policy import Routing
from undersign.domain.signer import Role, Signer

SQL_BACKENDS = ["sqlite", "postgresql", "mariadb"]
BACKENDS = ["fake", *SQL_BACKENDS]

T0 = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
ACME, GLOBEX = "tenant-acme", "tenant-globex"


@dataclass
class Backend:
    name: str
    uow: Callable[[], UnitOfWork]
    blobs: FakeBlobStore
    engine: AsyncEngine | None = None  # SQL backends only
    db: FakeDatabase | None = None  # the fake backend only

@contextmanager
def statements_sent(backend: Backend) -> Iterator[list[str]]:
    """The SQL statements `backend`'s engine sends while the block runs, in order."""
    assert backend.engine is not None
    sent: list[str] = []

    def listen(conn: object, cursor: object, statement: str, *rest: object) -> None:
        sent.append(statement)

    event.listen(backend.engine.sync_engine, "before_cursor_execute", listen)
    try:
        yield sent
    finally:
        event.remove(backend.engine.sync_engine, "before_cursor_execute", listen)


# -- building aggregates --------------------------------------------------------------------


def draft(envelope_id: str = "env-1", tenant_id: str = ACME, now: datetime = T0) -> Envelope:
    return Envelope.create(
        envelope_id=envelope_id, tenant_id=tenant_id, subject="Lease — 3rd floor", message="Please sign.",
        routing=Routing.SEQUENTIAL, now=now, actor="api_key:k1",
    )


def uploaded(document_id: str = "doc-1", envelope_id: str = "env-1", tenant_id: str = ACME) -> Document:
    return Document.upload(
        document_id=document_id, tenant_id=tenant_id, envelope_id=envelope_id, filename="lease (final).pdf",
        pages=[A4, PageSize(width=612.5, height=792)], blob_key=f"{tenant_id}/{document_id}/0001.pdf",
        sha256="a" * 64, size=48_213, now=T0,
    )


def listed(envelope_id: str, created_at: datetime, status: EnvelopeStatus, tenant_id: str = ACME) -> Envelope:
    return Envelope(
        id=envelope_id, tenant_id=tenant_id, subject=f"Envelope {envelope_id}", message="", routing=Routing.PARALLEL,
        created_at=created_at, status=status, updated_at=created_at,
    )


async def stored(backend: Backend, *envelopes: Envelope, documents: tuple[Document, ...] = ()) -> None:
    async with backend.uow() as uow:
        for envelope in envelopes:
            await uow.envelopes.add(envelope)
        for document in documents:
            await uow.documents.add(document)
        await uow.commit()


async def fetch(backend: Backend, envelope_id: str = "env-1", tenant_id: str = ACME) -> Envelope | None:
    async with backend.uow() as uow:
        return await uow.envelopes.get(tenant_id, envelope_id)


def datetimes_in(value: Any) -> list[datetime]:
    """Every datetime anywhere inside a domain object."""
    if isinstance(value, datetime):
        return [value]
    if is_dataclass(value):
        return [d for f in fields(value) if f.compare for d in datetimes_in(getattr(value, f.name))]
    if isinstance(value, list | tuple):
        return [d for item in value for d in datetimes_in(item)]
    return []


def random_ids(count: int) -> list[str]:
    rng = random.Random(20260301)
    return ["".join(rng.choices(string.ascii_letters + string.digits + "-_", k=12)) for _ in range(count)]

def with_recipients(envelope: Envelope, *recipients: tuple[str, Role]) -> Envelope:
    for n, (email, role) in enumerate(recipients, start=1):
        envelope.signers.append(
            Signer(id=f"{envelope.id}-s{n}", name=email.split("@")[0].title(), email=email, role=role, routing_order=n)
        )
    return envelope
