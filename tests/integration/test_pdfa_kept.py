"""PDF/A in, PDF/A out: a PDF/A-1b, 2b or 3b upload signed by two recipients and sealed, at every level.

Checked here: the version (header and catalog at most 1.7, no ISO 32002 extension, which
means PDF 2.0), the XMP identification and the output intents as uploaded, no construct PDF/A
forbids in the form and widgets, pikepdf's PDF/A validator finding no violation, and every
signature still intact and valid for pyHanko and pdfsig. Not checked: fonts in appearances,
and what pikepdf's validator does not check (forms, the DSS, embedded files); no veraPDF here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import pytest_asyncio

from tests.pdf_checks import pdfsig_report, pyhanko_statuses
from tests.pdf_in_memory import InMemoryPdfSigner
from tests.pdf_samples import make_pdf
from tests.pdfa_checks import (
    catalog_version,
    extensions,
    form_problems,
    header_version,
    identification,
    make_pdfa_pdf,
    output_intent_profiles,
    pikepdf_objections,
)
from tests.signing_requests import box, signature_request
from undersign.adapters.signing.pdf_inspector import inspect_pdf
from undersign.adapters.signing.pdfa import PdfaIdentification
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.field import Field, FieldKind
from undersign.domain.policy import SignatureLevel

NOW = datetime.now(UTC)
PARTS = [1, 2, 3]
LEVELS = list(SignatureLevel)
CASES = [(part, level) for part in PARTS for level in LEVELS]


def _field(field_id: str, kind: FieldKind, y: float, value: str) -> Field:
    return box(field_id, "a", kind, y, value)


def _request(signer_id: str, name: str, fields: list[Field], level: SignatureLevel) -> SignatureRequest:
    return signature_request(signer_id, name, fields, level, NOW)


async def signed_and_sealed(signer: InMemoryPdfSigner, pdf: bytes, level: SignatureLevel) -> bytes:
    """Alice signs in her box with a note and a ticked box; Bob, who has no field, signs invisibly; the seal."""
    alice = [
        _field("a-sig", FieldKind.SIGNATURE, 100, "Alice"),
        _field("a-note", FieldKind.TEXT, 160, "read and agreed"),
        _field("a-tick", FieldKind.CHECKBOX, 220, "true"),
    ]
    prepared = await signer.prepare(pdf, alice)
    by_alice = await signer.sign(prepared, _request("a", "Alice Example", alice, level))
    by_bob = await signer.sign(by_alice.pdf, _request("b", "Bob Example", [], level))
    return await signer.seal(by_bob.pdf, level)


@pytest.fixture(scope="module")
def uploads() -> dict[int, bytes]:
    return {part: make_pdfa_pdf(part) for part in PARTS}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sealed(signer: InMemoryPdfSigner, uploads: dict[int, bytes]) -> dict[tuple[int, SignatureLevel], bytes]:
    return {(part, level): await signed_and_sealed(signer, uploads[part], level) for part, level in CASES}


@pytest.mark.parametrize("part", PARTS)
def test_the_samples_are_pdfa_and_accepted_as_uploads(uploads: dict[int, bytes], part: int) -> None:
    assert inspect_pdf(uploads[part]).pages  # the upload checks (active content, limits) take them
    assert identification(uploads[part]) == PdfaIdentification(part=part, conformance="B")
    assert pikepdf_objections(uploads[part], part) == []
    assert len(output_intent_profiles(uploads[part])) == 1


@pytest.mark.parametrize(("part", "level"), CASES)
def test_the_version_stays_at_most_pdf_1_7_without_the_pdf_2_0_extension(
    sealed: dict[tuple[int, SignatureLevel], bytes], uploads: dict[int, bytes], part: int, level: SignatureLevel
) -> None:
    pdf = sealed[part, level]

    assert header_version(pdf) == header_version(uploads[part]) <= (1, 7)
    assert catalog_version(pdf) in (None, (1, 4), (1, 7))
    assert "/ISO_" not in extensions(pdf)  # ISO 32002 (ECDSA in PDF 2.0)
    assert "/ESIC" in extensions(pdf)  # PAdES on PDF 1.7


@pytest.mark.parametrize(("part", "level"), CASES)
def test_the_xmp_identification_and_the_output_intents_are_kept(
    sealed: dict[tuple[int, SignatureLevel], bytes], uploads: dict[int, bytes], part: int, level: SignatureLevel
) -> None:
    pdf = sealed[part, level]

    assert identification(pdf) == PdfaIdentification(part=part, conformance="B")
    assert output_intent_profiles(pdf) == output_intent_profiles(uploads[part])


@pytest.mark.parametrize(("part", "level"), CASES)
def test_signing_adds_nothing_pdfa_forbids(
    sealed: dict[tuple[int, SignatureLevel], bytes], part: int, level: SignatureLevel
) -> None:
    pdf = sealed[part, level]

    assert form_problems(pdf) == []
    assert pikepdf_objections(pdf, part) == []


@pytest.mark.parametrize(("part", "level"), CASES)
def test_every_signature_stays_valid(
    sealed: dict[tuple[int, SignatureLevel], bytes], pki, part: int, level: SignatureLevel
) -> None:
    pdf = sealed[part, level]

    report = pdfsig_report(pdf, expected=3)
    assert [s.field_name for s in report] == ["sig-a-sig", "sig-b", "platform-seal"]
    assert all(s.valid for s in report), report
    for status in pyhanko_statuses(pdf, pki.root_cert_path):
        assert (status.intact, status.valid, status.trusted, status.docmdp_ok) == (True,) * 4, status.summary


async def test_a_document_that_is_not_pdfa_is_signed_as_before_in_pdf_2_0(signer: InMemoryPdfSigner) -> None:
    """pyHanko's own choice for ECDSA on P-256, left alone where there is no PDF/A to keep."""
    pdf = await signed_and_sealed(signer, make_pdf(), SignatureLevel.PADES_B_B)

    assert catalog_version(pdf) == (2, 0) and "/ISO_" in extensions(pdf)
    assert identification(pdf) is None
