"""Steps that verify PDFs through POST /v1/verify, on final PDFs the real stack signed and sealed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pytest_bdd import given, parsers, then, when

from tests.bdd.steps.http_steps import Api, envelope_status_over_api, final_pdf_over_api, signs_through_link

SEAL_FIELD = "platform-seal"
TWO_YEARS = timedelta(days=2 * 365)


@dataclass
class Verification:
    pdf: bytes = b""
    at: datetime | None = None
    report: dict[str, Any] | None = None

    @property
    def signatures(self) -> list[dict[str, Any]]:
        """The signatures proper, in signing order; the document timestamps that follow each are left out."""
        assert self.report is not None, "the PDF was not verified"
        return [s for s in self.report["signatures"] if s["kind"] == "signature"]

    def signature_of(self, name: str) -> dict[str, Any]:
        found = [s for s in self.signatures if s["signer"]["name"] == name]
        assert len(found) == 1, f"expected one signature by {name!r}, found {len(found)} in {self.signatures}"
        return found[0]


@pytest.fixture
def verification() -> Verification:
    return Verification()


def earliest_signer_covering(pdf: bytes, offset: int) -> str:
    """Whose signature (its certificate's common name) is the first in the file whose signed bytes include `offset`.

    Every ByteRange starts at the beginning of the file, so a signature covers `offset`
    when its second range ends after it.
    """
    covering = []
    for signature in PdfFileReader(BytesIO(pdf)).embedded_signatures:
        _, _, second_start, second_length = signature.sig_object["/ByteRange"]
        end = int(second_start) + int(second_length)
        if offset < end:
            covering.append((end, signature.signer_cert.subject.native["common_name"]))
    assert covering, f"no signature covers byte {offset}"
    return min(covering)[1]


# -- given ------------------------------------------------------------------------------


@given(parsers.parse('"{first}" and then "{second}" have signed it, so the platform sealed the final PDF'))
def both_signed(api: Api, verification: Verification, first: str, second: str) -> None:
    signs_through_link(api, first)
    signs_through_link(api, second)
    assert envelope_status_over_api(api) == "completed"
    verification.pdf = final_pdf_over_api(api)


@given(parsers.parse('someone changes one letter of the signature stamp of "{name}" in the final PDF'))
def change_a_letter_of_the_stamp(verification: Verification, name: str) -> None:
    stamp = f"(Signed by {name})".encode()
    assert verification.pdf.count(stamp) == 1, f"the stamp of {name!r} is not in the final PDF exactly once"
    offset = verification.pdf.index(stamp) + len("(Signed by ")
    # The byte must lie in the part this signer's signature is the first to cover, or the
    # scenario could not show that the verdict blames that signature and spares earlier ones.
    assert earliest_signer_covering(verification.pdf, offset) == name
    original = verification.pdf[offset : offset + 1]
    verification.pdf = verification.pdf[:offset] + (b"X" if original != b"X" else b"Y") + verification.pdf[offset + 1 :]


@given("someone adds a note to the first page of the final PDF without signing it")
def add_an_unsigned_note(verification: Verification) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(verification.pdf))
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    note = writer.add_object(
        generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Text"),
            pdf_name("/Rect"): generic.ArrayObject(map(generic.NumberObject, (72, 700, 92, 720))),
            pdf_name("/Contents"): generic.TextStringObject("Rent is now 10% higher"),
        })
    )
    annotations = page.get("/Annots", generic.ArrayObject())
    annotations.append(note)
    page[pdf_name("/Annots")] = annotations
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    assert len(out.getvalue()) > len(verification.pdf) and out.getvalue().startswith(verification.pdf)
    verification.pdf = out.getvalue()


@given("someone cuts the final PDF just before the platform seal")
def cut_before_the_seal(verification: Verification) -> None:
    seal = PdfFileReader(BytesIO(verification.pdf)).embedded_regular_signatures[-1]
    assert seal.field_name == SEAL_FIELD
    # The revision before the seal's ends with the last end-of-file marker before the seal's signature.
    _, seal_starts, _, _ = seal.sig_object["/ByteRange"]
    end = verification.pdf.rindex(b"%%EOF", 0, int(seal_starts)) + len(b"%%EOF")
    verification.pdf = verification.pdf[:end] + b"\n"


# -- when -------------------------------------------------------------------------------


def verify(api: Api, verification: Verification) -> None:
    params = {"at": verification.at.isoformat()} if verification.at else {}
    response = api.client.post(
        "/v1/verify",
        files={"file": ("document.pdf", verification.pdf, "application/pdf")},
        params=params,
        headers=api.headers,
    )
    assert response.status_code == 200, response.text
    verification.report = response.json()


@when("the final PDF is verified")
@when("the PDF is verified")
def verified_now(api: Api, verification: Verification) -> None:
    verify(api, verification)


@when("the final PDF is verified as of two years from now")
def verified_in_two_years(api: Api, verification: Verification) -> None:
    verification.at = (datetime.now(UTC) + TWO_YEARS).replace(microsecond=0)
    verify(api, verification)
    assert verification.report["validation_time"] == verification.at.isoformat().replace("+00:00", "Z")


# -- then -------------------------------------------------------------------------------


@then("the document is valid")
def document_valid(verification: Verification) -> None:
    report = verification.report
    assert report["valid"] is True, report["summary"]
    assert report["problems"] == [] and report["summary"].startswith("valid:")


@then("the document is not valid")
def document_not_valid(verification: Verification) -> None:
    report = verification.report
    assert report["valid"] is False
    assert report["problems"] and report["summary"].startswith("not valid:")


@then(parsers.parse('the signatures of "{first}", "{second}" and the platform seal are each intact and trusted'))
def signers_and_seal_intact(verification: Verification, first: str, second: str) -> None:
    signatures = verification.signatures
    assert [s["signer"]["name"] for s in signatures[:2]] == [first, second]
    assert [s["field_name"] for s in signatures[2:]] == [SEAL_FIELD]
    for signature in verification.report["signatures"]:  # their document timestamps as well
        assert signature["intact"] and signature["trusted"] and signature["valid"], signature


@then(parsers.parse("every signature reaches PAdES level {level}"))
def every_signature_at_level(verification: Verification, level: str) -> None:
    assert len(verification.signatures) == 3
    assert {s["field_name"]: s["pades_level"] for s in verification.signatures} == {
        s["field_name"]: level for s in verification.signatures
    }


@then(parsers.parse('the verdict names the signature of "{name}" as changed after signing'))
def verdict_names_the_broken_signature(verification: Verification, name: str) -> None:
    broken = verification.signature_of(name)
    assert broken["intact"] is False and broken["valid"] is False
    blamed = [p for p in verification.report["problems"] if p.startswith(f"signature {broken['field_name']!r} is not valid")]
    assert len(blamed) == 1 and "changed after signing" in blamed[0], verification.report["problems"]


@then(parsers.parse('the signature of "{name}", made before that part was added, is still intact and valid'))
def earlier_signature_holds(verification: Verification, name: str) -> None:
    earlier = verification.signature_of(name)
    assert earlier["intact"] and earlier["trusted"] and earlier["valid"], earlier
    assert not any(repr(earlier["field_name"]) in p for p in verification.report["problems"])


@then("every signature is still intact")
def every_signature_intact(verification: Verification) -> None:
    assert len(verification.signatures) == 3
    assert all(s["intact"] and s["trusted"] for s in verification.report["signatures"]), verification.report


@then("the verdict says the document was changed after its last signature")
def changed_after_last_signature(verification: Verification) -> None:
    last = verification.report["signatures"][-1]
    assert last["modifications_after"] not in ("none", "validation_data"), last
    assert any(
        p.startswith("the document was changed after its last signature") and "no signature covers that change" in p
        for p in verification.report["problems"]
    ), verification.report["problems"]


@then(parsers.parse('the certificates of "{first}" and "{second}" have expired by then'))
def certificates_expired(verification: Verification, first: str, second: str) -> None:
    """Without the timestamps the document carries, these signatures could not be trusted at that time."""
    reader = PdfFileReader(BytesIO(verification.pdf))
    not_after = {s.field_name: s.signer_cert.not_valid_after for s in reader.embedded_signatures}
    for name in (first, second):
        assert not_after[verification.signature_of(name)["field_name"]] < verification.at, name


@then(parsers.parse('the signatures of "{first}" and "{second}" are intact and trusted, and there is no other'))
def only_the_signers(verification: Verification, first: str, second: str) -> None:
    assert [s["signer"]["name"] for s in verification.signatures] == [first, second]
    assert all(s["intact"] and s["trusted"] and s["valid"] for s in verification.signatures), verification.signatures


@then("the verdict says the platform seal is missing")
def seal_missing(verification: Verification) -> None:
    assert any("carries no platform seal" in p for p in verification.report["problems"]), verification.report["problems"]
