"""The operator's CLI, run as a real process on a fresh data directory."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.api import completed_envelope, final_pdf
from tests.servers import free_port
from tests.stack import Stack, settings_for
from undersign.application.envelopes.create import CreateEnvelope
from undersign.entrypoints.container import build_container, shutdown

UNDERSIGN = str(Path(sys.executable).parent / "undersign")


def run(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UNDERSIGN_DATA_DIR": str(data_dir), "UNDERSIGN_LOG_FORMAT": "json"}
    result = subprocess.run([UNDERSIGN, *args], capture_output=True, text=True, env=env, timeout=120, check=False)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_tenant_and_key_creation_print_one_json_object_each(tmp_path):
    tenant = json.loads(run(tmp_path, "tenant", "create", "acme", "--json").stdout)
    assert tenant["slug"] == "acme"
    key = json.loads(run(tmp_path, "apikey", "create", "--tenant", "acme", "--role", "admin", "--json").stdout)
    assert key["key"].startswith("usk_") and key["role"] == "admin"
    database = sqlite3.connect(tmp_path / "undersign.db")
    stored = [row[0] for row in database.execute("SELECT secret_hash FROM api_keys")]
    assert len(stored) == 1 and key["key"].split("_", 2)[2] not in stored[0]


def test_errors_are_one_line_on_stderr_with_a_failing_exit(tmp_path):
    run(tmp_path, "tenant", "create", "acme")
    duplicate = run(tmp_path, "tenant", "create", "acme", "--json", check=False)
    assert duplicate.returncode != 0 and duplicate.stdout == ""
    assert duplicate.stderr.strip().splitlines()[-1] == "error: tenant 'acme' already exists"
    unknown = run(tmp_path, "apikey", "create", "--tenant", "nobody", check=False)
    assert unknown.returncode != 0 and "no tenant 'nobody'" in unknown.stderr
    bad_slug = run(tmp_path, "tenant", "create", "Not A Slug", check=False)
    assert bad_slug.returncode != 0 and "not a valid tenant slug" in bad_slug.stderr


def test_db_upgrade_and_downgrade_report_the_revision(tmp_path):
    upgraded = json.loads(run(tmp_path, "db", "upgrade", "--json").stdout)
    assert upgraded["revision"]
    downgraded = json.loads(run(tmp_path, "db", "downgrade", "--json").stdout)
    assert downgraded["revision"] != upgraded["revision"]


def test_audit_verify_detects_a_modified_event(tmp_path):
    """An envelope made through the use cases; then a stored event is edited behind the platform's back."""
    run(tmp_path, "tenant", "create", "acme")
    key = json.loads(run(tmp_path, "apikey", "create", "--tenant", "acme", "--json").stdout)["key"]
    envelope_id = asyncio.run(create_envelope(tmp_path, key))

    intact = json.loads(run(tmp_path, "audit", "verify", envelope_id, "--json").stdout)
    assert intact["chain_valid"] is True and intact["events"] == 1

    database = sqlite3.connect(tmp_path / "undersign.db")
    with database:
        database.execute(
            "UPDATE audit_events SET data = replace(data, 'Lease', 'Lease (forged)') WHERE envelope_id = ?", (envelope_id,)
        )
    broken = run(tmp_path, "audit", "verify", envelope_id, "--json", check=False)
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["chain_valid"] is False
    assert run(tmp_path, "audit", "verify", "missing", check=False).returncode == 1


async def create_envelope(data_dir: Path, key: str) -> str:
    container = build_container(settings_for(data_dir))
    try:
        caller = await container.use_cases().tenants.authenticate(key)
        created = await container.use_cases().create_envelope(CreateEnvelope(caller=caller, subject="Lease"))
        return created.id
    finally:
        await shutdown(container)


async def test_archive_renew_refuses_a_time_stamp_that_would_not_extend_the_archive(stack: Stack) -> None:
    """The seal's document time stamp and a renewal would both come from the one development TSA certificate."""
    envelope_id, document_id, sealed = await completed_envelope(stack)
    data_dir = stack.settings.data_dir

    not_due = json.loads((await asyncio.to_thread(run, data_dir, "archive", "renew", "--json")).stdout)
    due = await asyncio.to_thread(run, data_dir, "archive", "renew", "--within-days", "3650", "--json", check=False)

    assert not_due == {"checked": 1, "renewed": [], "refused": []}
    assert due.returncode == 1
    report = json.loads(due.stdout)
    assert (report["checked"], report["renewed"]) == (1, [])
    [refused] = report["refused"]
    assert (refused["envelope_id"], refused["document_id"]) == (envelope_id, document_id)
    assert "no later than the current time stamp's" in refused["reason"]
    assert await final_pdf(stack, envelope_id, document_id) == sealed  # nothing stored


def test_serve_starts_on_a_fresh_data_directory_and_answers(tmp_path):
    port = free_port()
    env = {**os.environ, "UNDERSIGN_DATA_DIR": str(tmp_path / "fresh"), "UNDERSIGN_LOG_FORMAT": "json"}
    server = subprocess.Popen(
        [UNDERSIGN, "serve", "--port", str(port), "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
                    assert json.loads(response.read()) == {"status": "ready"}
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"the server did not come up: {server.stderr.read() if server.poll() is not None else ''}")
                time.sleep(0.2)
        assert (tmp_path / "fresh" / "undersign.db").exists()
        assert (tmp_path / "fresh" / "pki" / "root-ca.pem").exists()
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=30)
    assert json.loads(stdout.splitlines()[0])["status"] == "serving"
    assert "DEVELOPMENT CA" in stderr
    assert all(isinstance(json.loads(line), dict) for line in stderr.splitlines())  # uvicorn's and Litestar's too


def test_help_and_version_load_nothing_a_command_does_not_need() -> None:
    """`undersign --help` answers at once: no database layer, PDF machinery or web framework is imported for it."""
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from undersign.entrypoints.cli.main import cli\n"
        "for args in (['--help'], ['serve', '--help'], ['verify', '--help'], ['--version']):\n"
        "    result = CliRunner().invoke(cli, args)\n"
        "    assert result.exit_code == 0, result.output\n"
        "    print(result.output.splitlines()[0])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'pyhanko', 'litestar', 'alembic', 'structlog'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert lines[3].startswith("undersign ") and lines[3].split()[1][0].isdigit()  # --version
    assert lines[-1] == "[]"
