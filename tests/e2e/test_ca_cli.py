"""Operators revoke signers' certificates: `undersign ca revoke` and `undersign ca revocations`, as real processes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime

from tests.e2e.test_cli import run

REASONS = "unspecified, key_compromise, affiliation_changed, superseded, cessation_of_operation"


def test_a_revocation_is_recorded_once_and_listed(tmp_path):
    made = run(tmp_path, "ca", "revoke", "00:C4:2A:9F", "--reason", "keyCompromise", "--json")
    again = run(tmp_path, "ca", "revoke", "0xc42a9f", "--reason", "superseded", "--json")

    first, second = json.loads(made.stdout), json.loads(again.stdout)
    assert first["serial"] == "c42a9f" and first["reason"] == "key_compromise" and first["already_revoked"] is False
    assert first["revoked_by"].startswith("cli:")
    assert datetime.fromisoformat(first["revoked_at"]).utcoffset() is not None
    assert second == {**first, "already_revoked": True}  # neither its time nor its reason changed
    logged = [json.loads(line) for line in made.stderr.splitlines()]
    assert [(e["event"], e["serial"], e["reason"]) for e in logged if "serial" in e] == [
        ("certificate revoked", "c42a9f", "key_compromise"),
    ]

    run(tmp_path, "ca", "revoke", "1")
    listed = json.loads(run(tmp_path, "ca", "revocations", "--json").stdout)["revocations"]
    assert [(r["serial"], r["reason"]) for r in listed] == [("c42a9f", "key_compromise"), ("1", "unspecified")]
    assert listed[0]["revoked_at"] == first["revoked_at"]

    database = sqlite3.connect(tmp_path / "undersign.db")
    assert database.execute("SELECT serial, reason FROM certificate_revocations ORDER BY serial").fetchall() == [
        ("1", "unspecified"), ("c42a9f", "key_compromise"),
    ]


def test_the_text_output_is_one_line_per_answer(tmp_path):
    assert run(tmp_path, "ca", "revocations").stdout == "no revoked certificates\n"

    made = run(tmp_path, "ca", "revoke", "4F2A").stdout.splitlines()
    again = run(tmp_path, "ca", "revoke", "4f2a", "--reason", "superseded").stdout.splitlines()

    [revocation] = json.loads(run(tmp_path, "ca", "revocations", "--json").stdout)["revocations"]
    revoked_at = revocation["revoked_at"]
    assert made == [f"revoked certificate 4f2a at {revoked_at} (unspecified)"]
    assert again == [f"certificate 4f2a already revoked since {revoked_at} (unspecified)"]
    assert run(tmp_path, "ca", "revocations").stdout.splitlines() == [f"4f2a  {revoked_at}  unspecified"]


def test_a_malformed_serial_or_reason_is_one_line_and_exit_2_with_nothing_opened(tmp_path):
    bad_serial = run(tmp_path / "a", "ca", "revoke", "4F:2G", "--json", check=False)
    bad_reason = run(tmp_path / "b", "ca", "revoke", "4f2a", "--reason", "certificateHold", check=False)
    too_long = run(tmp_path / "c", "ca", "revoke", "1" + "0" * 40, check=False)

    for result in (bad_serial, bad_reason, too_long):
        assert (result.returncode, result.stdout) == (2, "")
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: ")
    assert "'4F:2G' is not a serial number" in bad_serial.stderr
    assert bad_reason.stderr == f"error: 'certificateHold' is not a revocation reason; known: {REASONS}\n"
    assert "at most 40" in too_long.stderr
    assert not any((tmp_path / name).exists() for name in "abc")  # refused before the data directory was touched


def test_the_ca_commands_help_loads_no_database_layer() -> None:
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from undersign.entrypoints.cli.main import cli\n"
        "for args in (['ca', '--help'], ['ca', 'revoke', '--help'], ['ca', 'revocations', '--help']):\n"
        "    assert CliRunner().invoke(cli, args).exit_code == 0\n"
        "heavy = {'sqlalchemy', 'pyhanko', 'litestar', 'alembic', 'structlog'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "[]"
