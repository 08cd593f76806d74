"""The evidence package over HTTP on the embedded default, checked offline as an auditor would: unzip,
`sha256sum -c`, `pdfsig` on every PDF, and `undersign verify` on the ZIP (and on a tampered copy)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.e2e import api
from tests.pdf_checks import pdfsig_report
from tests.prerequisites import require_program
from tests.stack import Stack
from undersign.domain.tenant import AccessRole

UNDERSIGN = str(Path(sys.executable).parent / "undersign")


def undersign(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI on the stack's data directory (its development root is the default trust anchor)."""
    env = {**os.environ, "UNDERSIGN_DATA_DIR": str(stack.settings.data_dir), "UNDERSIGN_LOG_FORMAT": "json"}
    return subprocess.run([UNDERSIGN, *args], capture_output=True, text=True, env=env, timeout=180, check=False)


async def download(stack: Stack, envelope_id: str, headers: dict[str, str] | None = None):
    return await stack.client.get(f"/v1/envelopes/{envelope_id}/evidence", headers=headers or stack.headers)


def scratch_files(stack: Stack) -> list[Path]:
    scratch = stack.settings.blob_dir / ".scratch"
    return sorted(scratch.iterdir()) if scratch.exists() else []


async def test_a_completed_envelopes_package_verifies_with_standard_tools_and_undersign(stack, tmp_path: Path):
    envelope_id, document_id, sealed = await api.completed_envelope(stack)
    certificate = await stack.client.get(f"/v1/envelopes/{envelope_id}/certificate", headers=stack.headers)
    assert certificate.status_code == 200, certificate.text

    response = await download(stack, envelope_id)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert f'filename="evidence-{envelope_id}.zip"' in response.headers["content-disposition"]
    assert int(response.headers["content-length"]) == len(response.content)
    assert scratch_files(stack) == []  # the ZIP's scratch file is gone once it was sent
    package = tmp_path / "evidence.zip"
    package.write_bytes(response.content)
    extracted = tmp_path / "extracted"
    unzipped = subprocess.run(
        [require_program("unzip", "unzip"), "-q", str(package), "-d", str(extracted)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert unzipped.returncode == 0, unzipped.stdout + unzipped.stderr
    assert sorted(p.relative_to(extracted).as_posix() for p in extracted.rglob("*") if p.is_file()) == [
        "SHA256SUMS", "audit-trail.json", "certificate-of-completion.pdf", "documents/1-lease.pdf",
        "manifest.json", "verification/1-lease.json", "verification/certificate-of-completion.json",
    ]
    # The documents as they stand and the certificate, byte for byte as their own downloads give them.
    assert (extracted / "documents/1-lease.pdf").read_bytes() == sealed
    assert (extracted / "certificate-of-completion.pdf").read_bytes() == certificate.content
    manifest = json.loads((extracted / "manifest.json").read_text())
    assert manifest["envelope_id"] == envelope_id and manifest["documents"][0]["id"] == document_id
    trail = (await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers)).json()
    assert json.loads((extracted / "audit-trail.json").read_text()) == trail and trail["chain_valid"] is True
    assert json.loads((extracted / "verification/1-lease.json").read_text())["valid"] is True

    sums = subprocess.run(
        [require_program("sha256sum", "coreutils"), "-c", "SHA256SUMS"], cwd=extracted,
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert sums.returncode == 0, sums.stdout + sums.stderr
    assert sums.stdout.count(": OK") == 6
    # Two signers and the platform's seal; the certificate carries the seal alone.
    document, certificate_pdf = (extracted / "documents/1-lease.pdf"), (extracted / "certificate-of-completion.pdf")
    assert [s.valid for s in pdfsig_report(document.read_bytes(), expected=3)] == [True] * 3
    assert [s.valid for s in pdfsig_report(certificate_pdf.read_bytes(), expected=1)] == [True]

    verified = undersign(stack, "verify", str(package))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith(f"{package}: evidence package of envelope {envelope_id}: VALID")

    # One byte changed in the sealed document: sha256sum and undersign both name it.
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(tampered, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "documents/1-lease.pdf":
                data = data.replace(b"(Page 1)", b"(Page 7)", 1)
            target.writestr(name, data)
    refused = undersign(stack, "verify", "--json", str(tampered))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    verdict = json.loads(refused.stdout)
    assert verdict["valid"] is False and verdict["envelope_id"] == envelope_id
    problems = verdict["problems"]
    assert any(p.startswith("documents/1-lease.pdf: its SHA-256 is not") for p in problems), problems
    assert verdict["documents"]["documents/1-lease.pdf"]["valid"] is False


async def test_a_draft_has_no_package_an_auditor_gets_none_and_another_tenant_finds_nothing(stack):
    draft, _ = await api.create_envelope(stack)
    api.problem(await download(stack, draft), 409, "envelope_not_sent")

    sent, _ = await api.ready_to_complete(stack)
    auditor = await api.api_key(stack, AccessRole.AUDITOR)
    stranger = await api.api_key(stack, tenant="globex")
    api.problem(await download(stack, sent, api.bearer(auditor)), 403, "forbidden")
    api.problem(await download(stack, sent, api.bearer(stranger)), 404, "not_found")

    # Sent, not completed: the documents as they stand, no certificate of completion yet.
    response = await download(stack, sent)
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert "certificate-of-completion.pdf" not in archive.namelist()
        assert json.loads(archive.read("manifest.json"))["status"] == "sent"
    assert scratch_files(stack) == []
