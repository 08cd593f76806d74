"""The certificate of completion is PDF/A-3b with the audit trail attached, and stays so once sealed."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pikepdf
import pytest
import pytest_asyncio
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

from tests.pdf_checks import pdfsig_report, pyhanko_statuses
from tests.pdf_in_memory import InMemoryPdfSigner
from tests.pdfa_checks import (
    catalog_version,
    extensions,
    form_problems,
    header_version,
    identification,
    output_intent_profiles,
    pikepdf_findings,
    pikepdf_objections,
)
from undersign.adapters.signing import completion_certificate
from undersign.adapters.signing.completion_certificate import ReportLabCompletionCertificateRenderer
from undersign.adapters.signing.completion_certificate_pdfa import certificate_as_pdfa3
from undersign.adapters.signing.pdfa import PdfaIdentification
from undersign.application.evidence.completion_certificate import (
    AuditLine,
    CompletionCertificate,
    RecipientEvidence,
    SignedRevision,
)
from undersign.domain.audit import GENESIS_HASH, AuditEntry, entry_hash
from undersign.domain.policy import SignatureLevel

AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
PDFA_3B = PdfaIdentification(part=3, conformance="B")


def _entries() -> list[AuditEntry]:
    entries, prev = [], GENESIS_HASH
    for seq, (kind, data) in enumerate(
        [("envelope.created", {"subject": "Lease"}), ("envelope.sent", {}), ("envelope.completed", {"by": "Zoë"})], 1
    ):
        fields = dict(envelope_id="env-1", seq=seq, type=kind, at=AT + timedelta(minutes=seq), actor="user:u-1",
                      data=data, prev_hash=prev)  # fmt: skip
        entries.append(AuditEntry(**fields, hash=entry_hash(**fields)))
        prev = entries[-1].hash
    return entries


def certificate(subject: str = "Lease, Zoë Straße") -> CompletionCertificate:
    entries = _entries()
    return CompletionCertificate(
        envelope_id="env-1", subject=subject, status="completed", routing="sequential",
        signature_level="PAdES-B-LTA", created_at=AT, sent_at=AT, completed_at=AT + timedelta(hours=1),
        documents=(), recipients=(),
        audit=tuple(AuditLine(seq=e.seq, type=e.type, at=e.at, actor=e.actor, hash_prefix=e.hash[:16])
                    for e in entries),
        chain_head=entries[-1].hash, chain_valid=True, audit_entries=tuple(entries),
    )  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def rendered() -> bytes:
    return await ReportLabCompletionCertificateRenderer().render(certificate())


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sealed(signer: InMemoryPdfSigner, rendered: bytes) -> dict[SignatureLevel, bytes]:
    return {level: await signer.seal(rendered, level) for level in SignatureLevel}


def test_the_certificate_is_pdfa_3b_for_pikepdfs_validator(rendered: bytes) -> None:
    assert identification(rendered) == PDFA_3B
    assert pikepdf_findings(rendered, 3) == []  # approved: nothing it could not check either
    [(subtype, _profile)] = output_intent_profiles(rendered)
    assert subtype == "/GTS_PDFA1"


def test_the_audit_trail_is_attached_as_its_export_gives_it(rendered: bytes) -> None:
    with pikepdf.open(BytesIO(rendered)) as document:
        [(name, spec)] = document.attachments.items()
        [associated] = document.Root.AF
        file = spec.get_file()

        assert name == "audit-trail-env-1.json"
        assert associated.objgen == spec.obj.objgen  # an associated file of the whole document
        assert spec.obj.AFRelationship == pikepdf.Name.Data
        assert file.mime_type == "application/json" and file.mod_date is not None
        trail = json.loads(file.read_bytes())
    entries = _entries()
    assert trail["envelope_id"] == "env-1" and trail["chain_valid"] is True
    assert [e["hash"] for e in trail["events"]] == [e.hash for e in entries]
    assert trail["events"][2] == {
        "seq": 3, "type": "envelope.completed", "at": "2026-11-02T09:33:00Z", "actor": "user:u-1",
        "data": {"by": "Zoë"}, "prev_hash": entries[1].hash, "hash": entries[2].hash,
    }  # fmt: skip


def test_the_same_certificate_gives_the_same_bytes(rendered: bytes) -> None:
    assert asyncio.run(ReportLabCompletionCertificateRenderer().render(certificate())) == rendered


def test_a_certificate_that_cannot_be_pdfa_is_still_given_with_its_audit_trail() -> None:
    """Say a glyph its font lacks, or, here, text in a font that is not embedded."""
    out = BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.drawString(72, 720, "Helvetica, not embedded")
    page.save()

    pdf = certificate_as_pdfa3(out.getvalue(), certificate())

    assert identification(pdf) is None
    with pikepdf.open(BytesIO(pdf)) as document:
        assert list(document.attachments) == ["audit-trail-env-1.json"]


@pytest.mark.parametrize("level", list(SignatureLevel))
def test_the_sealed_certificate_stays_pdfa_3b(
    sealed: dict[SignatureLevel, bytes], rendered: bytes, level: SignatureLevel
) -> None:
    pdf = sealed[level]

    assert header_version(pdf) <= (1, 7) and catalog_version(pdf) in (None, (1, 7))
    assert "/ISO_" not in extensions(pdf)
    assert identification(pdf) == PDFA_3B
    assert output_intent_profiles(pdf) == output_intent_profiles(rendered)
    assert form_problems(pdf) == []
    assert pikepdf_objections(pdf, 3) == []


@pytest.mark.parametrize("level", list(SignatureLevel))
def test_the_seal_on_the_certificate_is_valid(sealed: dict[SignatureLevel, bytes], pki, level: SignatureLevel) -> None:
    [seal] = pdfsig_report(sealed[level], expected=1)
    [status] = pyhanko_statuses(sealed[level], pki.root_cert_path)

    assert seal.valid
    assert (status.intact, status.valid, status.trusted, status.docmdp_ok) == (True,) * 4, status.summary


def test_laying_a_paragraph_out_once_per_width_draws_what_laying_it_out_every_time_draws(monkeypatch) -> None:
    # Pages of audit rows (tables split across pages), cells that wrap (a long user agent,
    # hashes broken anywhere) and a right-to-left name: every way a cell is asked its size.
    revision = SignedRevision(filename="lease.pdf", before_sha256="ab" * 32, after_sha256="cd" * 32)
    recipients = tuple(
        RecipientEvidence(
            name=name, email=f"signer{order}@example.com", role="signer", status="signed", routing_order=order,
            acted_at=AT, auth_method="email_link", ip="2001:db8::1", user_agent="Mozilla/5.0 (X11; Linux x86_64) " * 6,
            certificate_serials=("1f2e3d4c5b6a79",), revisions=(revision,),
        )  # fmt: skip
        for order, name in enumerate(["Zoë Straße", "محمد بن علي", "王芳"], 1)
    )
    audit = tuple(
        AuditLine(seq=seq, type="recipient.signed", at=AT, actor=f"recipient:r-{seq}", hash_prefix=f"{seq:016x}")
        for seq in range(1, 121)
    )
    long = replace(certificate(), recipients=recipients, audit=audit)
    once = asyncio.run(ReportLabCompletionCertificateRenderer().render(long))
    monkeypatch.setattr(completion_certificate._Paragraph, "wrap", Paragraph.wrap)
    every_time = asyncio.run(ReportLabCompletionCertificateRenderer().render(long))
    assert len(pikepdf.open(BytesIO(once)).pages) >= 3
    assert once == every_time
