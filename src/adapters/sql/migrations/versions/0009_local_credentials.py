"""Local credentials: a user's password hash, TOTP authenticator, recovery codes and recent failures.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

- `local_credentials`: one row per user who signs in locally (not through an identity
  provider): the Argon2id hash of their password, their TOTP authenticator (its secret, when it
  was confirmed, the last time step used: a code works once), the SHA-256 hashes of their unused
  recovery codes (JSON), and their failures since the last success with the end of their lock.
  `version` makes each change a compare-and-set: of two sign-ins with one TOTP code, one wins.

Self-contained like the earlier revisions, and portable across SQLite, PostgreSQL and MySQL/MariaDB.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
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
    op.create_table(
        "local_credentials",
        sa.Column("user_id", _id(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("totp_secret", sa.String(128), nullable=True),
        sa.Column("totp_confirmed_at", _timestamp(), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("recovery_code_hashes", sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb"), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name="pk_local_credentials"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_local_credentials_user_id_users"),
        mysql_engine="InnoDB", mysql_charset="utf8mb4",
    )


def downgrade() -> None:
    op.drop_table("local_credentials")
