"""Users, teams and browser sessions; envelopes with an owner and a team; keys scoped to a team.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

- `users` (unique email per tenant), `teams` (unique name per tenant), `team_members`;
  `user_identities`: an identity provider's (issuer, subject) linked to a user, keyed by their
  SHA-256 (both may be long, past what MySQL indexes).
- `web_sessions`: a signed-in browser's session; only the hash of its cookie's token is kept.
- `one_time_ids`: ids that may be used once (a SAML assertion's, a sign-in's state), hashed,
  kept until they could no longer be accepted.
- `tenants.just_in_time_users`, `tenants.require_mfa`: the tenant's sign-in policy, off for
  every existing tenant.
- `envelopes.owner` (the actor that made it) and `envelopes.team_id`: what a sender sees.
  Existing envelopes get neither, and stay visible to every sender of their tenant, as before.
- `api_keys.team_id`: a key scoped to a team.

Self-contained like the earlier revisions, and portable across SQLite, PostgreSQL and MySQL/MariaDB.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
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


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", _id(), nullable=False),
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("email", _id(254), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("disabled_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_users_tenant_id_tenants"),
        sa.UniqueConstraint("tenant_id", "email", name="uq_users_tenant_id_email"),
        **MYSQL,
    )
    op.create_table(
        "teams",
        sa.Column("id", _id(), nullable=False),
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_teams"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_teams_tenant_id_tenants"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_teams_tenant_id_name"),
        **MYSQL,
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", _id(), nullable=False),
        sa.Column("user_id", _id(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id", name="pk_team_members"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name="fk_team_members_team_id_teams"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_team_members_user_id_users"),
        **MYSQL,
    )
    op.create_index("ix_team_members_user", "team_members", ["user_id"])
    op.create_table(
        "user_identities",
        sa.Column("key", _id(), nullable=False),
        sa.Column("user_id", _id(), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_user_identities"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_identities_user_id_users"),
        **MYSQL,
    )
    op.create_index("ix_user_identities_user_id", "user_identities", ["user_id"])
    op.create_table(
        "web_sessions",
        sa.Column("id", _id(), nullable=False),
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("user_id", _id(), nullable=False),
        sa.Column("token_hash", _id(128), nullable=False),
        sa.Column("method", sa.String(100), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("last_seen_at", _timestamp(), nullable=False),
        sa.Column("ended_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_web_sessions"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_web_sessions_tenant_id_tenants"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_web_sessions_user_id_users"),
        sa.UniqueConstraint("token_hash", name="uq_web_sessions_token_hash"),
        **MYSQL,
    )
    op.create_index("ix_web_sessions_user", "web_sessions", ["tenant_id", "user_id"])
    op.create_table(
        "one_time_ids",
        sa.Column("key", _id(), nullable=False),
        sa.Column("until", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_one_time_ids"),
        **MYSQL,
    )
    op.create_index("ix_one_time_ids_until", "one_time_ids", ["until"])
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("just_in_time_users", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("require_mfa", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("tenants") as batch:
        batch.alter_column("just_in_time_users", server_default=None, existing_type=sa.Boolean(), existing_nullable=False)
        batch.alter_column("require_mfa", server_default=None, existing_type=sa.Boolean(), existing_nullable=False)
    with op.batch_alter_table("envelopes") as batch:
        batch.add_column(sa.Column("owner", sa.String(100), nullable=True))
        batch.add_column(sa.Column("team_id", _id(), nullable=True))
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("team_id", _id(), nullable=True))
        batch.create_foreign_key("fk_api_keys_team_id_teams", "teams", ["team_id"], ["id"])


def downgrade() -> None:
    # Dropping a table drops its indexes (MySQL refuses to drop one a foreign key still needs).
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint("fk_api_keys_team_id_teams", type_="foreignkey")
        batch.drop_column("team_id")
    with op.batch_alter_table("envelopes") as batch:
        batch.drop_column("team_id")
        batch.drop_column("owner")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("require_mfa")
        batch.drop_column("just_in_time_users")
    op.drop_table("one_time_ids")
    op.drop_table("web_sessions")
    op.drop_table("user_identities")
    op.drop_table("team_members")
    op.drop_table("teams")
    op.drop_table("users")
