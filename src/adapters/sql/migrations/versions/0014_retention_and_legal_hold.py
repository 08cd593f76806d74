"""Retention per policy and legal hold: when an ended envelope's documents are purged, and what keeps them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

- `envelopes.purge_after`: when the envelope's documents are due for purge (its end plus its
  policy snapshot's retention_days); `purge_started_at`, `purged_at`: the purge's two steps
  (application.retention.purge); `legal_hold_reason`, `legal_hold_since`, `legal_hold_by`: the
  legal hold, while one stands.
- `ix_envelopes_purge (purged_at, purge_after, id)`: the retention run finds the due envelopes
  along it (purged_at IS NULL, purge_after <= now), never by a scan.
- Envelopes that ended before this revision get their purge_after: completed ones from
  completed_at, declined, voided and expired ones from updated_at (the last change they had, their
  end), plus the retention_days of the policy they were sent with.

Self-contained like the earlier revisions, and portable across SQLite, PostgreSQL and MySQL/MariaDB;
the columns are added through batch mode, which rebuilds the table on SQLite.
"""

import json
from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENDED = ("completed", "declined", "voided", "expired")
BATCH = 500


def _timestamp() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _json() -> sa.types.TypeEngine:
    return sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("envelopes") as batch:
        batch.add_column(sa.Column("purge_after", _timestamp(), nullable=True))
        batch.add_column(sa.Column("purge_started_at", _timestamp(), nullable=True))
        batch.add_column(sa.Column("purged_at", _timestamp(), nullable=True))
        batch.add_column(sa.Column("legal_hold_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("legal_hold_since", _timestamp(), nullable=True))
        batch.add_column(sa.Column("legal_hold_by", sa.String(100), nullable=True))
        batch.create_index("ix_envelopes_purge", ["purged_at", "purge_after", "id"])
    _fill_in_purge_after()


def _fill_in_purge_after() -> None:
    """Each ended envelope's purge date, from its end and its policy snapshot's retention_days.

    The policy is JSON text, which no SQL function reads the same way on every server, so the rows
    are read here, a batch at a time by id, and the dates written back in one executemany per batch.
    The timestamps go through the same plain DateTime type both ways, so they are stored as read.
    """
    envelopes = sa.table(
        "envelopes", sa.column("id", sa.String(64)), sa.column("status", sa.String(16)),
        sa.column("policy", _json()), sa.column("completed_at", _timestamp()), sa.column("updated_at", _timestamp()),
        sa.column("purge_after", _timestamp()),
    )
    bind = op.get_bind()
    after = ""
    while True:
        rows = bind.execute(
            sa.select(envelopes.c.id, envelopes.c.status, envelopes.c.policy, envelopes.c.completed_at,
                      envelopes.c.updated_at)
            .where(envelopes.c.status.in_(ENDED), envelopes.c.id > after)
            .order_by(envelopes.c.id)
            .limit(BATCH)
        ).all()
        dates = []
        for envelope_id, status, policy, completed_at, updated_at in rows:
            ended_at = completed_at if status == "completed" else updated_at
            if policy is None or ended_at is None:
                continue  # never sent with a policy: nothing says how long to keep it, so it is kept
            retention_days = json.loads(policy).get("retention_days", 3650)
            dates.append({"b_id": envelope_id, "b_purge_after": ended_at + timedelta(days=retention_days)})
        if dates:
            bind.execute(
                envelopes.update().where(envelopes.c.id == sa.bindparam("b_id")).values(
                    purge_after=sa.bindparam("b_purge_after")
                ),
                dates,
            )
        if len(rows) < BATCH:
            return
        after = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("envelopes") as batch:
        batch.drop_index("ix_envelopes_purge")
        for column in (
            "legal_hold_by", "legal_hold_since", "legal_hold_reason", "purged_at", "purge_started_at", "purge_after",
        ):
            batch.drop_column(column)
