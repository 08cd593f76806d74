"""Operators create, change, list and show a tenant's signing policies and choose its default: `undersign policy`,
in process (click's runner)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from undersign.entrypoints.cli.main import cli


def test_policies_are_created_changed_listed_shown_and_made_the_default(tmp_path: Path) -> None:
    env = {"UNDERSIGN_DATA_DIR": str(tmp_path), "UNDERSIGN_LOG_FORMAT": "json"}

    def run(*args: str, ok: bool = True) -> Result:
        result = CliRunner().invoke(cli, list(args), env=env)
        assert (result.exit_code == 0) == ok, result.output
        return result

    run("tenant", "create", "acme")
    made = json.loads(run(
        "policy", "create", "Strict", "--tenant", "acme", "--signature-level", "PAdES-B-T", "--routing", "parallel",
        "--expiry-days", "10", "--reminder-days", "3", "--no-decline", "--languages", "ar,en", "--json",
    ).stdout)
    assert made | {"id": "x"} == made | {
        "id": "x", "name": "Strict", "version": 1, "default": False, "signature_level": "PAdES-B-T",
        "routing_default": "parallel", "expiry_days": 10, "reminder_days": 3, "decline_allowed": False,
        "languages": ["ar", "en"],
    }
    assert "reminder_days must be fewer" in run("policy", "set", made["id"], "--tenant", "acme", "--reminder-days", "10",
                                                ok=False).output
    changed = json.loads(run("policy", "set", made["id"], "--tenant", "acme", "--expiry-days", "20", "--json").stdout)
    assert changed["version"] == 2
    run("policy", "default", made["id"], "--tenant", "acme")

    listed = json.loads(run("policy", "list", "--tenant", "acme", "--json").stdout)["policies"]
    assert sorted((p["name"], p["version"], p["default"]) for p in listed) == [("Strict", 2, True), ("default", 1, False)]
    shown = run("policy", "show", made["id"], "--tenant", "acme").stdout
    assert "expiry_days: 20" in shown and "languages: ['ar', 'en']" in shown
    assert "no policy" in run("policy", "show", "no-such", "--tenant", "acme", ok=False).output
    assert "no tenant" in run("policy", "list", "--tenant", "initech", ok=False).output
