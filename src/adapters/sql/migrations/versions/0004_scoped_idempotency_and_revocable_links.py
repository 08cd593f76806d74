"""Idempotency records per API key; signing links that a newer link revokes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

- `idempotency_keys` gains `credential_id` (the API key that claimed the record) in its
  primary key: a stored response is only ever replayed to the credential that made the
  request. The table is made anew: its records are retries' memory for 24 hours, and old
  ones cannot say which key made them. A request in flight across the upgrade that is
  retried afterwards is done again rather than replayed.
- `signing_links.channel` ("api": handed to the sender's system, "email": mailed by the
  platform; links issued before are taken as "api", the channel whose new links revoke
  every older one) and `signing_links.revoked_at`, set on older links of a recipient when a
  new one is issued; ix_signing_links_recipient (envelope_id, signer_id) finds them.

Self-contained like the earlier revisions (types spelled out here) and portable across
SQLite, PostgreSQL and MySQL/MariaDB; column changes go through batch mode.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
MAX_IDEMPOTENCY_KEY_LENGTH = 255


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


def _idempotency_keys(*key: str) -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", _id(), nullable=False),
        *([sa.Column("credential_id", _id(), nullable=False)] if "credential_id" in key else []),
        sa.Column("idempotency_key", _id(MAX_IDEMPOTENCY_KEY_LENGTH), nullable=False),
        sa.Column("fingerprint", _id(), nullable=False),
        sa.Column("claim", _id(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_headers", _json(), nullable=True),
        sa.Column("response_body", _blob(), nullable=True),
        sa.PrimaryKeyConstraint(*key, name="pk_idempotency_keys"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_idempotency_keys_tenant_id_tenants"),
        **MYSQL,
    )
    op.create_index("ix_idempotency_keys_tenant_expires", "idempotency_keys", ["tenant_id", "expires_at"])


def upgrade() -> None:
    op.drop_table("idempotency_keys")
    _idempotency_keys("tenant_id", "credential_id", "idempotency_key")
    with op.batch_alter_table("signing_links") as batch:
        batch.add_column(sa.Column("channel", _id(16), nullable=False, server_default="api"))
        batch.add_column(sa.Column("revoked_at", _timestamp(), nullable=True))
    with op.batch_alter_table("signing_links") as batch:
        batch.alter_column("channel", server_default=None, existing_type=_id(16), existing_nullable=False)
    op.create_index("ix_signing_links_recipient", "signing_links", ["envelope_id", "signer_id"])


def downgrade() -> None:
    op.drop_index("ix_signing_links_recipient", table_name="signing_links")
    with op.batch_alter_table("signing_links") as batch:
        batch.drop_column("revoked_at")
        batch.drop_column("channel")
    op.drop_table("idempotency_keys")
    _idempotency_keys("tenant_id", "idempotency_key")
