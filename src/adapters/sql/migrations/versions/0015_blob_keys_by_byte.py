"""Blob keys compared byte by byte and indexed: `undersign storage check` pages through them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

- `document_revisions.blob_key` and `envelopes.certificate_blob_key` become byte-compared
  strings (PostgreSQL collation "C", MySQL utf8mb4_bin), like every id: keyset order by key is
  Python's order on every server, so no key is skipped or read twice.
- `ix_document_revisions_blob_key` and `ix_envelopes_certificate_blob_key`: a page by key and a
  lookup of a batch of keys use an index, never a scan.

Self-contained like the earlier revisions, and portable across SQLite, PostgreSQL and MySQL/MariaDB.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = (("document_revisions", "blob_key", False), ("envelopes", "certificate_blob_key", True))


def _by_byte() -> sa.types.TypeEngine:
    return (
        sa.String(512)
        .with_variant(postgresql.VARCHAR(512, collation="C"), "postgresql")
        .with_variant(mysql.VARCHAR(512, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb")
    )


def upgrade() -> None:
    for table, column, nullable in KEYS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=_by_byte(), existing_type=sa.String(512), existing_nullable=nullable)
            batch.create_index(f"ix_{table}_{column}", [column])


def downgrade() -> None:
    for table, column, nullable in KEYS:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_{column}")
            batch.alter_column(column, type_=sa.String(512), existing_type=_by_byte(), existing_nullable=nullable)
