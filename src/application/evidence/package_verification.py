"""Verifying an evidence package offline (`undersign verify package.zip`): nothing but the ZIP and the trust anchors.

It holds when every line of SHA256SUMS matches its file and no file is missing from it or added
to the ZIP; the manifest agrees with those sums and names the audit trail's envelope; the audit
trail's hash chain is unbroken from the envelope's first event; and every PDF (each document and
the certificate of completion) verifies as `undersign verify` verifies a PDF. Anything else is a
problem naming the file. A ZIP is hostile input: its entries, their sizes and names are bounded
(package_files) before a byte of them is read.
"""

from __future__ import annotations

import asyncio
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from undersign.application.evidence.package_files import (
    AUDIT_TRAIL,
    CERTIFICATE,
    DOCUMENTS,
    MANIFEST,
    MAX_JSON_BYTES,
    MAX_PDF_BYTES,
    MAX_SUMS_BYTES,
    SUMS,
    entry_sha256,
    parse_sums,
    read_entry,
    unsafe_entries,
)
from undersign.application.evidence.verification import VerificationReport, VerifyPdf, VerifyPdfHandler
from undersign.application.shared.errors import InvalidDocument
from undersign.domain.audit import AuditEntry, verify_chain

ZIP_MAGIC = b"PK\x03\x04"


def is_evidence_package(head: bytes) -> bool:
    """Whether a file starting with `head` is a ZIP (an evidence package to check) rather than a PDF."""
    return head.startswith(ZIP_MAGIC)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyEvidencePackage:
    path: str  # the ZIP, a local file
    trust_roots: list[bytes] | None = None  # None: the installation's trust anchors
    at: datetime | None = None  # None: now


@dataclass(slots=True, kw_only=True)
class PackageVerdict:
    envelope_id: str | None = None
    files_checked: int = 0
    chain_valid: bool = False
    audit_entries: int = 0
    reports: dict[str, VerificationReport] = field(default_factory=dict)  # by the PDF's name in the ZIP
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


class VerifyEvidencePackageHandler:
    """For operators at the console: reads no tenant data, only the ZIP it is given."""

    def __init__(self, verify_pdf: VerifyPdfHandler) -> None:
        self._verify_pdf = verify_pdf

    async def __call__(self, command: VerifyEvidencePackage) -> PackageVerdict:
        """The verdict; InvalidDocument when the file is no ZIP at all."""
        verdict = PackageVerdict()
        try:
            archive = zipfile.ZipFile(command.path)
        except (zipfile.BadZipFile, OSError) as error:
            raise InvalidDocument(f"not an evidence package: {error}") from None
        with archive:
            if problems := unsafe_entries(archive):
                verdict.problems += problems
                return verdict
            try:
                pdfs = await asyncio.to_thread(_check_files, archive, verdict)
            except (zipfile.BadZipFile, ValueError, EOFError) as error:  # a damaged entry, a CRC that fails
                verdict.problems.append(f"the ZIP is damaged: {error}")
                return verdict
            for name in pdfs:  # at most MAX_ENTRIES, one in memory at a time
                try:
                    pdf = await asyncio.to_thread(read_entry, archive, name, MAX_PDF_BYTES)
                    report = await self._verify_pdf(
                        VerifyPdf(caller=None, pdf=pdf, trust_roots=command.trust_roots, at=command.at)
                    )
                except (zipfile.BadZipFile, ValueError, EOFError) as error:
                    verdict.problems.append(f"{name}: cannot be read from the ZIP: {error}")
                    continue
                except InvalidDocument as error:
                    verdict.problems.append(f"{name}: {error.detail}")
                    continue
                verdict.reports[name] = report
                if not report.valid:
                    verdict.problems.append(f"{name}: {report.summary}")
        return verdict


def _check_files(archive: zipfile.ZipFile, verdict: PackageVerdict) -> list[str]:
    """Sums, manifest and audit trail (synchronous: on a thread); the PDFs left to verify."""
    names = set(archive.namelist())
    if SUMS not in names:
        verdict.problems.append(f"{SUMS} is missing: nothing says what the package holds")
        return []
    sums, problems = parse_sums(read_entry(archive, SUMS, MAX_SUMS_BYTES))
    verdict.problems += problems
    for name, expected in sums.items():
        if name not in names:
            verdict.problems.append(f"{name}: listed in {SUMS} but missing from the ZIP")
        elif entry_sha256(archive, name) != expected:
            verdict.problems.append(f"{name}: its SHA-256 is not the one {SUMS} gives: it was changed")
        else:
            verdict.files_checked += 1
    verdict.problems += [f"{name}: in the ZIP but not in {SUMS}" for name in sorted(names - set(sums) - {SUMS})]
    if MANIFEST in names:
        _check_manifest(_json(archive, MANIFEST, verdict), sums, verdict)
    else:
        verdict.problems.append(f"{MANIFEST} is missing")
    if AUDIT_TRAIL in names:
        _check_audit_trail(_json(archive, AUDIT_TRAIL, verdict), verdict)
    else:
        verdict.problems.append(f"{AUDIT_TRAIL} is missing")
    pdfs = sorted(n for n in names if n.startswith(DOCUMENTS) and n.endswith(".pdf"))
    if not pdfs:
        verdict.problems.append("the package holds no documents")
    return pdfs + ([CERTIFICATE] if CERTIFICATE in names else [])


def _json(archive: zipfile.ZipFile, name: str, verdict: PackageVerdict) -> Any:
    try:
        return json.loads(read_entry(archive, name, MAX_JSON_BYTES))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError among them; absurd nesting
        verdict.problems.append(f"{name} is not JSON an evidence package holds")
        return None


def _check_manifest(manifest: Any, sums: dict[str, str], verdict: PackageVerdict) -> None:
    try:
        listed = {f["name"]: f["sha256"] for f in manifest["files"]}
        recorded = {d["file"]: d["recorded_sha256"] for d in manifest["documents"]}
        verdict.envelope_id = str(manifest["envelope_id"])
    except (TypeError, KeyError):
        verdict.problems.append(f"{MANIFEST} does not have the shape of an evidence package's manifest")
        return
    if listed != {name: sha for name, sha in sums.items() if name != MANIFEST}:
        verdict.problems.append(f"{MANIFEST}: its files and SHA-256s are not those {SUMS} lists")
    for name, sha256 in recorded.items():
        if sums.get(name) != sha256:
            verdict.problems.append(f"{name}: not the document revision the platform recorded ({MANIFEST})")


def _check_audit_trail(trail: Any, verdict: PackageVerdict) -> None:
    try:
        envelope_id = trail["envelope_id"]
        entries = [
            AuditEntry(
                envelope_id=envelope_id, seq=e["seq"], type=e["type"], at=datetime.fromisoformat(e["at"]),
                actor=e["actor"], data=e["data"], prev_hash=e["prev_hash"], hash=e["hash"],
            )
            for e in trail["events"]
        ]  # fmt: skip
    except (TypeError, KeyError, ValueError):
        verdict.problems.append(f"{AUDIT_TRAIL} does not have the shape of an audit trail")
        return
    verdict.audit_entries, verdict.chain_valid = len(entries), bool(entries) and verify_chain(entries)
    if not entries:
        verdict.problems.append(f"{AUDIT_TRAIL}: it holds no events, yet every sent envelope has some")
    elif not verdict.chain_valid:
        verdict.problems.append(f"{AUDIT_TRAIL}: the hash chain is broken")
    if verdict.envelope_id is not None and envelope_id != verdict.envelope_id:
        verdict.problems.append(f"{AUDIT_TRAIL} is another envelope's than {MANIFEST} names")
