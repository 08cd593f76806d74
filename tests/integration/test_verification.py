"""The pyHanko verification adapter on real PDFs: ours, tampered ones, and other signers' (B-T, B-LTA, revocation)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, SimpleSigner
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tests.pdf_in_memory import InMemoryPdfSigner
from tests.pdf_samples import make_damaged_pdf, make_pdf
from undersign.adapters.signing.dev_pki import DevPki, load_or_create_dev_pki
from undersign.adapters.signing.pdf_forms import fill_fields
from undersign.adapters.signing.pdf_signer import PyHankoPdfSigner
from undersign.adapters.signing.verification import PyHankoPdfVerifier, TrustAnchorError
from undersign.application.evidence.verification import (
    Coverage,
    Modifications,
    RevocationStatus,
    SignatureKind,
    TimestampStatus,
)
from undersign.application.shared.errors import InvalidDocument, InvalidTrustRoot
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.field import Field, FieldKind, Placement
from undersign.domain.policy import SignatureLevel

NOW = datetime.now(UTC)


SEAL_MISSING = (
    "it was signed through Undersign but carries no platform seal: Undersign seals every document once its "
    "last recipient signs, so this one is unfinished or was cut before its seal"
)


def just_before_now(moment: datetime) -> bool:
    """Made during this test module: PDF times have whole seconds, and a long test session may take minutes."""
    return NOW - timedelta(seconds=1) <= moment <= datetime.now(UTC)


@pytest.fixture(scope="module")
def verifier(pki: DevPki) -> PyHankoPdfVerifier:
    return PyHankoPdfVerifier([pki.root_cert_path])


def field(field_id: str, signer_id: str, kind: FieldKind, y: float) -> Field:
    placement = Placement(page=1, x=60, y=y, width=160, height=36)
    return Field(id=field_id, document_id="doc-1", signer_id=signer_id, kind=kind, placement=placement)


ADA_SIG = field("ada-sig", "ada", FieldKind.SIGNATURE, 120)
BOB_SIG = field("bob-sig", "bob", FieldKind.SIGNATURE, 200)
BOB_NOTE = field("bob-note", "bob", FieldKind.TEXT, 280)


async def sign(signer: InMemoryPdfSigner, pdf: bytes, signer_id: str, name: str, fields: list[Field]) -> tuple[bytes, str]:
    request = SignatureRequest(
        signer_id=signer_id, name=name, email=f"{signer_id}@example.com", signature_text=name,
        fields=[replace(f, value=f.value or name) for f in fields], at=NOW, level=SignatureLevel.PADES_B_B,
    )
    signed = await signer.sign(pdf, request)
    return signed.pdf, signed.certificate_serial


@pytest.fixture(scope="module")
def two_signers(pki: DevPki) -> tuple[bytes, list[str]]:
    """Our own flow: prepared form, Ada then Bob sign (Bob leaves his note field empty); not sealed yet."""

    async def flow() -> tuple[bytes, list[str]]:
        signer = InMemoryPdfSigner(PyHankoPdfSigner.development(pki))
        pdf = await signer.prepare(make_pdf(pages=1), [ADA_SIG, BOB_SIG, BOB_NOTE])
        pdf, ada_serial = await sign(signer, pdf, "ada", "Ada Lovelace", [ADA_SIG])
        pdf, bob_serial = await sign(signer, pdf, "bob", "Bob Babbage", [BOB_SIG])
        return pdf, [ada_serial, bob_serial]

    return asyncio.run(flow())


@pytest.fixture(scope="module")
def sealed(pki: DevPki, two_signers: tuple[bytes, list[str]]) -> bytes:
    return asyncio.run(InMemoryPdfSigner(PyHankoPdfSigner.development(pki)).seal(two_signers[0], SignatureLevel.PADES_B_B))


# -- our own documents ------------------------------------------------------------------


async def test_our_sealed_document_verifies_valid(verifier, sealed, two_signers) -> None:
    report = await verifier.verify(sealed, trust_roots=None, validation_time=None)

    assert report.valid, report.problems
    assert report.problems == [] and report.summary.startswith("valid: 3 signatures")
    ada, bob, seal = report.signatures
    assert [s.field_name for s in report.signatures] == ["sig-ada-sig", "sig-bob-sig", "platform-seal"]
    assert (ada.signer_name, ada.signer_email) == ("Ada Lovelace", "ada@example.com")
    assert (bob.signer_name, bob.signer_email) == ("Bob Babbage", "bob@example.com")
    assert [ada.certificate_serial, bob.certificate_serial] == two_signers[1]
    assert seal.signer_name == "Undersign DEVELOPMENT seal"
    for signature in report.signatures:
        assert signature.kind is SignatureKind.SIGNATURE
        assert signature.valid and signature.intact and signature.trusted and not signature.problems
        assert signature.pades_level == "B-B" and signature.timestamp is None
        # Each certificate names the development CA's OCSP responder; a B-B document holds no answer from it.
        assert signature.revocation is RevocationStatus.UNKNOWN
        assert just_before_now(signature.claimed_signing_time)
    # Each signer's signature is followed by form filling and signing only; the seal covers everything.
    assert (ada.coverage, ada.modifications_after, ada.modifications_permitted) == (
        Coverage.ENTIRE_REVISION, Modifications.FORM_FILLING, True,
    )
    assert (seal.coverage, seal.modifications_after) == (Coverage.ENTIRE_FILE, Modifications.NONE)


async def test_one_changed_byte_in_a_signed_range_makes_the_document_invalid(verifier, sealed) -> None:
    assert sealed.count(b"(Page 1)") == 1
    tampered = sealed.replace(b"(Page 1)", b"(Page 7)")

    report = await verifier.verify(tampered, trust_roots=None, validation_time=None)

    assert not report.valid
    assert all(not s.intact and not s.valid for s in report.signatures)
    assert "the signed bytes were changed after signing" in report.signatures[0].problems[0]
    assert "signature 'sig-ada-sig' is not valid" in report.summary


async def test_an_unsigned_update_after_the_last_signature_makes_the_document_invalid(verifier, two_signers) -> None:
    """Filling Bob's note afterwards is a change his signature permits, but nothing signs it."""
    writer = IncrementalPdfFileWriter(BytesIO(two_signers[0]))
    fill_fields(writer, [replace(BOB_NOTE, value="added later")])
    out = BytesIO()
    writer.write(out)

    report = await verifier.verify(out.getvalue(), trust_roots=None, validation_time=None)

    assert all(s.valid and s.trusted for s in report.signatures)
    assert report.signatures[-1].modifications_after is Modifications.FORM_FILLING
    assert not report.valid
    assert report.problems == [
        "the document was changed after its last signature (form filling or another signature field) "
        "and no signature covers that change",
        SEAL_MISSING,
    ]


