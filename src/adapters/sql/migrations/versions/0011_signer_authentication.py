"""Signer authentication: how each recipient proves who they are beyond their link.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

- `signers.auth_*`: the sender's choice of method for the recipient (null: the policy's), the
  phone SMS codes go to, the hash of the sender's access code, the hash of the one-time code
  outstanding with when it was sent and when it expires, how many codes were sent, the wrong
  answers in a row and when that locked the recipient.
- `signers.evidence_auth_method` widens to 255 characters: an embedded signature's evidence
  says how the sender's application authenticated the recipient, in up to 200 characters.
- `signing_links.embedded_by`: for a link the sender's own application frames, how it
  authenticated the recipient (in its words); the evidence of the signature says so.

Self-contained like the earlier revisions, and portable across SQLite, PostgreSQL and MySQL/MariaDB.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("signers") as batch:
        batch.add_column(sa.Column("auth_method", sa.String(16), nullable=True))
        batch.add_column(sa.Column("auth_phone", sa.String(16), nullable=True))
        batch.add_column(sa.Column("auth_access_code_hash", sa.Text(), nullable=True))
        batch.add_column(sa.Column("auth_code_hash", sa.Text(), nullable=True))
        batch.add_column(sa.Column("auth_code_expires_at", _timestamp(), nullable=True))
        batch.add_column(sa.Column("auth_code_sent_at", _timestamp(), nullable=True))
        batch.add_column(sa.Column("auth_failed_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("auth_codes_sent", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("auth_locked_at", _timestamp(), nullable=True))
        batch.alter_column("evidence_auth_method", type_=sa.String(255), existing_type=sa.String(64), existing_nullable=True)
    with op.batch_alter_table("signing_links") as batch:
        batch.add_column(sa.Column("embedded_by", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signing_links") as batch:
        batch.drop_column("embedded_by")
    with op.batch_alter_table("signers") as batch:
        batch.alter_column("evidence_auth_method", type_=sa.String(64), existing_type=sa.String(255), existing_nullable=True)
        for column in (
            "auth_locked_at", "auth_codes_sent", "auth_failed_attempts", "auth_code_sent_at", "auth_code_expires_at", "auth_code_hash",
            "auth_access_code_hash", "auth_phone", "auth_method",
        ):
            batch.drop_column(column)
