"""The tenant audit log: each tenant's administrative acts, hash-chained like an envelope's audit trail.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

- `tenant_audit_entries`: one row per act (an API key created or revoked; later users, roles,
  SSO settings, sign-ins), exactly as chained and hashed (domain/audit.py): sequence number,
  type, time (UTC), actor, data (JSON text, as hashed), the previous entry's hash and its own.
  Its primary key (tenant_id, seq) keeps each tenant's chain linear: of two acts appended after
  the same entry, the second to write is refused (and its use case starts again). It also serves
  every page of a tenant's log, oldest first.

Nothing existing is rewritten: acts before this revision were not recorded, so each tenant's
chain starts with its first act after it.

Self-contained like the earlier revisions (types spelled out here) and portable across
SQLite, PostgreSQL and MySQL/MariaDB.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}


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
        "tenant_audit_entries",
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("at", _timestamp(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.Column("prev_hash", _id(), nullable=False),
        sa.Column("hash", _id(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "seq", name="pk_tenant_audit_entries"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_tenant_audit_entries_tenant_id_tenants"),
        **MYSQL,
    )


def downgrade() -> None:
    op.drop_table("tenant_audit_entries")
