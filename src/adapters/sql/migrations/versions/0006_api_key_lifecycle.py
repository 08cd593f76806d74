"""API keys as credentials with a life: expiry, last use, a description, who made them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

- `api_keys.expires_at`: after it the key is refused (NULL: it does not expire).
- `api_keys.last_used_at`: when the key last authenticated, to within a minute (written at
  most once a minute per key and API process, not on every request).
- `api_keys.description`: what the key is for (at most 200 characters; keys made before are
  given "").
- `api_keys.created_by`: who made it, `api_key:<id>` or `cli:<user>` (NULL for keys made
  before, and when the CLI cannot tell who runs it).
- `ix_api_keys_tenant_created` (tenant_id, created_at, id): a tenant's keys newest first, a
  page at a time.

Roles owner and auditor join admin, sender and viewer; `role` stays a string of at most 16
characters, so stored keys keep their meaning and nothing is rewritten.

Self-contained like the earlier revisions (types spelled out here) and portable across
SQLite, PostgreSQL and MySQL/MariaDB; column changes go through batch mode.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


MAX_DESCRIPTION_LENGTH = 200
MAX_CREATED_BY_LENGTH = 100


def _id(length: int = 64) -> sa.types.TypeEngine:
    return (
        sa.String(length)
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
        .with_variant(mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb")
    )


def _timestamp() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    description = sa.String(MAX_DESCRIPTION_LENGTH)
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("expires_at", _timestamp(), nullable=True))
        batch.add_column(sa.Column("last_used_at", _timestamp(), nullable=True))
        batch.add_column(sa.Column("description", description, nullable=False, server_default=""))
        batch.add_column(sa.Column("created_by", sa.String(MAX_CREATED_BY_LENGTH), nullable=True))
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("description", server_default=None, existing_type=description, existing_nullable=False)
    op.create_index("ix_api_keys_tenant_created", "api_keys", ["tenant_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_api_keys_tenant_created", table_name="api_keys")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("created_by")
        batch.drop_column("description")
        batch.drop_column("last_used_at")
        batch.drop_column("expires_at")
