"""Operators make, list and revoke API keys: `undersign apikey create|list|revoke`, as real processes."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.test_cli import run
from tests.stack import settings_for
from undersign.application.shared.errors import Unauthenticated
from undersign.entrypoints.container import build_container, shutdown


async def authenticate(data_dir, key: str) -> str:
    container = build_container(settings_for(data_dir))
    try:
        return (await container.use_cases().tenants.authenticate(key)).role.value
    finally:
        await shutdown(container)


def test_keys_are_made_with_an_expiry_and_a_description_listed_and_revoked(tmp_path):
    run(tmp_path, "tenant", "create", "acme")
    made = json.loads(run(
        tmp_path, "apikey", "create", "--tenant", "acme", "--role", "auditor", "--expires-in-days", "30",
        "--description", "Annual audit, Zoë", "--json",
    ).stdout)
    owner = json.loads(run(tmp_path, "apikey", "create", "--tenant", "acme", "--role", "owner", "--json").stdout)

    assert made["key"].startswith(f"usk_{made['id']}_") and made["role"] == "auditor" and made["tenant"] == "acme"
    assert made["description"] == "Annual audit, Zoë" and made["created_by"].startswith("cli:")
    expires = datetime.fromisoformat(made["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=29, hours=23) < expires <= timedelta(days=30)
    assert owner["expires_at"] is None and owner["role"] == "owner"
    assert asyncio.run(authenticate(tmp_path, made["key"])) == "auditor"

    listed = json.loads(run(tmp_path, "apikey", "list", "--tenant", "acme", "--json").stdout)
    assert {k["id"] for k in listed["api_keys"]} == {made["id"], owner["id"]}
    assert made["key"] not in str(listed) and made["key"].split("_", 2)[2] not in str(listed)

    revoking = run(tmp_path, "apikey", "revoke", made["id"], "--json")
    revoked = json.loads(revoking.stdout)
    logged = [json.loads(line) for line in revoking.stderr.splitlines()]
    assert [(e["event"], e["api_key_id"], e["role"]) for e in logged if "api_key_id" in e] == [
        ("API key revoked", made["id"], "auditor"),
    ]
    assert made["key"].split("_", 2)[2] not in revoking.stderr
    again = json.loads(run(tmp_path, "apikey", "revoke", made["id"], "--json").stdout)
    assert revoked["already_revoked"] is False and again["already_revoked"] is True
    assert revoked["revoked_at"] == again["revoked_at"] is not None
    with pytest.raises(Unauthenticated, match="revoked"):
        asyncio.run(authenticate(tmp_path, made["key"]))

    text = run(tmp_path, "apikey", "list", "--tenant", "acme").stdout
    assert f"{made['id']}  auditor  revoked" in text and f"{owner['id']}  owner    active" in text
    assert "already revoked since" in run(tmp_path, "apikey", "revoke", made["id"]).stdout


def test_mistakes_are_one_line_on_stderr_and_a_failing_exit(tmp_path):
    run(tmp_path, "tenant", "create", "acme")
    unknown = run(tmp_path, "apikey", "revoke", "nosuchkey", check=False)
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert unknown.stderr.strip().splitlines()[-1] == "error: no API key nosuchkey"

    no_tenant = run(tmp_path, "apikey", "list", "--tenant", "nobody", check=False)
    assert no_tenant.returncode == 1 and no_tenant.stderr.strip().splitlines()[-1] == "error: no tenant 'nobody'"

    bad_text = run(tmp_path, "apikey", "create", "--tenant", "acme", "--description", "a\x1bb", check=False)
    assert bad_text.returncode == 1 and "one line without control characters" in bad_text.stderr

    for args in (["--expires-in-days", "0"], ["--expires-in-days", "3651"], ["--role", "root"]):
        usage = run(tmp_path, "apikey", "create", "--tenant", "acme", *args, check=False)
        assert usage.returncode == 2 and usage.stdout == ""
    assert json.loads(run(tmp_path, "apikey", "list", "--tenant", "acme", "--json").stdout)["api_keys"] == []
