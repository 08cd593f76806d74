"""Initial schema: tenants, API keys, policies, envelopes, documents, the audit chain, signing links.

Revision ID: 0001
Revises:
Create Date: 2026-11-20

Written by hand and kept self-contained (types spelled out here rather than imported from
the row classes, so later changes to those cannot rewrite history). Portable across SQLite,
PostgreSQL and MySQL/MariaDB: identifiers compare byte-wise everywhere, timestamps keep
microseconds, JSON is stored as text.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Transactional tables in full Unicode on MySQL/MariaDB, whatever the server's defaults.
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}


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


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", _id(), nullable=False),
        sa.Column("slug", _id(63), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
        sa.UniqueConstraint("slug", name="uq_tenants_slug"),
        **MYSQL,
    )
    op.create_table(
        "api_keys",
        sa.Column("id", _id(), nullable=False),
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("secret_hash", _id(128), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("revoked_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_api_keys_tenant_id_tenants"),
        **MYSQL,
    )
    op.create_index("ix_api_keys_tenant_id", "api_keys", ["tenant_id"])
    op.create_table(
        "policies",
        sa.Column("id", _id(), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("default_tenant_id", _id(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("signature_level", sa.String(16), nullable=False),
        sa.Column("signer_auth", sa.String(16), nullable=False),
        sa.Column("routing_default", sa.String(16), nullable=False),
        sa.Column("expiry_days", sa.Integer(), nullable=False),
        sa.Column("reminder_days", sa.Integer(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("decline_allowed", sa.Boolean(), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", "version", name="pk_policies"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_policies_tenant_id_tenants"),
        sa.UniqueConstraint("default_tenant_id", name="uq_policies_default_tenant_id"),
        **MYSQL,
    )
    op.create_index("ix_policies_tenant_id", "policies", ["tenant_id"])
    op.create_table(
        "envelopes",
        sa.Column("id", _id(), nullable=False),
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("routing", sa.String(16), nullable=False),
        sa.Column("document_ids", _json(), nullable=False),
        sa.Column("policy", _json(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=True),
        sa.Column("sent_at", _timestamp(), nullable=True),
        sa.Column("expires_at", _timestamp(), nullable=True),
        sa.Column("completed_at", _timestamp(), nullable=True),
        sa.Column("voided_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_envelopes"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_envelopes_tenant_id_tenants"),
        **MYSQL,
    )
    op.create_index("ix_envelopes_tenant_created", "envelopes", ["tenant_id", "created_at", "id"])
    op.create_index("ix_envelopes_tenant_status_created", "envelopes", ["tenant_id", "status", "created_at", "id"])
    op.create_table(
        "signers",
        sa.Column("id", _id(), nullable=False),
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("envelope_id", _id(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("routing_order", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("acted_at", _timestamp(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("evidence_at", _timestamp(), nullable=True),
        sa.Column("evidence_ip", sa.Text(), nullable=True),
        sa.Column("evidence_user_agent", sa.Text(), nullable=True),
        sa.Column("evidence_auth_method", sa.String(64), nullable=True),
        sa.Column("evidence_signature_text", sa.Text(), nullable=True),
        sa.Column("evidence_consent_text", sa.Text(), nullable=True),
        sa.Column("evidence_certificate_serials", _json(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_signers"),
        sa.ForeignKeyConstraint(
            ["envelope_id"], ["envelopes.id"], name="fk_signers_envelope_id_envelopes", ondelete="CASCADE"
        ),
        **MYSQL,
    )
    op.create_index("ix_signers_envelope_id", "signers", ["envelope_id"])
    op.create_table(
        "fields",
        sa.Column("id", _id(), nullable=False),
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("envelope_id", _id(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("document_id", _id(), nullable=False),
        sa.Column("signer_id", _id(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("x", sa.Double(), nullable=False),
        sa.Column("y", sa.Double(), nullable=False),
        sa.Column("width", sa.Double(), nullable=False),
        sa.Column("height", sa.Double(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_fields"),
        sa.ForeignKeyConstraint(
            ["envelope_id"], ["envelopes.id"], name="fk_fields_envelope_id_envelopes", ondelete="CASCADE"
        ),
        **MYSQL,
    )
    op.create_index("ix_fields_envelope_id", "fields", ["envelope_id"])
    op.create_table(
        "documents",
        sa.Column("id", _id(), nullable=False),
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("envelope_id", _id(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("pages", _json(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.ForeignKeyConstraint(["envelope_id"], ["envelopes.id"], name="fk_documents_envelope_id_envelopes"),
        **MYSQL,
    )
    op.create_index("ix_documents_tenant_envelope", "documents", ["tenant_id", "envelope_id"])
    op.create_table(
        "document_revisions",
        sa.Column("document_id", _id(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("blob_key", sa.String(512), nullable=False),
        sa.Column("sha256", _id(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("signer_id", _id(), nullable=True),
        sa.PrimaryKeyConstraint("document_id", "number", name="pk_document_revisions"),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name="fk_document_revisions_document_id_documents", ondelete="CASCADE"
        ),
        **MYSQL,
    )
    op.create_table(
        "audit_events",
        sa.Column("envelope_id", _id(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("at", _timestamp(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.Column("prev_hash", _id(), nullable=False),
        sa.Column("hash", _id(), nullable=False),
        sa.PrimaryKeyConstraint("envelope_id", "seq", name="pk_audit_events"),
        sa.ForeignKeyConstraint(["envelope_id"], ["envelopes.id"], name="fk_audit_events_envelope_id_envelopes"),
        **MYSQL,
    )
    op.create_table(
        "signing_links",
        sa.Column("id", _id(), nullable=False),
        sa.Column("tenant_id", _id(), nullable=False),
        sa.Column("envelope_id", _id(), nullable=False),
        sa.Column("signer_id", _id(), nullable=False),
        sa.Column("token_hash", _id(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signing_links"),
        sa.ForeignKeyConstraint(["envelope_id"], ["envelopes.id"], name="fk_signing_links_envelope_id_envelopes"),
        sa.UniqueConstraint("token_hash", name="uq_signing_links_token_hash"),
        **MYSQL,
    )
    op.create_index("ix_signing_links_envelope_id", "signing_links", ["envelope_id"])


def downgrade() -> None:
    # Children before parents; a table's indexes go with it.
    for table in (
        "signing_links",
        "audit_events",
        "document_revisions",
        "documents",
        "fields",
        "signers",
        "envelopes",
        "policies",
        "api_keys",
        "tenants",
    ):
        op.drop_table(table)
