"""`undersign verify` as a real process, on documents the platform made."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.e2e import api
from tests.stack import Stack
from undersign.adapters.signing.dev_pki import load_or_create_dev_pki

UNDERSIGN = str(Path(sys.executable).parent / "undersign")


def verify(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI on the stack's data directory, whose development root is the default trust anchor."""
    env = {**os.environ, "UNDERSIGN_DATA_DIR": str(stack.settings.data_dir), "UNDERSIGN_LOG_FORMAT": "json"}
    return subprocess.run([UNDERSIGN, "verify", *args], capture_output=True, text=True, env=env, timeout=120, check=False)


async def test_a_valid_document_exits_0_and_a_broken_one_1(stack, tmp_path: Path):
    _, _, pdf = await api.completed_envelope(stack)
    signed, tampered = tmp_path / "signed.pdf", tmp_path / "tampered.pdf"
    signed.write_bytes(pdf)
    tampered.write_bytes(pdf.replace(b"(Page 1)", b"(Page 7)", 1))

    valid = verify(stack, str(signed))
    broken = verify(stack, str(tampered))

    assert valid.returncode == 0, valid.stderr
    assert valid.stdout.startswith(f"{signed}: VALID") and "platform-seal" in valid.stdout
    assert broken.returncode == 1
    assert broken.stdout.startswith(f"{tampered}: NOT VALID") and "changed after signing" in broken.stdout


async def test_json_prints_exactly_one_object_with_the_report(stack, tmp_path: Path):
    _, _, pdf = await api.completed_envelope(stack)
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(pdf)

    result = verify(stack, str(signed), "--json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # one object, nothing else on stdout
    assert report["valid"] is True and report["problems"] == []
    signers = [s["signer"]["name"] for s in report["signatures"] if s["kind"] == "signature"]
    assert signers == ["Ada Lovelace", "Bob Babbage", "Undersign DEVELOPMENT seal"]


async def test_another_trust_root_or_a_far_validation_time_exit_1(stack, tmp_path: Path):
    _, _, pdf = await api.completed_envelope(stack)
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(pdf)
    foreign, _ = load_or_create_dev_pki(tmp_path / "foreign", datetime.now(UTC))

    untrusted = verify(stack, str(signed), "--json", "--trust", str(foreign.root_cert_path))
    ours = verify(stack, str(signed), "--trust", str(foreign.root_cert_path), "--trust", str(stack.trust_root))
    later = verify(stack, str(signed), "--json", "--at", "2100-01-01T00:00:00+02:00")

    assert untrusted.returncode == 1 and json.loads(untrusted.stdout)["valid"] is False
    assert ours.returncode == 0, ours.stdout
    assert later.returncode == 1
    assert json.loads(later.stdout)["validation_time"] == "2099-12-31T22:00:00Z"
    # pyHanko's findings (expired certificates...) are the report's content, not tracebacks on stderr.
    assert "Traceback" not in untrusted.stderr + later.stderr, later.stderr[-2000:]


def test_errors_are_one_line_on_stderr(stack, tmp_path: Path):
    text = tmp_path / "notes.txt"
    text.write_text("not a PDF")

    not_pdf = verify(stack, str(text), "--json")
    missing = verify(stack, str(tmp_path / "missing.pdf"))
    bad_time = verify(stack, str(text), "--at", "tomorrow")
    bad_root = verify(stack, str(text), "--trust", str(text))

    for result in (not_pdf, missing, bad_time, bad_root):
        assert result.returncode == 1 and result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")
    assert "not a PDF" in not_pdf.stderr
    assert "cannot read" in missing.stderr
    assert "not an ISO 8601 time" in bad_time.stderr
