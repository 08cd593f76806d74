"""The certificate of completion, made once and stored: the same bytes at every download.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

- `envelopes.certificate_blob_key`, `certificate_sha256`, `certificate_size`,
  `certificate_made_at`: where the envelope's certificate of completion is stored and what its
  bytes hash to, once it is made (when the envelope is sealed). Existing envelopes get none:
  theirs is made once, at its first download, and stored the same way.

Self-contained like the earlier revisions, and portable across SQLite, PostgreSQL and MySQL/MariaDB;
the columns are added through batch mode, which rebuilds the table on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(length: int = 64) -> sa.types.TypeEngine:
    return (
        sa.String(length)
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
        .with_variant(mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb")
    )


def _timestamp() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("envelopes") as batch:
        batch.add_column(sa.Column("certificate_blob_key", sa.String(512), nullable=True))
        batch.add_column(sa.Column("certificate_sha256", _id(), nullable=True))
        batch.add_column(sa.Column("certificate_size", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("certificate_made_at", _timestamp(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("envelopes") as batch:
        for column in ("certificate_made_at", "certificate_size", "certificate_sha256", "certificate_blob_key"):
            batch.drop_column(column)
