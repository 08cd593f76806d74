"""The seal locks the completed document at every level; which validators flag a change made after it.

A completed document (two signers, a filled note, a ticked box, the seal) gets one more
incremental update, unsigned: a stamp drawn on the page, an annotation, or an empty note
filled in (form filling, which the signers' signatures permit: only the seal forbids it).
Who notices:
- pyHanko's difference analysis: the seal's lock says /P 1, so the seal is intact but its
  DocMDP check fails (docmdp_ok False), at every level;
- our verifier (pyHanko's AdES validation and the same analysis): the seal is not valid,
  "changed in a way it does not permit", and the document is not valid;
- poppler's pdfsig knows no DocMDP or locks: it can only say whether the last signature
  covers the whole file. At B-B and B-T the seal does until the change; at B-LTA the last
  document time stamp does; at B-LT the DSS after the seal is never covered, so pdfsig
  shows the same before and after the change.
Archive renewals (document time stamps years later) stay permitted by the lock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from io import BytesIO

import pytest
import pytest_asyncio
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel

from tests.pdf_checks import pdfsig_report, pdfsig_report_all, pyhanko_statuses
from tests.pdf_in_memory import InMemoryPdfSigner
from tests.pdf_samples import make_pdf
from tests.signing_requests import box, signature_request
from undersign.adapters.signing.dev_pki import DevPki
from undersign.adapters.signing.pdf_forms import fill_fields
from undersign.adapters.signing.verification import PyHankoPdfVerifier
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.field import Field, FieldKind
from undersign.domain.policy import SignatureLevel

NOW = datetime.now(UTC)
LEVELS = list(SignatureLevel)
B_LT, B_LTA = SignatureLevel.PADES_B_LT, SignatureLevel.PADES_B_LTA


def _request(signer_id: str, name: str, fields: list[Field], level: SignatureLevel) -> SignatureRequest:
    return signature_request(signer_id, name, fields, level, NOW)


BOB_NOTE = box("b-note", "b", FieldKind.TEXT, 360, "")


async def completed(signer: InMemoryPdfSigner, level: SignatureLevel) -> bytes:
    alice = [
        box("a-sig", "a", FieldKind.SIGNATURE, 100, "Alice"),
        box("a-note", "a", FieldKind.TEXT, 160, "agreed"),
        box("a-tick", "a", FieldKind.CHECKBOX, 220, "true"),
    ]
    bob = [box("b-sig", "b", FieldKind.SIGNATURE, 300, "Bob")]
    prepared = await signer.prepare(make_pdf(), alice + bob + [BOB_NOTE])  # Bob leaves his note empty
    by_alice = await signer.sign(prepared, _request("a", "Alice Example", alice, level))
    by_bob = await signer.sign(by_alice.pdf, _request("b", "Bob Example", bob, level))
    return await signer.seal(by_bob.pdf, level)


def with_stamp_drawn(pdf: bytes) -> bytes:
    """One more content stream on page 1: "PAID" drawn over the signed page."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    page_ref, _resources = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    extra = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 48 Tf 200 500 Td (PAID) Tj ET"))
    contents = page.raw_get("/Contents")
    page[pdf_name("/Contents")] = generic.ArrayObject(
        [*(contents if isinstance(contents, generic.ArrayObject) else [contents]), extra]
    )
    writer.update_container(page)
    return _written(writer)


def with_annotation(pdf: bytes) -> bytes:
    """A square annotation on page 1."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    page_ref, _resources = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    square = writer.add_object(generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Annot"), pdf_name("/Subtype"): pdf_name("/Square"),
        pdf_name("/F"): generic.NumberObject(4),
        pdf_name("/Rect"): generic.ArrayObject([generic.NumberObject(v) for v in (100, 100, 200, 200)]),
    }))  # fmt: skip
    annotations = page["/Annots"] if "/Annots" in page else generic.ArrayObject()
    annotations.append(square)
    if "/Annots" in page and isinstance(page.raw_get("/Annots"), generic.IndirectObject):
        writer.update_container(annotations)
    else:
        page[pdf_name("/Annots")] = annotations
        writer.update_container(page)
    return _written(writer)


def with_note_filled_in(pdf: bytes) -> bytes:
    """Bob's empty note filled in: form filling, which the signers' signatures permit and the seal does not."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    fill_fields(writer, [replace(BOB_NOTE, value="not agreed")])
    return _written(writer)


def _written(writer: IncrementalPdfFileWriter) -> bytes:
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


