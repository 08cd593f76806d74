"""The outbox of recorded events, the database job queue and the dead letters of failed jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from undersign.adapters.sql.tables.base import MYSQL_TABLE_OPTIONS, Base, Id, JsonText, UtcDateTime
from undersign.application.background.ports import DeadLetter
from undersign.application.shared.jobs import Job
from undersign.application.shared.outbox import OutboxMessage


class OutboxMessageRow(Base):
    """A recorded event waiting for the dispatcher; kept, with the time it was dispatched, once it is.

    No foreign keys: the outbox is a queue beside the audit chain, not part of it.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        # The pending messages, oldest first: the leading `dispatched_at IS NULL` is an
        # equality every server's index range understands (no partial index, which MySQL lacks).
        Index("ix_outbox_pending", "dispatched_at", "at", "id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = mapped_column(Id(128), primary_key=True)  # "<envelope id>:<audit seq>"
    tenant_id: Mapped[str] = mapped_column(Id())
    envelope_id: Mapped[str] = mapped_column(Id())
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JsonText())
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @classmethod
    def from_domain(cls, message: OutboxMessage) -> OutboxMessageRow:
        return cls(
            id=message.id, tenant_id=message.tenant_id, envelope_id=message.envelope_id, type=message.type,
            at=message.at, actor=message.actor, data=message.data, dispatched_at=None,
        )

    def to_domain(self) -> OutboxMessage:
        return OutboxMessage(
            id=self.id, tenant_id=self.tenant_id, envelope_id=self.envelope_id, type=self.type, at=self.at,
            actor=self.actor, data=self.data,
        )


JOB_ID_LENGTH = 255


class JobRow(Base):
    """A job of the database-backed queue (adapters.sql.job_store), from enqueueing until it is finished.

    `attempt` counts the claims so far; `leased_until` is set while a runner has it; the runners
    of a `lane` claim only its jobs.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_lane_run_at", "lane", "run_at", "id"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = mapped_column(Id(JOB_ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, str]] = mapped_column(JsonText())
    lane: Mapped[str] = mapped_column(String(16), server_default="routine")
    run_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attempt: Mapped[int] = mapped_column(Integer)
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DeadLetterRow(Base):
    __tablename__ = "dead_letters"
    __table_args__ = (Index("ix_dead_letters_failed_at", "failed_at", "id"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = mapped_column(Id(JOB_ID_LENGTH), primary_key=True)
    job_id: Mapped[str] = mapped_column(Id(JOB_ID_LENGTH))
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, str]] = mapped_column(JsonText())
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime())

    @classmethod
    def from_domain(cls, letter: DeadLetter) -> DeadLetterRow:
        return cls(
            id=letter.id, job_id=letter.job.id, name=letter.job.name, args=dict(letter.job.args),
            attempts=letter.attempts, error=letter.error, failed_at=letter.failed_at,
        )

    def to_domain(self) -> DeadLetter:
        return DeadLetter(
            id=self.id, job=Job(id=self.job_id, name=self.name, args=dict(self.args)), attempts=self.attempts,
            error=self.error, failed_at=self.failed_at,
        )
