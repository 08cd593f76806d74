"""Our verdict on a signature next to pyHanko's AdES indication: the sentence saying why they differ, where they do."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from undersign.application.evidence.verification import (
    Coverage,
    Modifications,
    RevocationStatus,
    SignatureKind,
    SignatureReport,
    VerificationReport,
)
from undersign.entrypoints.cli.verify import _report_text
from undersign.entrypoints.verification_report import ades_difference, verification_report_out

AT = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

PASSED = SignatureReport(
    field_name="sig-ada-sig", kind=SignatureKind.SIGNATURE, signer_name="Ada", signer_email="ada@example.com",
    certificate_serial="1f", claimed_signing_time=AT, timestamp=None, intact=True, trusted=True,
    revocation=RevocationStatus.GOOD, pades_level="B-LTA", coverage=Coverage.ENTIRE_FILE,
    modifications_after=Modifications.VALIDATION_DATA, modifications_permitted=True,
    ades_indication="PASSED", ades_subindication=None, valid=True,
)  # fmt: skip
NO_REVOCATION_DATA = replace(
    PASSED, pades_level="B-T", revocation=RevocationStatus.UNKNOWN,
    ades_indication="INDETERMINATE", ades_subindication="CERTIFICATE_CHAIN_GENERAL_FAILURE",
)  # fmt: skip
NO_PROOF_OF_EXISTENCE = replace(PASSED, pades_level="B-LT", ades_indication="INDETERMINATE", ades_subindication="NO_POE")


@pytest.mark.parametrize(
    "signature",
    [
        PASSED,
        replace(NO_PROOF_OF_EXISTENCE, valid=False, problems=("its timestamp is untrusted",)),
        replace(PASSED, ades_indication="FAILED", ades_subindication="HASH_FAILURE", valid=False, problems=("x",)),
    ],
)
def test_none_where_valid_is_exactly_ades_passed(signature: SignatureReport) -> None:
    assert ades_difference(signature) is None


def test_a_signature_without_revocation_data_is_valid_for_us_and_indeterminate_for_ades() -> None:
    difference = ades_difference(NO_REVOCATION_DATA)

    assert difference is not None
    assert difference.startswith("valid for Undersign, INDETERMINATE/CERTIFICATE_CHAIN_GENERAL_FAILURE for pyHanko's AdES")
    assert "revocation status as unknown" in difference


def test_a_b_lt_signature_lacks_the_proof_of_existence_only_a_document_time_stamp_gives() -> None:
    difference = ades_difference(NO_PROOF_OF_EXISTENCE)

    assert difference is not None and "only a document time stamp after the signature gives (PAdES B-LTA)" in difference


def test_ades_passed_but_not_valid_for_us_names_our_problems() -> None:
    signature = replace(PASSED, valid=False, problems=("the document was changed after it in a way it does not permit (other)",))

    assert ades_difference(signature) == (
        "pyHanko's AdES validation says PASSED, but Undersign does not accept it: "
        "the document was changed after it in a way it does not permit (other)"
    )


def test_the_json_and_the_text_carry_the_indication_and_the_difference() -> None:
    report = VerificationReport(sha256="a" * 64, validation_time=AT, signatures=(NO_PROOF_OF_EXISTENCE, PASSED))

    wire = msgspec.to_builtins(verification_report_out(report))
    text = _report_text(Path("signed.pdf"), report)

    assert wire["signatures"][0]["ades"] == {
        "indication": "INDETERMINATE", "subindication": "NO_POE", "difference": ades_difference(NO_PROOF_OF_EXISTENCE),
    }  # fmt: skip
    assert wire["signatures"][1]["ades"] == {"indication": "PASSED", "subindication": None, "difference": None}
    assert "     pyHanko AdES: INDETERMINATE/NO_POE" in text.splitlines()
    assert f"     differs from AdES: {ades_difference(NO_PROOF_OF_EXISTENCE)}" in text.splitlines()
    assert text.splitlines().count("     pyHanko AdES: PASSED") == 1