CHANGES = {
    "stamp drawn on the page": with_stamp_drawn,
    "annotation added": with_annotation,
    "empty note filled in": with_note_filled_in,
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sealed(signer: InMemoryPdfSigner) -> dict[SignatureLevel, bytes]:
    return {level: await completed(signer, level) for level in LEVELS}


@pytest.fixture(scope="module")
def verifier(pki: DevPki) -> PyHankoPdfVerifier:
    return PyHankoPdfVerifier([pki.root_cert_path])


@pytest.mark.parametrize("level", LEVELS)
def test_the_seal_forbids_every_change_and_locks_fields(
    sealed: dict[SignatureLevel, bytes], level: SignatureLevel
) -> None:
    lock = PdfFileReader(BytesIO(sealed[level])).embedded_regular_signatures[-1].sig_field["/Lock"]

    assert lock["/P"] == 1
    if level in (B_LT, B_LTA):
        # Every field but the text ones, which pyHanko 0.38 cannot check under a lock once
        # updates follow (see seal_field_spec); /P 1 forbids changing them all the same.
        assert (lock["/Action"], list(lock["/Fields"])) == ("/Exclude", ["text-a-note", "text-b-note"])
    else:
        assert lock["/Action"] == "/All"


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("level", LEVELS)
def test_pyhanko_flags_a_change_after_the_seal(
    sealed: dict[SignatureLevel, bytes], pki: DevPki, level: SignatureLevel, change: str
) -> None:
    *signers, seal = pyhanko_statuses(CHANGES[change](sealed[level]), pki.root_cert_path)

    assert (seal.intact, seal.valid, seal.trusted) == (True, True, True), seal.summary
    assert seal.docmdp_ok is False, seal.summary
    assert all(s.intact for s in signers)
    if change == "empty note filled in":  # permitted by the signers' signatures: the seal's lock is what forbids it
        assert [s.docmdp_ok for s in signers] == [True, True]


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("level", LEVELS)
async def test_our_verifier_flags_a_change_after_the_seal(
    sealed: dict[SignatureLevel, bytes], verifier: PyHankoPdfVerifier, level: SignatureLevel, change: str
) -> None:
    before = await verifier.verify(sealed[level], trust_roots=None, validation_time=None)
    after = await verifier.verify(CHANGES[change](sealed[level]), trust_roots=None, validation_time=None)

    assert before.valid, before.problems
    seal = next(s for s in after.signatures if s.field_name == "platform-seal")
    assert (seal.intact, seal.valid, seal.modifications_permitted) == (True, False, False)
    assert not after.valid
    assert any("in a way it does not permit" in problem for problem in after.problems), after.problems


@pytest.mark.parametrize("level", LEVELS)
def test_pdfsig_tells_only_whether_the_last_signature_covers_the_whole_file(
    sealed: dict[SignatureLevel, bytes], level: SignatureLevel
) -> None:
    fields = 6 if level is B_LTA else 3  # Alice, Bob, the seal; at B-LTA each is followed by a document time stamp
    before = pdfsig_report_all(sealed[level], expected=fields)
    after = pdfsig_report_all(with_stamp_drawn(sealed[level]), expected=fields)

    # Every approval signature (Alice, Bob, the seal) "is Valid".
    assert all(s.valid for s in pdfsig_report(with_stamp_drawn(sealed[level]), expected=3))
    assert before[-1].field_name == ("timestamp-platform-seal" if level is B_LTA else "platform-seal")
    # B-LT: the DSS after the seal is covered by nothing, before the change or after it.
    assert before[-1].total_document_signed is (level is not B_LT)
    assert after[-1].total_document_signed is False


async def test_archive_renewals_stay_permitted_by_the_lock(
    sealed: dict[SignatureLevel, bytes], signer: InMemoryPdfSigner, pki: DevPki, verifier: PyHankoPdfVerifier
) -> None:
    renewed = await signer.add_archive_timestamp(await signer.add_archive_timestamp(sealed[B_LTA]))

    *_, seal = pyhanko_statuses(renewed, pki.root_cert_path, revocation_mode="require")
    assert (seal.docmdp_ok, seal.modification_level) == (True, ModificationLevel.LTA_UPDATES), seal.summary
    report = await verifier.verify(renewed, trust_roots=None, validation_time=None)
    assert report.valid, report.problems
    # ...and a change after the renewals still breaks the seal.
    *_, seal = pyhanko_statuses(with_annotation(renewed), pki.root_cert_path)
    assert seal.docmdp_ok is False
