"""What a signed document is made of, on multi-page and rotated documents: fields, widgets, appearances, locks.

Signing reads only the pages of the fields it fills and signs (page_geometry.page_at climbs
from a widget's /P), never the whole page tree; these tests hold the result to what the
walk of the whole tree gives: each widget on its page at its place, appearances turned
upright on a rotated page (by /Rotate on the page or inherited from the tree), the seal's
lock, and signatures that pyHanko and poppler's pdfsig both find valid.
"""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.pdf_checks import form_field_values, pdfsig_report, pyhanko_statuses
from tests.pdf_in_memory import InMemoryPdfSigner
from tests.pdf_samples import make_pdf
from undersign.adapters.signing.dev_pki import DevPki
from undersign.adapters.signing.page_geometry import iter_pages, page_at, upright_matrix
from undersign.adapters.signing.pdf_streams import CMS_FRAME_BYTES
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.field import Field, FieldKind, Placement
from undersign.domain.policy import SignatureLevel

NOW = datetime.now(UTC)
PAGES = 4


def inherited_rotation(pdf: bytes, rotate: int, *, upright_page: int) -> bytes:
    """`pdf` with /Rotate on its page tree's root, inherited by every page but `upright_page` (which says 0)."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    pages = writer.root["/Pages"]
    pages[pdf_name("/Rotate")] = generic.NumberObject(rotate)
    writer.update_container(pages)
    page_ref = list(iter_pages(writer))[upright_page - 1].ref
    page_ref.get_object()[pdf_name("/Rotate")] = generic.NumberObject(0)
    writer.mark_update(page_ref)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


SAMPLES = {
    "upright": (make_pdf(pages=PAGES), [0, 0, 0, 0]),
    "rotated-pages": (make_pdf(pages=PAGES, rotate=90), [90, 90, 90, 90]),
    "cropped-rotated": (make_pdf(pages=PAGES, rotate=-90, crop_box=(10, 20, 510, 720)), [270, 270, 270, 270]),
    # Page 3 overrides the tree's 180 with 0.
    "rotation-inherited": (inherited_rotation(make_pdf(pages=PAGES), 180, upright_page=3), [180, 180, 0, 180]),
}


# -- one page without the walk ------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES)
def test_a_page_found_from_its_reference_is_the_page_the_tree_walk_finds(sample: str) -> None:
    pdf, rotations = SAMPLES[sample]
    reader = PdfFileReader(BytesIO(pdf))

    pages = list(iter_pages(reader))
    assert [page.rotation for page in pages] == rotations
    for page in pages:
        assert page_at(reader, page.ref) == page


def test_a_reference_to_something_not_a_page_finds_no_page() -> None:
    pdf = inherited_rotation(make_pdf(pages=2), 90, upright_page=1)
    reader = PdfFileReader(BytesIO(pdf))
    first = list(iter_pages(reader))[0].ref
    font = first.get_object()["/Resources"]["/Font"].raw_get("/F1")

    assert page_at(reader, reader.root.raw_get("/Pages")) is None
    assert page_at(reader, font) is None
    assert page_at(reader, generic.NumberObject(1)) is None


def test_a_page_its_parent_does_not_list_is_not_a_page_of_the_document() -> None:
    writer = IncrementalPdfFileWriter(BytesIO(make_pdf(pages=2)))
    second = list(iter_pages(writer))[1].ref
    pages = writer.root["/Pages"]
    # Cut out of the tree, but still pointing at its old parent.
    pages[pdf_name("/Kids")] = generic.ArrayObject([kid for kid in pages["/Kids"] if kid.reference != second.reference])
    pages[pdf_name("/Count")] = generic.NumberObject(1)

    assert page_at(writer, second) is None


# -- a whole envelope's signatures ----------------------------------------------------------


def field(field_id: str, signer_id: str, kind: FieldKind, *, page: int, x: float = 50, y: float = 100,
          width: float = 150, height: float = 40, value: str | None = None) -> Field:  # fmt: skip
    return Field(id=field_id, document_id="doc", signer_id=signer_id, kind=kind,
                 placement=Placement(page=page, x=x, y=y, width=width, height=height), value=value)  # fmt: skip


ALICE = [
    field("a-sig", "A", FieldKind.SIGNATURE, page=2, value="Alice Example"),
    field("a-initials", "A", FieldKind.INITIALS, page=3, width=60, height=30, value="AE"),
    field("a-agree", "A", FieldKind.CHECKBOX, page=1, x=300, width=20, height=20, value="true"),
    field("a-date", "A", FieldKind.DATE_SIGNED, page=4, y=160, height=20, value="2026-11-22"),
    field("a-sig-2", "A", FieldKind.SIGNATURE, page=3, x=300, y=300, value="Alice Example"),
]
BOB = [
    field("b-note", "B", FieldKind.TEXT, page=1, y=300, width=200, height=25, value="Bob's note"),
    field("b-sig", "B", FieldKind.SIGNATURE, page=3, x=200, y=400, value="Bob Example"),
    field("b-optin", "B", FieldKind.CHECKBOX, page=4, x=300, y=200, width=20, height=20, value="false"),
]
# The field each one's value or signature is in, and whether its appearance shows a value.
FIELD_NAMES = {
    "a-sig": "sig-a-sig", "a-initials": "initials-a-initials", "a-agree": "checkbox-a-agree",
    "a-date": "date_signed-a-date", "a-sig-2": "signature-a-sig-2", "b-note": "text-b-note",
    "b-sig": "sig-b-sig", "b-optin": "checkbox-b-optin",
}  # fmt: skip


def request(signer_id: str, name: str, fields: list[Field], level: SignatureLevel) -> SignatureRequest:
    return SignatureRequest(signer_id=signer_id, name=name, email=f"{signer_id.lower()}@example.com",
                            signature_text=name, fields=fields, at=NOW, level=level)  # fmt: skip


async def signed_by_everyone(signer: InMemoryPdfSigner, pdf: bytes, level: SignatureLevel) -> bytes:
    prepared = await signer.prepare(pdf, ALICE + BOB)
    by_alice = await signer.sign(prepared, request("A", "Alice Example", ALICE, level))
    by_bob = await signer.sign(by_alice.pdf, request("B", "Bob Example", BOB, level))
    return await signer.seal(by_bob.pdf, level)


def field_refs(reader: PdfFileReader) -> dict[str, generic.IndirectObject]:
    return {str(ref.get_object()["/T"]): ref for ref in reader.root["/AcroForm"]["/Fields"]}


def fields_by_name(reader: PdfFileReader) -> dict[str, generic.DictionaryObject]:
    return {name: ref.get_object() for name, ref in field_refs(reader).items()}


@pytest.mark.parametrize("sample", SAMPLES)
async def test_every_widget_is_on_its_page_at_its_place_with_an_upright_appearance(
    signer: InMemoryPdfSigner, sample: str
) -> None:
    pdf, rotations = SAMPLES[sample]
    sealed = await signed_by_everyone(signer, pdf, SignatureLevel.PADES_B_B)

    reader = PdfFileReader(BytesIO(sealed))
    pages = list(iter_pages(reader))
    refs = field_refs(reader)
    fields = fields_by_name(reader)
    assert set(fields) == {*FIELD_NAMES.values(), "platform-seal"}
    for placed in ALICE + BOB:
        widget = fields[FIELD_NAMES[placed.id]]
        page = pages[placed.placement.page - 1]
        assert page.rotation == rotations[placed.placement.page - 1]
        assert widget.raw_get("/P").reference == page.ref.reference
        assert [round(float(c), 3) for c in widget["/Rect"]] == [round(c, 3) for c in page.user_rect(placed.placement)]
        annots = page.ref.get_object()["/Annots"]
        assert refs[FIELD_NAMES[placed.id]].reference in {annots.raw_get(i).reference for i in range(len(annots))}
        appearance = widget["/AP"]["/N"]
        if placed.kind is FieldKind.CHECKBOX:
            assert widget["/AS"] == ("/Yes" if placed.value == "true" else "/Off")
            continue
        # Signatures' stamps and filled values alike read upright on the displayed page.
        matrix = appearance.get("/Matrix")
        if page.rotation:
            assert list(matrix) == list(upright_matrix(page.rotation)), placed.id
        else:
            assert matrix is None or [float(n) for n in matrix] == [1, 0, 0, 1, 0, 0], placed.id
        assert appearance.data, placed.id
    for name in ("sig-a-sig", "sig-b-sig", "platform-seal"):
        assert fields[name]["/FT"] == "/Sig"
        assert "/V" in fields[name]
    # The seal is invisible and locks everything (B-B: nothing follows it).
    seal = fields["platform-seal"]
    assert [float(c) for c in seal["/Rect"]] == [0, 0, 0, 0]
    assert (seal["/Lock"]["/Action"], seal["/Lock"]["/P"]) == ("/All", 1)
    assert form_field_values(sealed) == {
        "initials-a-initials": "AE",
        "checkbox-a-agree": "/Yes",
        "date_signed-a-date": "2026-11-22",
        "signature-a-sig-2": "Alice Example",
        "text-b-note": "Bob's note",
        "checkbox-b-optin": "/Off",
    }


@pytest.mark.parametrize("level", [SignatureLevel.PADES_B_B, SignatureLevel.PADES_B_LTA], ids=["B-B", "B-LTA"])
async def test_the_signatures_are_valid_for_pyhanko_and_pdfsig(
    signer: InMemoryPdfSigner, pki: DevPki, level: SignatureLevel
) -> None:
    pdf, _ = SAMPLES["rotation-inherited"]
    sealed = await signed_by_everyone(signer, pdf, level)

    report = pdfsig_report(sealed, expected=3)
    assert [signature.field_name for signature in report] == ["sig-a-sig", "sig-b-sig", "platform-seal"]
    assert all(signature.valid for signature in report), report
    statuses = pyhanko_statuses(
        sealed, pki.root_cert_path, revocation_mode="require" if level is SignatureLevel.PADES_B_LTA else "soft-fail"
    )
    assert [status.field_name for status in statuses] == ["sig-a-sig", "sig-b-sig", "platform-seal"]
    for status in statuses:
        assert (status.intact, status.valid, status.trusted, status.docmdp_ok) == (True, True, True, True), status
    reader = PdfFileReader(BytesIO(sealed))
    seal_lock = fields_by_name(reader)["platform-seal"]["/Lock"]
    if level is SignatureLevel.PADES_B_LTA:
        # Updates follow the seal: text fields are excluded from the lock, /P 1 still forbids changing them.
        assert seal_lock["/Action"] == "/Exclude"
        assert sorted(str(name) for name in seal_lock["/Fields"]) == sorted(
            ["date_signed-a-date", "initials-a-initials", "signature-a-sig-2", "text-b-note"]
        )
        assert "/DSS" in reader.root
        assert len(reader.embedded_timestamp_signatures) == 3
    else:
        assert seal_lock["/Action"] == "/All"
        assert "/DSS" not in reader.root
    assert seal_lock["/P"] == 1


async def test_a_b_lta_signature_is_the_signature_then_its_validation_data_under_a_document_time_stamp(
    signer: InMemoryPdfSigner,
) -> None:
    """Two incremental updates: the signature; then its validation data (the DSS, with the VRI entry
    keyed by the signature) and the document time stamp over it, together. The time stamp's TSA needs
    nothing more in the DSS (the signature's own time stamp brought it). The CMS blob has the room it
    needs and a little more, not pyHanko's half again: every later signature parses it."""
    pdf = make_pdf()
    before = PdfFileReader(BytesIO(pdf)).xrefs.total_revisions

    signed = await signer.sign(pdf, request("A", "Alice Example", [], SignatureLevel.PADES_B_LTA))

    reader = PdfFileReader(BytesIO(signed.pdf))
    (signature,) = reader.embedded_regular_signatures
    (stamp,) = reader.embedded_timestamp_signatures
    assert (signature.signed_revision, stamp.signed_revision) == (before, before + 1)
    assert reader.xrefs.total_revisions == before + 2
    assert "/DSS" not in reader.get_historical_root(before)
    dss = reader.get_historical_root(before + 1)["/DSS"]
    assert len(dss["/VRI"]) == 1 and dss["/Certs"] and dss["/OCSPs"]
    room, used = len(signature.sig_object["/Contents"]), len(signature.signed_data.dump())
    assert 0 < room - used <= CMS_FRAME_BYTES
