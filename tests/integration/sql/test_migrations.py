"""The migrations: up, down and up again, the schema they make is the row classes', and the data migrations."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from tests.fakes.system import FakeBlobStore
from tests.integration.sql.helpers import ACME, SQL_BACKENDS, T0, Backend, draft, fetch, stored, with_recipients
from tests.servers import empty_database
from undersign.adapters.sql import migrate
from undersign.adapters.sql.engine import create_engine, create_session_factory
from undersign.adapters.sql.tables import metadata
from undersign.adapters.sql.unit_of_work import sql_unit_of_work_factory
from undersign.application.envelopes.ports import EnvelopeFilter
from undersign.domain.policy import default_policy
from undersign.domain.signer import Role, SigningEvidence
from undersign.domain.tenant import Tenant

# -- migrations ---------------------------------------------------------------------------------


APP_TABLES = {
    "tenants", "api_keys", "policies", "envelopes", "signers", "fields", "documents", "document_revisions",
    "audit_events", "signing_links", "idempotency_keys", "outbox", "jobs", "dead_letters", "webhook_endpoints",
    "webhook_deliveries", "webhook_attempts", "certificate_revocations", "tenant_audit_entries", "users", "teams",
    "team_members", "user_identities", "web_sessions", "one_time_ids", "local_credentials",
}


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("name", SQL_BACKENDS)
async def test_migrations_upgrade_downgrade_and_upgrade_again(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    async with empty_database(name, request, tmp_path) as url:
        assert migrate.current(url) is None

        migrate.upgrade(url)
        assert migrate.current(url) == migrate.head()
        assert await _tables(url) == APP_TABLES | {"alembic_version"}

        migrate.downgrade(url, "base")
        assert migrate.current(url) is None
        assert await _tables(url) == {"alembic_version"}

        migrate.upgrade(url)
        assert migrate.current(url) == migrate.head()
        assert await _tables(url) == APP_TABLES | {"alembic_version"}


@pytest.mark.parametrize("name", SQL_BACKENDS)
async def test_the_migrated_schema_is_the_one_the_row_classes_describe(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    async with empty_database(name, request, tmp_path) as url:
        migrate.upgrade(url)
        assert await _schema_differences(url) == []

        migrate.downgrade(url, "base")
        assert migrate.current(url) is None
        assert await _schema_differences(url) != []

        migrate.upgrade(url)
        assert await _schema_differences(url) == []


async def _schema_differences(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    finally:
        await engine.dispose()

# -- migration 0002 -------------------------------------------------------------------------


@pytest.mark.parametrize("name", SQL_BACKENDS)
async def test_migration_0002_downgrades_and_upgrades_with_recipients_kept(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    async with empty_database(name, request, tmp_path) as url:
        migrate.upgrade(url)
        engine = create_engine(url)
        try:
            backend = Backend(name, sql_unit_of_work_factory(create_session_factory(engine), FakeBlobStore()), FakeBlobStore())
            async with backend.uow() as uow:
                await uow.tenants.add(Tenant(id=ACME, slug="acme", created_at=T0))
                await uow.commit()
            await stored(backend, with_recipients(draft(), ("ada@example.com", Role.SIGNER)))

            migrate.downgrade(url, "0001")
            assert "idempotency_keys" not in await _tables(url)
            migrate.upgrade(url)

            async with backend.uow() as uow:
                page = await uow.envelopes.list(ACME, where=EnvelopeFilter(signer_email="ada@example.com"), limit=5, after=None)
            assert [s.email for e in page for s in e.signers] == ["ada@example.com"]
        finally:
            await engine.dispose()

# -- migration 0003 -------------------------------------------------------------------------


@pytest.mark.parametrize("name", SQL_BACKENDS)
async def test_migration_0003_gives_waiting_recipients_the_time_their_turn_came(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    sent_at, signed_at = T0 + timedelta(minutes=5, microseconds=7), T0 + timedelta(days=1, microseconds=9)
    async with empty_database(name, request, tmp_path) as url:
        migrate.upgrade(url)
        engine = create_engine(url)
        try:
            backend = Backend(name, sql_unit_of_work_factory(create_session_factory(engine), FakeBlobStore()), FakeBlobStore())
            async with backend.uow() as uow:
                await uow.tenants.add(Tenant(id=ACME, slug="acme", created_at=T0, sender_name="Acme"))
                await uow.commit()
            envelope = draft()
            envelope.add_document(document_id="doc-1", filename="lease.pdf", now=T0, actor="api_key:k1")
            for signer_id in ("s-ada", "s-bob", "s-cy"):
                envelope.add_signer(signer_id=signer_id, name=signer_id, email=f"{signer_id}@example.com",
                                    role=Role.SIGNER, routing_order=None, now=T0, actor="api_key:k1")
            envelope.send(policy=default_policy(policy_id="p", tenant_id=ACME), now=sent_at, actor="api_key:k1")
            values = envelope.resolve_field_values(signer_id="s-ada", values={}, signature_text="Ada", now=signed_at)
            envelope.sign(signer_id="s-ada", field_values=values, actor="signer:s-ada", evidence=SigningEvidence(
                at=signed_at, ip=None, user_agent=None, auth_method="link", signature_text="Ada", consent_text="ok",
                certificate_serials=("1",),
            ))
            await stored(backend, envelope, with_recipients(draft("env-draft"), ("dan@example.com", Role.SIGNER)))
            before = await fetch(backend)
            assert [s.notified_at for s in before.signers] == [sent_at, signed_at, None]

            migrate.downgrade(url, "0002")
            migrate.upgrade(url)

            after = await fetch(backend)
            before.owner = None  # 0008's column, dropped on the way down: envelopes made before it have no owner
            assert after == before
            assert (await fetch(backend, "env-draft")).signers[0].notified_at is None
            async with backend.uow() as uow:
                assert await uow.tenants.get(ACME) == Tenant(id=ACME, slug="acme", created_at=T0)  # the column was dropped
        finally:
            await engine.dispose()