async def test_a_document_signed_through_undersign_but_cut_before_its_seal_is_not_valid(verifier, two_signers) -> None:
    """Every signature in it holds; what is missing is the seal Undersign adds once the last recipient signs."""
    report = await verifier.verify(two_signers[0], trust_roots=None, validation_time=None)

    assert [s.field_name for s in report.signatures] == ["sig-ada-sig", "sig-bob-sig"]
    assert all(s.valid and s.trusted for s in report.signatures)
    assert (report.valid, report.problems) == (False, [SEAL_MISSING])
    assert report.summary == f"not valid: {SEAL_MISSING}"


async def test_an_address_with_a_non_ascii_local_part_is_read_back_from_the_certificate(verifier, pki) -> None:
    pdf, _ = await sign(InMemoryPdfSigner(PyHankoPdfSigner.development(pki)), make_pdf(), "zoë", "Zoë Ŝtraße", [])

    [signature] = (await verifier.verify(pdf, trust_roots=None, validation_time=None)).signatures

    assert (signature.signer_name, signature.signer_email) == ("Zoë Ŝtraße", "zoë@example.com")
    assert signature.valid and signature.trusted


async def test_any_update_after_the_seal_breaks_the_seal(verifier, sealed) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(sealed))
    fill_fields(writer, [replace(BOB_NOTE, value="added after the seal")])
    out = BytesIO()
    writer.write(out)

    report = await verifier.verify(out.getvalue(), trust_roots=None, validation_time=None)

    seal = report.signatures[-1]
    assert seal.intact and seal.trusted and not seal.valid
    assert seal.modifications_permitted is False
    assert "in a way it does not permit" in seal.problems[0]
    assert not report.valid and len(report.problems) == 2


