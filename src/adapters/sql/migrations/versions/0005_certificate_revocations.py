"""The revocations of signers' certificates, which the OCSP responder and the CRL publish.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

- `certificate_revocations`: one row per revoked certificate of the issuing CA, for the
  whole installation (no tenant). `serial` (lowercase hex, no leading zeros, at most 40
  digits: RFC 5280's 20 octets) is the primary key, so of two processes revoking one
  certificate at once the database lets one in. `reason` is an RFC 5280 CRLReason name
  (`key_compromise`, ...), `revoked_by` who asked for it, if known.

Self-contained like the earlier revisions (types spelled out here) and portable across
SQLite, PostgreSQL and MySQL/MariaDB.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
MAX_SERIAL_DIGITS = 40
MAX_REASON_LENGTH = 32
MAX_REVOKED_BY_LENGTH = 100


def _id(length: int = 64) -> sa.types.TypeEngine:
    return (
        sa.String(length)
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
        .with_variant(mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb")
    )


def _timestamp() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "certificate_revocations",
        sa.Column("serial", _id(MAX_SERIAL_DIGITS), nullable=False),
        sa.Column("revoked_at", _timestamp(), nullable=False),
        sa.Column("reason", _id(MAX_REASON_LENGTH), nullable=False),
        sa.Column("revoked_by", sa.String(MAX_REVOKED_BY_LENGTH), nullable=True),
        sa.PrimaryKeyConstraint("serial", name="pk_certificate_revocations"),
        **MYSQL,
    )


def downgrade() -> None:
    op.drop_table("certificate_revocations")
