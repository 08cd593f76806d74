"""Signing against a real PKI on loopback (certomancer's Animator): TSA, OCSP and CRLs over HTTP.

What the development defaults do in-process, a production setup does over the network:
time stamps from a TSA's URL, revocation data fetched from the OCSP responder and CRL
distribution points the certificates name. The signer is the production code path with a
test CA's certificates; only the certificates come from the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO

import pytest
import pytest_asyncio
from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from asn1crypto.crl import CertificateList
from asn1crypto.ocsp import OCSPResponse
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tests.animated_pki import AnimatedPki
from tests.pdf_checks import (
    openssl_verify_all,
    openssl_verify_timestamps,
    pdfsig_report,
    pyhanko_lta_verdicts,
    pyhanko_statuses,
    signature_timestamp_tokens,
)
from tests.pdf_in_memory import InMemoryPdfSigner
from tests.pdf_samples import make_pdf
from tests.servers import free_port, running
from undersign.adapters.signing.assembly import configured_pdf_signer
from undersign.adapters.signing.dev_pki import load_or_create_dev_pki
from undersign.adapters.signing.pdf_signer import PyHankoPdfSigner
from undersign.adapters.signing.timestamps import TimestampAuthorities
from undersign.adapters.signing.trust import SigningTrust
from undersign.application.shared.errors import SigningFailed, TimestampUnavailable
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.policy import SignatureLevel

B_T, B_LT, B_LTA = SignatureLevel.PADES_B_T, SignatureLevel.PADES_B_LT, SignatureLevel.PADES_B_LTA
LEVELS = [B_T, B_LT, B_LTA]
SIGNATURES = ["sig-alice", "sig-bob", "platform-seal"]


@pytest.fixture(scope="module")
def pki() -> Iterator[AnimatedPki]:
    with running(AnimatedPki) as pki:
        yield pki


class IssuedByTheTestCa:
    """Each person signs with the certificate the test CA issued for them (by their name)."""

    def __init__(self, pki: AnimatedPki) -> None:
        self._pki = pki
        self._chain = [_asn1(pki, "interm"), _asn1(pki, "root")]

    def issue(self, *, name: str, email: str, now: datetime) -> tuple[SimpleSigner, int]:
        return self.signer(name.lower()), self._pki.cert(name.lower()).serial_number

    def signer(self, label: str) -> SimpleSigner:
        der = self._pki.key(label).private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return SimpleSigner(
            signing_cert=_asn1(self._pki, label),
            signing_key=keys.PrivateKeyInfo.load(der),
            cert_registry=SimpleCertificateStore.from_certs(self._chain),
        )


def _asn1(pki: AnimatedPki, label: str) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(pki.cert(label).public_bytes(serialization.Encoding.DER))


def signer_for(pki: AnimatedPki, tsa_urls: list[str]) -> InMemoryPdfSigner:
    certificates = IssuedByTheTestCa(pki)
    return InMemoryPdfSigner(PyHankoPdfSigner(
        signer_certificates=certificates,
        seal=certificates.signer("seal"),
        trust=SigningTrust(trust_roots=[pki.cert("root")], intermediates=[pki.cert("interm")], fetch_revocation=True),
        timestamps=TimestampAuthorities.over_http(tsa_urls, timeout=5),
    ))


@pytest.fixture(scope="module")
def signer(pki: AnimatedPki) -> InMemoryPdfSigner:
    return signer_for(pki, [pki.tsa_url])


def request(name: str, level: SignatureLevel) -> SignatureRequest:
    return SignatureRequest(signer_id=name.split()[0].lower(), name=name, email="someone@example.com",
                            signature_text=name, fields=[], at=datetime.now(), level=level)  # fmt: skip


async def two_signers_and_the_seal(signer: InMemoryPdfSigner, level: SignatureLevel) -> bytes:
    by_alice = await signer.sign(make_pdf(), request("Alice", level))
    by_bob = await signer.sign(by_alice.pdf, request("Bob", level))
    return await signer.seal(by_bob.pdf, level)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def signed(signer: InMemoryPdfSigner) -> dict[SignatureLevel, bytes]:
    return {level: await two_signers_and_the_seal(signer, level) for level in LEVELS}


@pytest.mark.parametrize("level", LEVELS)
def test_every_signature_and_time_stamp_verifies_independently(
    signed: dict[SignatureLevel, bytes], pki: AnimatedPki, level: SignatureLevel
) -> None:
    pdf = signed[level]

    report = pdfsig_report(pdf, expected=len(SIGNATURES))
    assert [(s.field_name, s.valid) for s in report] == [(name, True) for name in SIGNATURES]
    assert openssl_verify_all(pdf, pki.root_pem) == [True, True, True]
    checks = openssl_verify_timestamps(pdf, pki.root_pem)
    assert all(check.ok for check in checks) and len(checks) == (6 if level is B_LTA else 3), checks


@pytest.mark.parametrize("level", LEVELS)
def test_pyhanko_trusts_every_signature_on_what_the_document_carries(
    signed: dict[SignatureLevel, bytes], pki: AnimatedPki, level: SignatureLevel
) -> None:
    revocation = "require" if level in (B_LT, B_LTA) else "soft-fail"

    statuses = pyhanko_statuses(signed[level], pki.root_pem, revocation_mode=revocation)

    for status in statuses:
        assert (status.intact, status.valid, status.trusted, status.docmdp_ok, status.timestamp_valid) == (True,) * 5, (
            status.summary
        )
    assert [s.modification_level for s in statuses[:2]] == [ModificationLevel.FORM_FILLING] * 2


@pytest.mark.parametrize("level", [B_LT, B_LTA])
def test_fetched_revocation_data_is_embedded(signed: dict[SignatureLevel, bytes], level: SignatureLevel) -> None:
    dss = DocumentSecurityStore.read_dss(PdfFileReader(BytesIO(signed[level])))

    # OCSP for the signers' certificates, CRLs for the issuing CA and the TSA (from the root).
    assert dss.ocsps and dss.crls


def test_b_lta_passes_the_ades_long_term_validation_offline(
    signed: dict[SignatureLevel, bytes], pki: AnimatedPki
) -> None:
    verdicts = pyhanko_lta_verdicts(signed[B_LTA], pki.root_pem)

    assert [(v.field_name, v.indication) for v in verdicts] == [(name, "PASSED") for name in SIGNATURES], verdicts


def test_one_byte_changed_in_a_signed_range_is_detected(signed: dict[SignatureLevel, bytes], pki: AnimatedPki) -> None:
    pdf = signed[B_LTA]
    assert pdf.count(b"(Page 1)") == 1

    tampered = pdf.replace(b"(Page 1)", b"(Page 7)")

    assert [s.validation for s in pdfsig_report(tampered, expected=3)] == ["Digest Mismatch."] * 3
    assert openssl_verify_all(tampered, pki.root_pem) == [False, False, False]
    assert not any(status.intact for status in pyhanko_statuses(tampered, pki.root_pem))


def test_an_unsigned_change_after_the_last_signature_is_reported(
    signed: dict[SignatureLevel, bytes], pki: AnimatedPki
) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(signed[B_T]))
    forged = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 72 Td (Pay 1,000,000) Tj ET")
    writer.add_stream_to_page(0, writer.add_object(forged))
    out = BytesIO()
    writer.write(out)

    statuses = pyhanko_statuses(out.getvalue(), pki.root_pem)

    # Every signature still matches its bytes, and every one reports what came after it.
    assert all(status.intact and status.valid for status in statuses)
    assert [(s.modification_level, s.docmdp_ok) for s in statuses] == [(ModificationLevel.OTHER, False)] * 3
    assert not any(s.total_document_signed for s in pdfsig_report(out.getvalue(), expected=3))


async def test_a_revoked_signer_is_refused(signer: InMemoryPdfSigner) -> None:
    with pytest.raises(SigningFailed, match="could not be validated.*revoked"):
        await signer.sign(make_pdf(), request("Mallory", B_LT))


async def test_an_expired_signer_is_refused(signer: InMemoryPdfSigner) -> None:
    with pytest.raises(SigningFailed, match="could not be validated.*expired"):
        await signer.sign(make_pdf(), request("Eve", B_T))


async def test_when_no_tsa_answers_nothing_is_signed(pki: AnimatedPki) -> None:
    down = f"http://127.0.0.1:{free_port()}/tsa"  # nothing listens there

    with pytest.raises(TimestampUnavailable, match=r"no time-stamping authority answered \(2 tried\)"):
        await signer_for(pki, [down, down]).sign(make_pdf(), request("Alice", B_T))


async def test_the_next_tsa_stamps_when_the_first_is_down(pki: AnimatedPki) -> None:
    down = f"http://127.0.0.1:{free_port()}/tsa"

    signed = await signer_for(pki, [down, pki.tsa_url]).sign(make_pdf(), request("Alice", B_T))

    (status,) = pyhanko_statuses(signed.pdf, pki.root_pem)
    assert status.timestamp_valid and status.trusted
    (signature,) = PdfFileReader(BytesIO(signed.pdf)).embedded_regular_signatures
    assert signature.sig_object_type == "/Sig"
    tokens = signature_timestamp_tokens(signature)
    tsa_names = [c.chosen.subject.native["common_name"] for c in tokens[0]["content"]["certificates"]]
    assert "Test Time Stamping Authority" in tsa_names


async def test_development_signers_beside_a_real_tsa_are_answered_in_process(pki: AnimatedPki, tmp_path) -> None:
    """UNDERSIGN_TSA_URLS set, development CA still issuing: pyHanko then fetches revocation data.

    The development certificates name a responder no network reaches (DEV_OCSP_URL); they are
    answered in this process, the TSA's over the network, and both end up in the document.
    """
    dev = load_or_create_dev_pki(tmp_path / "pki", datetime.now(UTC))[0]
    signer = InMemoryPdfSigner(configured_pdf_signer(dev, tsa_urls=[pki.tsa_url], trust_root_files=[pki.root_pem]))

    alice = SignatureRequest(signer_id="alice", name="Alice", email="alice@example.com", signature_text="Alice",
                             fields=[], at=datetime.now(UTC), level=B_LT)  # fmt: skip
    signed = await signer.sign(make_pdf(), alice)
    sealed = await signer.seal(signed.pdf, B_LT)

    dss = DocumentSecurityStore.read_dss(PdfFileReader(BytesIO(sealed)))
    answered = {
        single["cert_id"]["serial_number"].native
        for stream in dss.ocsps
        for single in OCSPResponse.load(stream.get_object().data).basic_ocsp_response["tbs_response_data"]["responses"]
    }
    assert {int(signed.certificate_serial, 16), dev.seal_cert.serial_number} <= answered
    crl_issuers = {CertificateList.load(stream.get_object().data).issuer.native["common_name"] for stream in dss.crls}
    assert "Undersign DEVELOPMENT Root CA" in crl_issuers
    assert crl_issuers - {"Undersign DEVELOPMENT Root CA"}, crl_issuers  # fetched for the TSA, from the test PKI
    for status in pyhanko_statuses(sealed, dev.root_cert_path, revocation_mode="require"):
        assert (status.intact, status.valid, status.trusted) == (True, True, True), status.summary
