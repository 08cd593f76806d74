"""Archive renewal on real PDFs: a new document time stamp after the seal keeps every signature valid."""

from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel

from tests.pdf_checks import (
    assert_trusted,
    pdfsig_report,
    pyhanko_document_timestamps,
    pyhanko_lta_verdicts,
    pyhanko_statuses,
)
from tests.pdf_samples import make_pdf
from undersign.domain.policy import SignatureLevel


async def test_the_expiry_is_that_of_the_last_document_time_stamps_tsa_certificate(signer, pki) -> None:
    sealed = await signer.seal(make_pdf(), SignatureLevel.PADES_B_LTA)

    assert await signer.archive_timestamp_expiry(sealed) == pki.tsa_cert.not_valid_after_utc


@pytest.mark.parametrize("level", [SignatureLevel.PADES_B_B, SignatureLevel.PADES_B_LT])
async def test_below_b_lta_there_is_nothing_to_renew(signer, level: SignatureLevel) -> None:
    assert await signer.archive_timestamp_expiry(await signer.seal(make_pdf(), level)) is None


async def test_a_renewed_document_has_one_more_time_stamp_and_still_verifies(signer, pki) -> None:
    sealed = await signer.seal(make_pdf(), SignatureLevel.PADES_B_LTA)

    renewed = await signer.add_archive_timestamp(sealed)
    again = await signer.add_archive_timestamp(renewed)

    assert renewed.startswith(sealed) and again.startswith(renewed)  # incremental updates only
    stamps = PdfFileReader(BytesIO(again)).embedded_timestamp_signatures
    assert [s.field_name for s in stamps] == ["timestamp-platform-seal", "archive-timestamp-2", "archive-timestamp-3"]
    assert [(s.field_name, s.valid) for s in pdfsig_report(again, expected=1)] == [("platform-seal", True)]
    [seal] = pyhanko_statuses(again, pki.root_cert_path, revocation_mode="require")
    assert_trusted(seal)
    assert seal.modification_level == ModificationLevel.LTA_UPDATES  # the seal permits exactly this
    for stamp in pyhanko_document_timestamps(again, pki.root_cert_path):
        assert_trusted(stamp)
    assert [v.indication for v in pyhanko_lta_verdicts(again, pki.root_cert_path)] == ["PASSED"]
