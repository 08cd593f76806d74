"""Operators and retention: `undersign retention run --dry-run` shows what is due, `undersign retention run`
purges it (with progress and a summary, and again finds nothing), `undersign legal-hold set|release`
keeps an envelope out of it and lets it go."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from tests.e2e.test_cli import run
from tests.stack import settings_for
from undersign.domain.document import Document
from undersign.domain.envelope import Envelope
from undersign.domain.field import PageSize
from undersign.domain.policy import Policy, Routing
from undersign.domain.signer import Role
from undersign.entrypoints.container import build_container, shutdown

ENDED = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)  # long ago: a 30-day retention is over


async def _voided_long_ago(data_dir: Path, *envelope_ids: str) -> None:
    """Envelopes voided in 2020 under a 30-day retention, each with a stored document."""
    container = build_container(settings_for(data_dir))
    try:
        async with container.gateways.unit_of_work()() as uow:
            tenant = await uow.tenants.by_slug("acme")
            policy = Policy(id="p-short", tenant_id=tenant.id, name="short", retention_days=30)
            for envelope_id in envelope_ids:
                envelope = Envelope.create(envelope_id=envelope_id, tenant_id=tenant.id, subject="Lease", message="",
                                           routing=Routing.SEQUENTIAL, now=ENDED, actor="api_key:k")
                envelope.add_document(document_id=f"doc-{envelope_id}", filename="lease.pdf", now=ENDED, actor="api_key:k")
                envelope.add_signer(signer_id=f"s-{envelope_id}", name="Ada", email="ada@example.com", role=Role.SIGNER,
                                    routing_order=None, now=ENDED, actor="api_key:k")
                envelope.send(policy=policy, now=ENDED, actor="api_key:k")
                envelope.void(reason="wrong party", now=ENDED, actor="api_key:k")
                content = f"%PDF-1.7 {envelope_id}".encode()
                key = f"{tenant.id}/documents/doc-{envelope_id}/1.pdf"
                await uow.blobs.put(key, content)
                await uow.envelopes.add(envelope)
                await uow.documents.add(Document.upload(
                    document_id=f"doc-{envelope_id}", tenant_id=tenant.id, envelope_id=envelope_id, filename="lease.pdf",
                    pages=[PageSize(width=595, height=842)], blob_key=key, sha256=hashlib.sha256(content).hexdigest(),
                    size=len(content), now=ENDED,
                ))
            await uow.commit()
    finally:
        await shutdown(container)


def blobs(data_dir: Path) -> list[str]:
    return sorted(p.name for p in (data_dir / "blobs").rglob("*.pdf"))


def statuses(data_dir: Path) -> dict[str, str]:
    with sqlite3.connect(data_dir / "undersign.db") as db:
        return dict(db.execute("SELECT envelope_id, status FROM documents ORDER BY envelope_id").fetchall())


def test_a_dry_run_shows_what_is_due_and_a_run_purges_it_once(tmp_path):
    run(tmp_path, "tenant", "create", "acme")
    asyncio.run(_voided_long_ago(tmp_path, "env-1", "env-2"))
    assert len(blobs(tmp_path)) == 2

    dry = run(tmp_path, "retention", "run", "--dry-run", "--json")
    assert json.loads(dry.stdout) == {
        "dry_run": True, "due": 2, "purged": 0, "skipped": 0, "blobs_deleted": 0, "failed": [],
    }
    assert "would purge env-1" in dry.stderr and "would purge env-2" in dry.stderr  # progress, beside the JSON
    assert len(blobs(tmp_path)) == 2 and statuses(tmp_path) == {"env-1": "active", "env-2": "active"}

    done = run(tmp_path, "retention", "run")
    assert "[1] purged env-1" in done.stdout and "[2] purged env-2" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == (
        "2 envelopes purged (2 blobs deleted), 0 passed over (held or purged meanwhile), 0 failed"
    )
    assert blobs(tmp_path) == [] and statuses(tmp_path) == {"env-1": "purged", "env-2": "purged"}


def test_a_legal_hold_set_from_the_cli_keeps_an_envelope_until_it_is_released(tmp_path):
    run(tmp_path, "tenant", "create", "acme")
    asyncio.run(_voided_long_ago(tmp_path, "env-1", "env-2"))

    held = json.loads(run(tmp_path, "legal-hold", "set", "env-1", "--reason", "Subpoena 42", "--json").stdout)
    assert held["legal_hold"]["reason"] == "Subpoena 42" and held["legal_hold"]["by"].startswith("cli")
    first = json.loads(run(tmp_path, "retention", "run", "--json").stdout)
    assert (first["due"], first["purged"]) == (1, 1)
    assert statuses(tmp_path) == {"env-1": "active", "env-2": "purged"}

    released = run(tmp_path, "legal-hold", "release", "env-1", "--reason", "Subpoena withdrawn")
    assert released.stdout.strip() == "env-1: legal hold released"
    second = json.loads(run(tmp_path, "retention", "run", "--json").stdout)
    assert (second["due"], second["purged"]) == (1, 1)
    assert statuses(tmp_path) == {"env-1": "purged", "env-2": "purged"} and blobs(tmp_path) == []

    too_late = run(tmp_path, "legal-hold", "set", "env-1", "--reason", "x", check=False)
    assert too_late.returncode != 0 and "purged" in too_late.stderr
