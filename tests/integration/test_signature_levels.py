"""Every PAdES level through the real signer, offline: the development PKI, TSA and revocation lists.

Two signers and the seal on one document per level, each checked by pdfsig, openssl (cms
for the signatures, ts for the time stamps) and pyHanko, with nothing fetched: what the
document carries must be enough.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
import pytest_asyncio
from asn1crypto import cms, tsp
from asn1crypto.ocsp import OCSPResponse
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation.dss import DocumentSecurityStore

from tests.pdf_checks import (
    assert_trusted,
    openssl_verify_all,
    openssl_verify_timestamps,
    pdfsig_report,
    pyhanko_document_timestamps,
    pyhanko_lta_verdicts,
    pyhanko_statuses,
    signature_timestamp_tokens,
)
from tests.pdf_in_memory import InMemoryPdfSigner
from tests.pdf_samples import make_pdf
from tests.signing_requests import box, signature_request
from undersign.adapters.signing.dev_pki import DevPki
from undersign.adapters.signing.dev_revocation import DevRevocation
from undersign.adapters.signing.dev_tsa import DEV_TSA_POLICY
from undersign.adapters.signing.pdf_signer import PyHankoPdfSigner
from undersign.adapters.signing.trust import SigningTrust
from undersign.application.shared.errors import SigningFailed
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.field import Field, FieldKind
from undersign.domain.policy import SignatureLevel

NOW = datetime.now(UTC)
LEVELS = list(SignatureLevel)
B_B, B_T, B_LT, B_LTA = SignatureLevel.PADES_B_B, SignatureLevel.PADES_B_T, SignatureLevel.PADES_B_LT, SignatureLevel.PADES_B_LTA
SIGNATURES = ["sig-a-sig", "sig-b-sig", "platform-seal"]


def _request(signer_id: str, name: str, fields: list[Field], level: SignatureLevel) -> SignatureRequest:
    return signature_request(signer_id, name, fields, level, NOW)


async def two_signers_and_the_seal(signer: InMemoryPdfSigner, level: SignatureLevel) -> bytes:
    alice = [box("a-sig", "a", FieldKind.SIGNATURE, 100, "Alice"), box("a-note", "a", FieldKind.TEXT, 160, "ok")]
    bob = [box("b-sig", "b", FieldKind.SIGNATURE, 300, "Bob")]
    prepared = await signer.prepare(make_pdf(), alice + bob)
    by_alice = await signer.sign(prepared, _request("a", "Alice Example", alice, level))
    by_bob = await signer.sign(by_alice.pdf, _request("b", "Bob Example", bob, level))
    return await signer.seal(by_bob.pdf, level)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def signed(signer: InMemoryPdfSigner) -> dict[SignatureLevel, bytes]:
    return {level: await two_signers_and_the_seal(signer, level) for level in LEVELS}


@pytest.mark.parametrize("level", LEVELS)
def test_pdfsig_finds_every_signature_valid(signed: dict[SignatureLevel, bytes], level: SignatureLevel) -> None:
    report = pdfsig_report(signed[level], expected=len(SIGNATURES))

    assert [signature.field_name for signature in report] == SIGNATURES
    assert all(signature.valid for signature in report), report


@pytest.mark.parametrize("level", LEVELS)
def test_openssl_verifies_every_signature_and_time_stamp(
    signed: dict[SignatureLevel, bytes], pki: DevPki, level: SignatureLevel
) -> None:
    assert openssl_verify_all(signed[level], pki.root_cert_path) == [True, True, True]

    checks = openssl_verify_timestamps(signed[level], pki.root_cert_path)

    assert all(check.ok for check in checks), checks
    stamped = [check.field_name for check in checks if check.kind == "signature"]
    archived = [check.field_name for check in checks if check.kind == "document"]
    assert stamped == ([] if level is B_B else SIGNATURES)
    assert archived == ([f"timestamp-{name}" for name in SIGNATURES] if level is B_LTA else [])


@pytest.mark.parametrize("level", LEVELS)
def test_pyhanko_finds_every_signature_intact_trusted_and_followed_only_by_permitted_changes(
    signed: dict[SignatureLevel, bytes], pki: DevPki, level: SignatureLevel
) -> None:
    # From B-LT on, the revocation data embedded in the document must be enough on its own.
    revocation = "require" if level in (B_LT, B_LTA) else "soft-fail"

    alice, bob, seal = pyhanko_statuses(signed[level], pki.root_cert_path, revocation_mode=revocation)

    for status in (alice, bob, seal):
        assert (status.intact, status.valid, status.trusted, status.docmdp_ok) == (True,) * 4, status.summary
        assert status.timestamp_valid is (None if level is B_B else True), status.summary
    assert alice.modification_level == bob.modification_level == ModificationLevel.FORM_FILLING
    # After the seal, at most validation data and document time stamps (pyHanko's LTA updates).
    expected = ModificationLevel.LTA_UPDATES if level in (B_LT, B_LTA) else ModificationLevel.NONE
    assert seal.modification_level == expected
    for timestamp in pyhanko_document_timestamps(signed[level], pki.root_cert_path):
        assert_trusted(timestamp)


@pytest.mark.parametrize("level", LEVELS)
def test_revocation_data_is_embedded_from_b_lt_on(signed: dict[SignatureLevel, bytes], level: SignatureLevel) -> None:
    reader = PdfFileReader(BytesIO(signed[level]))

    if level in (B_B, B_T):
        assert "/DSS" not in reader.root
        return
    dss = DocumentSecurityStore.read_dss(reader)
    # The development root's list speaks for the issuing CA; each certificate the issuing CA
    # made (the signers', the seal's, the TSA's) has an OCSP response of its own.
    assert len(dss.crls) == 1
    certificates = {cert.subject.native["common_name"]: cert.serial_number for cert in dss.load_certs()}
    assert {"Undersign DEVELOPMENT Issuing CA", "Undersign DEVELOPMENT time-stamping authority"} <= set(certificates)
    answered = {
        single["cert_id"]["serial_number"].native
        for stream in dss.ocsps
        for single in OCSPResponse.load(stream.get_object().data).basic_ocsp_response["tbs_response_data"]["responses"]
    }
    signers = {signature.signer_cert.serial_number for signature in reader.embedded_regular_signatures}
    assert signers | {certificates["Undersign DEVELOPMENT time-stamping authority"]} <= answered


@pytest.mark.parametrize("level", LEVELS)
def test_a_form_change_after_the_seal_breaks_the_seal(
    signed: dict[SignatureLevel, bytes], pki: DevPki, level: SignatureLevel
) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(signed[level]))
    (note,) = [ref for ref in writer.root["/AcroForm"]["/Fields"] if ref.get_object()["/T"] == "text-a-note"]
    note.get_object()["/V"] = generic.TextStringObject("changed after the seal")
    writer.mark_update(note)
    out = BytesIO()
    writer.write(out)

    *signers, seal = pyhanko_statuses(out.getvalue(), pki.root_cert_path)

    assert [s.docmdp_ok for s in signers] == [True, True]  # the signers permit form filling
    assert (seal.intact, seal.docmdp_ok) == (True, False), seal.summary
    lock = PdfFileReader(BytesIO(signed[level])).embedded_regular_signatures[-1].sig_field["/Lock"]
    assert lock["/P"] == 1


def test_b_lta_passes_the_ades_long_term_validation_offline(signed: dict[SignatureLevel, bytes], pki: DevPki) -> None:
    verdicts = pyhanko_lta_verdicts(signed[B_LTA], pki.root_cert_path)

    assert [(v.field_name, v.indication) for v in verdicts] == [(name, "PASSED") for name in SIGNATURES], verdicts


def test_b_lta_signatures_stay_valid_after_the_signers_certificates_expired(
    signed: dict[SignatureLevel, bytes], pki: DevPki
) -> None:
    later = NOW + timedelta(days=2)  # per-signer certificates live a day

    alice, bob, seal = pyhanko_statuses(signed[B_LTA], pki.root_cert_path, revocation_mode="require", at=later)
    verdicts = pyhanko_lta_verdicts(signed[B_LTA], pki.root_cert_path, at=later)

    # On its own, each signer's certificate is expired by then; the document time stamps prove
    # the signatures existed (and the certificates were good) while they were valid.
    assert (alice.trusted, bob.trusted, seal.trusted) == (False, False, True)
    assert [(v.field_name, v.indication) for v in verdicts] == [(name, "PASSED") for name in SIGNATURES], verdicts


def test_b_lta_passes_pyhankos_long_term_validation_eight_days_on_with_the_clock_moved(
    signed: dict[SignatureLevel, bytes], pki: DevPki
) -> None:
    """Past a week: a week-long revocation list embedded with a later signature once made it INDETERMINATE.

    (B-LT has no document time stamp to prove when its validation data existed: once the
    signers' certificates end, pyHanko calls it INDETERMINATE, as ETSI EN 319 102-1 does.)
    """
    verdicts = pyhanko_lta_verdicts(signed[B_LTA], pki.root_cert_path, at=NOW + timedelta(days=8))

    assert [(v.field_name, v.indication) for v in verdicts] == [(name, "PASSED") for name in SIGNATURES], verdicts


def test_time_stamps_come_from_the_development_tsa(signed: dict[SignatureLevel, bytes]) -> None:
    signature = PdfFileReader(BytesIO(signed[B_T])).embedded_regular_signatures[0]
    (timestamp,) = signature_timestamp_tokens(signature)
    token: cms.SignedData = timestamp["content"]
    info: tsp.TSTInfo = token["encap_content_info"]["content"].parsed

    assert info["policy"].dotted == DEV_TSA_POLICY
    # Every arc fits 32 bits, which is as much as some validators' OID parsers hold.
    assert all(int(arc) < 2**32 for arc in info["policy"].dotted.split("."))
    # The TSA's own clock: between this module's start and now (a full run may reach this
    # test many minutes after the module was imported).
    assert NOW - timedelta(minutes=5) <= info["gen_time"].native <= datetime.now(UTC)
    (tsa,) = [c.chosen for c in token["certificates"] if c.chosen.extended_key_usage_value is not None]
    assert "DEVELOPMENT" in tsa.subject.native["common_name"]


@pytest.mark.parametrize("level", [B_B, B_LTA])
async def test_a_revoked_certificate_is_refused_not_used(pki: DevPki, level: SignatureLevel) -> None:
    revocation = DevRevocation(pki)
    trust = SigningTrust(trust_roots=[pki.root_cert], intermediates=[pki.issuing_cert], dev_revocation=revocation,
                         fetch_revocation=False)  # fmt: skip
    signer = InMemoryPdfSigner(PyHankoPdfSigner.development(pki, trust=trust))
    signed = await signer.sign(make_pdf(), _request("a", "Alice Example", [], level))

    revocation.revoke(pki.seal_cert.serial_number, at=NOW - timedelta(minutes=1))

    with pytest.raises(SigningFailed, match="could not be validated.*revoked"):
        await signer.seal(signed.pdf, level)
