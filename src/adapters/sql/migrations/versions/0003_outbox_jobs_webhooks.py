"""The outbox, the embedded job queue, dead letters, webhooks; when recipients were notified and reminded.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

- `outbox`: one message per audit entry (id "<envelope id>:<seq>"), written in the
  transaction that records the event, until the dispatcher has turned it into jobs
  (`dispatched_at`). ix_outbox_pending (dispatched_at, at, id) finds the pending ones
  oldest first: `dispatched_at IS NULL` leads, as MySQL has no partial indexes.
- `jobs`: the job queue kept in the database for the runner inside `undersign serve`
  (adapters.sql.job_store); ix_jobs_run_at (run_at, id) finds the due ones.
- `dead_letters`: jobs that failed their last attempt, most recent first.
- `webhook_endpoints` (a tenant's, oldest first), `webhook_deliveries` (one per event and
  endpoint, by id within an endpoint; no foreign key to the endpoint, whose deliveries stay
  when it is deleted) and `webhook_attempts` (delivery_id, number).
- `signers.notified_at`, `signers.reminded_at`: when the recipient's turn came and their
  last reminder, which the reminder cadence counts from. `tenants.sender_name`: how the
  tenant's emails are signed (NULL: its slug).
- ix_envelopes_status_id (status, id): every tenant's sent envelopes by id, for reminders
  and expiry.

Recipients of envelopes already sent get the `notified_at` their SignerNotified audit entry
records, so that reminders keep their cadence across the upgrade and the emails that go to
"everyone who was told of the envelope" (a decline, a void) find them. Only envelopes that
are still sent are filled in: nothing reminds or notifies about the others any more.

Self-contained like 0001 and 0002 (types spelled out here) and portable across SQLite,
PostgreSQL and MySQL/MariaDB; column changes go through batch mode, which on SQLite adds
columns in place and rebuilds the table to drop them.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
JOB_ID_LENGTH = 255
MAX_SENDER_NAME_LENGTH = 100


def _id(length: int = 64) -> sa.types.TypeEngine:
    return (
        sa.String(length)
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
        .with_variant(mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb")
    )


def _timestamp() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _json() -> sa.types.TypeEngine:
    return sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", _id(128), nullable=False),
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("envelope_id", _id(), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("at", _timestamp(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.Column("dispatched_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        **MYSQL,
    )
    op.create_index("ix_outbox_pending", "outbox", ["dispatched_at", "at", "id"])

    op.create_table(
        "jobs",
        sa.Column("id", _id(JOB_ID_LENGTH), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("args", _json(), nullable=False),
        sa.Column("run_at", _timestamp(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("leased_until", _timestamp(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        **MYSQL,
    )
    op.create_index("ix_jobs_run_at", "jobs", ["run_at", "id"])

    op.create_table(
        "dead_letters",
        sa.Column("id", _id(JOB_ID_LENGTH), nullable=False),
        sa.Column("job_id", _id(JOB_ID_LENGTH), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("args", _json(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("failed_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letters"),
        **MYSQL,
    )
    op.create_index("ix_dead_letters_failed_at", "dead_letters", ["failed_at", "id"])

    op.create_table(
        "webhook_endpoints",
        sa.Column("id", _id(), nullable=False),
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", _json(), nullable=False),
        sa.Column("secret", sa.String(255), nullable=False),
        sa.Column("previous_secret", sa.String(255), nullable=True),
        sa.Column("previous_secret_until", _timestamp(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_endpoints"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_webhook_endpoints_tenant_id_tenants"),
        **MYSQL,
    )
    op.create_index("ix_webhook_endpoints_tenant_created", "webhook_endpoints", ["tenant_id", "created_at", "id"])

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", _id(), nullable=False),
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("endpoint_id", _id(), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        **MYSQL,
    )
    op.create_index(
        "ix_webhook_deliveries_tenant_endpoint", "webhook_deliveries", ["tenant_id", "endpoint_id", "created_at", "id"]
    )

    op.create_table(
        "webhook_attempts",
        sa.Column("delivery_id", _id(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", _timestamp(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", "number", name="pk_webhook_attempts"),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["webhook_deliveries.id"], name="fk_webhook_attempts_delivery_id_webhook_deliveries",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )

    with op.batch_alter_table("signers") as batch:
        batch.add_column(sa.Column("notified_at", _timestamp(), nullable=True))
        batch.add_column(sa.Column("reminded_at", _timestamp(), nullable=True))
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("sender_name", sa.String(MAX_SENDER_NAME_LENGTH), nullable=True))
    op.create_index("ix_envelopes_status_id", "envelopes", ["status", "id"])

    _fill_in_notified_at()


def _fill_in_notified_at() -> None:
    """Copy each SignerNotified entry's time into its recipient's notified_at, for envelopes still sent.

    The signer's id is inside the entry's JSON text, which no SQL function reads the same
    way on every server, so the entries are read here and the times written back in one
    executemany. The timestamps go through the same plain DateTime type both ways, so
    they are stored exactly as they were read.
    """
    envelopes = sa.table("envelopes", sa.column("id", _id()), sa.column("status", sa.String(16)))
    audit = sa.table(
        "audit_events", sa.column("envelope_id", _id()), sa.column("seq", sa.Integer()),
        sa.column("type", sa.String(64)), sa.column("at", _timestamp()), sa.column("data", _json()),
    )
    signers = sa.table(
        "signers", sa.column("id", _id()), sa.column("envelope_id", _id()), sa.column("status", sa.String(16)),
        sa.column("notified_at", _timestamp()),
    )
    bind = op.get_bind()
    entries = bind.execute(
        sa.select(audit.c.envelope_id, audit.c.at, audit.c.data)
        .join(envelopes, envelopes.c.id == audit.c.envelope_id)
        .where(envelopes.c.status == "sent", audit.c.type == "SignerNotified")
        .order_by(audit.c.envelope_id, audit.c.seq)
    )
    notified: dict[tuple[str, str], object] = {}
    for envelope_id, at, data in entries:
        signer_id = json.loads(data).get("signer_id")
        if signer_id is not None:
            notified[(envelope_id, signer_id)] = at  # a later entry (there should be none) wins
    if not notified:
        return
    bind.execute(
        signers.update()
        .where(
            signers.c.envelope_id == sa.bindparam("b_envelope_id"),
            signers.c.id == sa.bindparam("b_signer_id"),
            signers.c.status != "pending",
        )
        .values(notified_at=sa.bindparam("b_at")),
        [{"b_envelope_id": e, "b_signer_id": s, "b_at": at} for (e, s), at in notified.items()],
    )


def downgrade() -> None:
    op.drop_index("ix_envelopes_status_id", table_name="envelopes")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("sender_name")
    with op.batch_alter_table("signers") as batch:
        batch.drop_column("reminded_at")
        batch.drop_column("notified_at")
    # Dropping a table drops its indexes (MySQL refuses to drop the one a foreign key uses first).
    for table in ("webhook_attempts", "webhook_deliveries", "webhook_endpoints", "dead_letters", "jobs", "outbox"):
        op.drop_table(table)
