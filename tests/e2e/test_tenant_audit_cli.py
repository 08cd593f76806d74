"""Operators check a tenant's audit log: `undersign audit tenant SLUG`, as a real process."""

from __future__ import annotations

import json
import sqlite3

from tests.e2e.test_cli import run


def test_keys_made_and_revoked_with_the_cli_are_in_a_chain_the_cli_verifies(tmp_path):
    run(tmp_path, "tenant", "create", "acme")
    made = json.loads(run(tmp_path, "apikey", "create", "--tenant", "acme", "--role", "viewer", "--json").stdout)
    run(tmp_path, "apikey", "revoke", made["id"])
    run(tmp_path, "apikey", "revoke", made["id"])  # already revoked: nothing more is recorded

    verdict = json.loads(run(tmp_path, "audit", "tenant", "acme", "--json").stdout)
    with sqlite3.connect(tmp_path / "undersign.db") as database:
        rows = list(database.execute("SELECT seq, type, actor, data, hash FROM tenant_audit_entries ORDER BY seq"))
    assert [(seq, kind) for seq, kind, *_ in rows] == [(1, "ApiKeyCreated"), (2, "ApiKeyRevoked")]
    assert {actor for _, _, actor, _, _ in rows} == {made["created_by"]}
    assert made["key"].split("_", 2)[2] not in str(rows)
    assert verdict == {"tenant": "acme", "chain_valid": True, "entries": 2, "last_hash": rows[-1][4]}
    assert run(tmp_path, "audit", "tenant", "acme").stdout.strip() == "tenant acme: 2 entries, chain valid"


def test_a_broken_chain_exits_1_and_an_unknown_tenant_is_an_error(tmp_path):
    run(tmp_path, "tenant", "create", "acme")
    run(tmp_path, "apikey", "create", "--tenant", "acme", "--role", "viewer", "--description", "CRM")
    with sqlite3.connect(tmp_path / "undersign.db") as database:
        database.execute("UPDATE tenant_audit_entries SET actor = 'cli:someone-else'")

    broken = run(tmp_path, "audit", "tenant", "acme", "--json", check=False)
    assert broken.returncode == 1 and json.loads(broken.stdout)["chain_valid"] is False
    unknown = run(tmp_path, "audit", "tenant", "nobody", check=False)
    assert unknown.returncode != 0 and "nobody" in unknown.stderr
