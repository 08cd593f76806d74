"""`undersign evidence export` as a real process: an operator's copy of any envelope's evidence package."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.e2e import api
from tests.stack import Stack

UNDERSIGN = str(Path(sys.executable).parent / "undersign")


def undersign(stack: Stack, *args: str, text: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "UNDERSIGN_DATA_DIR": str(stack.settings.data_dir), "UNDERSIGN_LOG_FORMAT": "json"}
    return subprocess.run([UNDERSIGN, *args], capture_output=True, text=text, env=env, timeout=180, check=False)


async def test_an_operator_exports_a_package_to_a_file_or_stdout_and_it_verifies(stack, tmp_path: Path):
    envelope_id, _, sealed = await api.completed_envelope(stack)
    (tmp_path / "out").mkdir()
    output = tmp_path / "out" / "evidence.zip"

    written = undersign(stack, "evidence", "export", envelope_id, "--output", str(output), "--json")

    assert written.returncode == 0, written.stderr
    size = output.stat().st_size
    assert json.loads(written.stdout) == {"envelope_id": envelope_id, "output": str(output), "size": size}
    with zipfile.ZipFile(output) as archive:
        assert archive.read("documents/1-lease.pdf") == sealed
        assert json.loads(archive.read("manifest.json"))["envelope_id"] == envelope_id
        assert "SHA256SUMS" in archive.namelist()
    assert [p.name for p in output.parent.iterdir()] == ["evidence.zip"]  # no partial file left beside it
    verified = undersign(stack, "verify", str(output))
    assert verified.returncode == 0, verified.stdout + verified.stderr

    piped = undersign(stack, "evidence", "export", envelope_id, "--output", "-", text=False)
    assert piped.returncode == 0, piped.stderr
    with zipfile.ZipFile(io.BytesIO(piped.stdout)) as archive:
        assert archive.read("documents/1-lease.pdf") == sealed


async def test_an_unknown_envelope_or_a_draft_is_one_line_on_stderr_and_exit_1(stack, tmp_path: Path):
    draft, _ = await api.create_envelope(stack)
    output = tmp_path / "evidence.zip"

    unknown = undersign(stack, "evidence", "export", "no-such-envelope", "--output", str(output))
    unsent = undersign(stack, "evidence", "export", draft, "--output", str(output))

    assert unknown.returncode == 1 and unknown.stderr.strip().splitlines()[-1] == "error: no envelope no-such-envelope"
    assert unsent.returncode == 1 and f"envelope {draft} is a draft" in unsent.stderr.strip().splitlines()[-1]
    assert not output.exists()