async def test_a_pdf_without_signatures_is_not_valid_and_says_why(verifier) -> None:
    report = await verifier.verify(make_pdf(), trust_roots=None, validation_time=None)

    assert not report.valid and report.signatures == ()
    assert report.problems == ["the document carries no signatures: there is nothing in it to verify"]


async def test_a_foreign_trust_root_makes_every_signature_untrusted(verifier, sealed, tmp_path: Path) -> None:
    foreign, _ = load_or_create_dev_pki(tmp_path / "foreign", NOW)

    report = await verifier.verify(sealed, trust_roots=[foreign.root_cert_path.read_bytes()], validation_time=None)

    assert not report.valid
    for signature in report.signatures:
        assert signature.intact and not signature.trusted and not signature.valid
        assert signature.problems == ("its certificate is not trusted: it does not chain to any of the trust anchors",)


async def test_a_b_b_document_does_not_verify_once_its_certificates_expired(verifier, sealed) -> None:
    """Per-signer certificates live a day; without a timestamp nothing proves the signature is older."""
    report = await verifier.verify(sealed, trust_roots=None, validation_time=NOW + timedelta(days=2))

    assert not report.valid
    ada, bob, seal = report.signatures
    assert not ada.trusted and "expired at the validation time" in ada.problems[0]
    assert seal.valid  # the seal's certificate lives five years


async def test_unreadable_input_is_refused(verifier, sealed) -> None:
    with pytest.raises(InvalidDocument, match="not a PDF"):
        await verifier.verify(b"plain text", trust_roots=None, validation_time=None)
    with pytest.raises(InvalidDocument, match="truncated"):
        await verifier.verify(make_damaged_pdf(), trust_roots=None, validation_time=None)
    with pytest.raises(InvalidTrustRoot):
        await verifier.verify(sealed, trust_roots=[b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"], validation_time=None)
    with pytest.raises(TrustAnchorError, match="cannot read the trust anchor"):
        await PyHankoPdfVerifier([Path("/nonexistent/root.pem")]).verify(sealed, trust_roots=None, validation_time=None)


# -- other signers' documents: timestamps, validation data, revocation ------------------


def asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def asn1_key(key) -> asn1_keys.PrivateKeyInfo:
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return asn1_keys.PrivateKeyInfo.load(der)


def leaf(pki: DevPki, name: str, key, *, validity: timedelta, usage: list | None = None, crl_url: str | None = None) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(pki.issuing_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(minutes=5))
        .not_valid_after(NOW + validity)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True,
        )
    )  # fmt: skip
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usage), critical=True)
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return builder.sign(pki.issuing_key, hashes.SHA256())


