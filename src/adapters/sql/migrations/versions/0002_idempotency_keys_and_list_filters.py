"""Idempotency keys; recipients' emails indexed for listing envelopes by recipient.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

- `idempotency_keys`: one row per tenant and key, the request that claimed it and, once
  done, its response (see application.idempotency). Its primary key serves the lookups;
  ix_idempotency_keys_tenant_expires the lazy purge of a tenant's expired keys.
- `signers.email` becomes a bounded, byte-wise string (it was TEXT, which MySQL cannot
  index without a prefix, and compares by collation there): emails are stored lower-cased,
  so byte-wise is the case-insensitive match the API promises, on every server.
- ix_signers_tenant_email_envelope (tenant_id, email, envelope_id): the envelope ids of a
  recipient, from the index alone (GET /v1/envelopes?signer_email=). The envelopes' own
  keyset indexes from 0001 (tenant_id[, status], created_at, id) serve the status and
  created_after/created_before filters and the cursor.

Self-contained like 0001 (types spelled out here) and portable across SQLite, PostgreSQL
and MySQL/MariaDB; the ALTER goes through batch mode, which rebuilds the table on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
MAX_EMAIL_LENGTH = 254


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


def _blob() -> sa.types.TypeEngine:
    return sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("idempotency_key", _id(255), nullable=False),
        sa.Column("fingerprint", _id(), nullable=False),
        sa.Column("claim", _id(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_headers", _json(), nullable=True),
        sa.Column("response_body", _blob(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "idempotency_key", name="pk_idempotency_keys"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_idempotency_keys_tenant_id_tenants"),
        **MYSQL,
    )
    op.create_index("ix_idempotency_keys_tenant_expires", "idempotency_keys", ["tenant_id", "expires_at"])

    with op.batch_alter_table("signers") as batch:
        batch.alter_column("email", type_=_id(MAX_EMAIL_LENGTH), existing_type=sa.Text(), existing_nullable=False)
    op.create_index("ix_signers_tenant_email_envelope", "signers", ["tenant_id", "email", "envelope_id"])


def downgrade() -> None:
    op.drop_index("ix_signers_tenant_email_envelope", table_name="signers")
    with op.batch_alter_table("signers") as batch:
        batch.alter_column("email", type_=sa.Text(), existing_type=_id(MAX_EMAIL_LENGTH), existing_nullable=False)
    op.drop_table("idempotency_keys")
