"""Signing policies as tenant resources: the languages of the signing page, and the policy a draft names.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

- `policies.languages`: the signing page's language codes, comma-separated, the fallback first
  ("en,ar"). Every existing version gets "en", as the signing page was English only.
- `policies.embedded_signing`: whether senders' applications may authenticate recipients
  themselves and frame their page; no for every existing version.
- `envelopes.policy_id`: the policy chosen for a draft; its current version is copied into the
  envelope when it is sent. Existing envelopes get none: a draft follows the tenant's default, as
  before, and a sent envelope keeps its snapshot. Not a foreign key: policies are keyed by
  (id, version), and the envelope names the policy, not a version of it.

Self-contained like the earlier revisions, and portable across SQLite, PostgreSQL and MySQL/MariaDB;
the columns are added through batch mode, which rebuilds the table on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(length: int = 64) -> sa.types.TypeEngine:
    return (
        sa.String(length)
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
        .with_variant(mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb")
    )


def upgrade() -> None:
    with op.batch_alter_table("policies") as batch:
        batch.add_column(sa.Column("languages", sa.String(64), nullable=False, server_default="en"))
        batch.add_column(sa.Column("embedded_signing", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("envelopes") as batch:
        batch.add_column(sa.Column("policy_id", _id(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("envelopes") as batch:
        batch.drop_column("policy_id")
    with op.batch_alter_table("policies") as batch:
        batch.drop_column("embedded_signing")
        batch.drop_column("languages")