@pytest.fixture(scope="module")
def timestamper(pki: DevPki) -> DummyTimeStamper:
    """pyHanko's in-process test TSA (RSA only), certified by the development issuing CA for five years."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = leaf(pki, "Test TSA", key, validity=timedelta(days=5 * 365), usage=[ExtendedKeyUsageOID.TIME_STAMPING])
    chain = SimpleCertificateStore.from_certs([asn1(pki.issuing_cert)])
    return DummyTimeStamper(tsa_cert=asn1(certificate), tsa_key=asn1_key(key), certs_to_embed=chain)


async def foreign_signature(pki: DevPki, *, timestamper=None, lta: bool = False, crl_url: str | None = None) -> tuple[bytes, int]:
    """A document signed by someone else's software (pyHanko directly), with a one-day certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = leaf(pki, "Grace Hopper", key, validity=timedelta(days=1), crl_url=crl_url)
    signer = SimpleSigner(
        signing_cert=asn1(certificate), signing_key=asn1_key(key),
        cert_registry=SimpleCertificateStore.from_certs([asn1(pki.issuing_cert), asn1(pki.root_cert)]),
    )
    metadata = PdfSignatureMetadata(
        field_name="Signature1", md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES,
        embed_validation_info=lta, use_pades_lta=lta,
        validation_context=ValidationContext(trust_roots=[asn1(pki.root_cert)], allow_fetching=False),
    )
    pdf_signer = PdfSigner(metadata, signer=signer, timestamper=timestamper)
    out = await pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(BytesIO(make_pdf())), output=BytesIO())
    return out.getvalue(), certificate.serial_number


async def test_a_signature_timestamp_reaches_b_t_and_outlives_the_certificate(verifier, pki, timestamper) -> None:
    pdf, _ = await foreign_signature(pki, timestamper=timestamper)

    today = await verifier.verify(pdf, trust_roots=None, validation_time=None)
    next_year = await verifier.verify(pdf, trust_roots=None, validation_time=NOW + timedelta(days=365))

    for report in (today, next_year):
        (signature,) = report.signatures
        assert report.valid, report.problems
        assert signature.pades_level == "B-T"
        assert signature.timestamp.status is TimestampStatus.VALID and signature.timestamp.authority == "Test TSA"
        assert just_before_now(signature.timestamp.time)


async def test_validation_data_and_a_document_timestamp_reach_b_lta(verifier, pki, timestamper) -> None:
    pdf, _ = await foreign_signature(pki, timestamper=timestamper, lta=True)

    report = await verifier.verify(pdf, trust_roots=None, validation_time=NOW + timedelta(days=3 * 365))

    assert report.valid, report.problems
    signature, document_timestamp = report.signatures
    assert signature.pades_level == "B-LTA"
    assert signature.modifications_after is Modifications.VALIDATION_DATA
    assert document_timestamp.kind is SignatureKind.DOCUMENT_TIMESTAMP and document_timestamp.valid
    assert document_timestamp.modifications_after in (Modifications.NONE, Modifications.VALIDATION_DATA)


async def test_a_named_revocation_service_without_embedded_answer_is_unknown_offline(verifier, pki) -> None:
    # Never fetched: the verifier works offline, so this address is never dialled.
    pdf, _ = await foreign_signature(pki, crl_url="http://127.0.0.1:9/issuing.crl")

    report = await verifier.verify(pdf, trust_roots=None, validation_time=None)

    (signature,) = report.signatures
    assert signature.revocation is RevocationStatus.UNKNOWN
    assert signature.valid and signature.trusted


async def test_an_embedded_crl_that_lists_the_certificate_makes_it_revoked(verifier, pki) -> None:
    pdf, serial = await foreign_signature(pki, crl_url="http://127.0.0.1:9/issuing.crl")
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.issuing_cert.subject)
        .last_update(NOW - timedelta(minutes=1))
        .next_update(NOW + timedelta(days=7))
        .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOW - timedelta(minutes=1)).build())
        .sign(pki.issuing_key, hashes.SHA256())
    )
    from asn1crypto import crl as asn1_crl

    out = BytesIO(pdf)
    DocumentSecurityStore.add_dss(
        out, sig_contents=None, certs=[asn1(pki.issuing_cert)],
        crls=[asn1_crl.CertificateList.load(crl.public_bytes(serialization.Encoding.DER))],
    )

    report = await verifier.verify(out.getvalue(), trust_roots=None, validation_time=None)

    (signature,) = report.signatures
    assert signature.revocation is RevocationStatus.REVOKED
    assert not signature.trusted and not signature.valid and not report.valid
    assert "revoked" in signature.problems[0]
