"""The pyHanko signing adapter against real PDFs, checked by pdfsig, openssl and pyHanko's validator."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
import pytest_asyncio
from asn1crypto.core import UTF8String
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import SignatureCoverageLevel

from tests.pdf_checks import form_field_values, openssl_verify_all, pdfsig_report, pyhanko_statuses
from tests.pdf_in_memory import InMemoryPdfSigner, inspect_bytes
from tests.pdf_samples import make_damaged_pdf, make_encrypted_pdf, make_pdf, make_pdf_without_pages
from undersign.adapters.signing.dev_pki import DevPki, DevPkiError, issue_signer_certificate, load_or_create_dev_pki
from undersign.adapters.signing.page_geometry import PageGeometry
from undersign.adapters.signing.pdf_inspector import PyHankoPdfInspector
from undersign.application.shared.errors import InvalidDocument, SigningFailed
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.field import Field, FieldKind, PageSize, Placement
from undersign.domain.policy import SignatureLevel

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    pki, created = load_or_create_dev_pki(tmp_path_factory.mktemp("dev-pki"), NOW)
    assert created
    return pki


def field(field_id: str, signer_id: str, kind: FieldKind, *, page: int = 1, x: float = 50, y: float = 100,
          width: float = 150, height: float = 40, value: str | None = None) -> Field:  # fmt: skip
    return Field(
        id=field_id,
        document_id="doc-1",
        signer_id=signer_id,
        kind=kind,
        placement=Placement(page=page, x=x, y=y, width=width, height=height),
        value=value,
    )


def request(
    signer_id: str, name: str, fields: list[Field], at: datetime = NOW, level: SignatureLevel = SignatureLevel.PADES_B_B
) -> SignatureRequest:
    return SignatureRequest(
        signer_id=signer_id,
        name=name,
        email=f"{signer_id.lower()}@example.com",
        signature_text=name,
        fields=fields,
        at=at,
        level=level,
    )


# -- inspector --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pdf", "message"),
    [
        (b"", "empty"),
        (b"Hello, this is a text file", "not a PDF"),
        (make_encrypted_pdf(user_password=""), "encrypted"),
        (make_encrypted_pdf(user_password="secret"), "encrypted"),
        (make_damaged_pdf(), "truncated"),
        (make_pdf()[:-40], "truncated"),
        (make_pdf_without_pages(), "no pages"),
    ],
    ids=["empty", "text", "encrypted-empty-password", "encrypted", "truncated", "no-trailer", "no-pages"],
)
async def test_inspector_rejects_documents_it_cannot_sign(pdf: bytes, message: str) -> None:
    with pytest.raises(InvalidDocument, match=message):
        await inspect_bytes(PyHankoPdfInspector(), pdf)


async def test_inspector_reads_page_sizes_as_displayed() -> None:
    inspector = PyHankoPdfInspector()

    assert (await inspect_bytes(inspector, make_pdf(pages=2))).pages == [PageSize(width=595, height=842)] * 2
    assert (await inspect_bytes(inspector, make_pdf(rotate=90))).pages == [PageSize(width=842, height=595)]
    cropped = make_pdf(rotate=-90, crop_box=(10, 20, 310, 420))
    assert (await inspect_bytes(inspector, cropped)).pages == [PageSize(width=400, height=300)]


@pytest.mark.parametrize(
    ("rotation", "expected"),
    [(0, (60, 720, 160, 790)), (90, (40, 70, 110, 170)), (180, (460, 50, 560, 120)), (270, (510, 670, 580, 770))],
)
def test_placements_map_from_the_displayed_page_to_user_space(rotation: int, expected: tuple) -> None:
    # A 600 x 800 visible box whose lower-left corner is at (10, 20).
    page = PageGeometry(ref=None, visible_box=(10, 20, 610, 820), rotation=rotation)  # type: ignore[arg-type]
    placement = Placement(page=1, x=50, y=30, width=100, height=70)

    assert page.user_rect(placement) == expected


# -- the whole signing flow -------------------------------------------------------------


@pytest.fixture(scope="module")
def alice_fields() -> list[Field]:
    return [
        field("a-sig", "A", FieldKind.SIGNATURE, value="Alice Example"),
        field("a-initials", "A", FieldKind.INITIALS, page=2, width=60, height=30, value="AE"),
        field("a-agree", "A", FieldKind.CHECKBOX, x=300, width=20, height=20, value="true"),
        field("a-date", "A", FieldKind.DATE_SIGNED, y=160, height=20, value="2026-11-22"),
        field("a-sig-2", "A", FieldKind.SIGNATURE, page=2, x=300, y=300, value="Alice Example"),
    ]


@pytest.fixture(scope="module")
def bob_fields() -> list[Field]:
    return [
        field("b-note", "B", FieldKind.TEXT, y=300, width=200, height=25, value="Bob's note"),
        field("b-sig", "B", FieldKind.SIGNATURE, x=300, y=400, value="Bob Example"),
        field("b-optin", "B", FieldKind.CHECKBOX, x=300, y=200, width=20, height=20, value="false"),
    ]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sealed_pdf(signer: InMemoryPdfSigner, alice_fields: list[Field], bob_fields: list[Field]) -> bytes:
    prepared = await signer.prepare(make_pdf(pages=2), alice_fields + bob_fields)
    by_alice = await signer.sign(prepared, request("A", "Alice Example", alice_fields))
    by_bob = await signer.sign(by_alice.pdf, request("B", "Bob Example", bob_fields))
    return await signer.seal(by_bob.pdf, SignatureLevel.PADES_B_B)


def test_pdfsig_finds_three_valid_signatures(sealed_pdf: bytes) -> None:
    report = pdfsig_report(sealed_pdf, expected=3)

    assert [signature.field_name for signature in report] == ["sig-a-sig", "sig-b-sig", "platform-seal"]
    assert all(signature.valid for signature in report), report
    assert [signature.total_document_signed for signature in report] == [False, False, True]


def test_openssl_verifies_every_signature_up_to_the_dev_root(sealed_pdf: bytes, pki: DevPki) -> None:
    assert openssl_verify_all(sealed_pdf, pki.root_cert_path) == [True, True, True]


def test_pyhanko_finds_earlier_signatures_followed_only_by_form_filling(sealed_pdf: bytes, pki: DevPki) -> None:
    alice, bob, seal = pyhanko_statuses(sealed_pdf, pki.root_cert_path)

    for status in (alice, bob, seal):
        assert (status.intact, status.valid, status.trusted, status.docmdp_ok) == (True, True, True, True), status
    assert alice.modification_level == ModificationLevel.FORM_FILLING
    assert bob.modification_level == ModificationLevel.FORM_FILLING
    assert seal.modification_level == ModificationLevel.NONE
    assert seal.coverage == SignatureCoverageLevel.ENTIRE_FILE


def test_filled_values_are_in_the_final_pdf(sealed_pdf: bytes) -> None:
    assert form_field_values(sealed_pdf) == {
        "initials-a-initials": "AE",
        "checkbox-a-agree": "/Yes",
        "date_signed-a-date": "2026-11-22",
        "signature-a-sig-2": "Alice Example",
        "text-b-note": "Bob's note",
        "checkbox-b-optin": "/Off",
    }


def test_signatures_carry_certificates_issued_for_each_signer(sealed_pdf: bytes) -> None:
    signatures = PdfFileReader(BytesIO(sealed_pdf)).embedded_signatures
    names = [signature.signer_cert.subject.native["common_name"] for signature in signatures]

    assert names == ["Alice Example", "Bob Example", "Undersign DEVELOPMENT seal"]


def test_the_seal_locks_the_document(sealed_pdf: bytes) -> None:
    seal = PdfFileReader(BytesIO(sealed_pdf)).embedded_signatures[-1]
    lock = seal.sig_field["/Lock"]

    assert (lock["/Action"], lock["/P"]) == ("/All", 1)


async def test_nothing_can_be_signed_after_the_seal(signer: InMemoryPdfSigner, sealed_pdf: bytes) -> None:
    with pytest.raises(SigningFailed, match="sealed"):
        await signer.sign(sealed_pdf, request("C", "Carol Example", []))
    with pytest.raises(SigningFailed, match="sealed"):
        await signer.seal(sealed_pdf, SignatureLevel.PADES_B_B)


async def test_a_signer_cannot_sign_twice(signer: InMemoryPdfSigner, alice_fields: list[Field]) -> None:
    prepared = await signer.prepare(make_pdf(pages=2), alice_fields)
    signed = await signer.sign(prepared, request("A", "Alice", alice_fields))

    with pytest.raises(SigningFailed, match="already signed"):
        await signer.sign(signed.pdf, request("A", "Alice", alice_fields))


async def test_a_signer_without_a_signature_field_gets_an_invisible_signature(
    signer: InMemoryPdfSigner, pki: DevPki
) -> None:
    note = field("c-note", "C", FieldKind.TEXT, value="Carol's note")
    prepared = await signer.prepare(make_pdf(), [note])

    signed = await signer.sign(prepared, request("C", "Carol Example", [note]))

    (signature,) = PdfFileReader(BytesIO(signed.pdf)).embedded_signatures
    assert signature.field_name == "sig-C"
    assert [float(side) for side in signature.sig_field["/Rect"]] == [0, 0, 0, 0]
    assert int(signed.certificate_serial, 16) == signature.signer_cert.serial_number
    assert [signature.valid for signature in pdfsig_report(signed.pdf, expected=1)] == [True]
    assert form_field_values(signed.pdf) == {"text-c-note": "Carol's note"}
    (status,) = pyhanko_statuses(signed.pdf, pki.root_cert_path)
    assert status.intact and status.trusted


async def test_prepare_without_fields_writes_the_pdf_unchanged(signer: InMemoryPdfSigner) -> None:
    pdf = make_pdf()

    assert await signer.prepare(pdf, []) == pdf


async def test_fields_on_a_rotated_page_are_signed_and_filled(signer: InMemoryPdfSigner, pki: DevPki) -> None:
    fields = [
        field("r-sig", "R", FieldKind.SIGNATURE, x=600, y=400, value="Rita"),
        field("r-text", "R", FieldKind.TEXT, x=600, y=500, height=25, value="rotated"),
    ]
    prepared = await signer.prepare(make_pdf(rotate=90), fields)

    signed = await signer.sign(prepared, request("R", "Rita Example", fields))

    assert form_field_values(signed.pdf) == {"text-r-text": "rotated"}
    (status,) = pyhanko_statuses(signed.pdf, pki.root_cert_path)
    assert status.intact and status.trusted


async def test_tampering_inside_a_signed_range_is_detected(signer: InMemoryPdfSigner, pki: DevPki) -> None:
    signed = await signer.sign(make_pdf(), request("D", "Dan Example", []))
    assert signed.pdf.count(b"(Page 1)") == 1

    tampered = signed.pdf.replace(b"(Page 1)", b"(Page 7)")

    assert [signature.validation for signature in pdfsig_report(tampered, expected=1)] == ["Digest Mismatch."]
    assert openssl_verify_all(tampered, pki.root_cert_path) == [False]
    (status,) = pyhanko_statuses(tampered, pki.root_cert_path)
    assert not status.intact


@pytest.mark.parametrize("level", [SignatureLevel.PADES_B_B, SignatureLevel.PADES_B_LTA])
async def test_signing_fails_when_the_signer_certificate_is_not_valid_now(
    signer: InMemoryPdfSigner, level: SignatureLevel
) -> None:
    # Issued for a moment long past, the certificate has expired; pyHanko's pre-signing
    # check (with the dev root as trust anchor) must refuse it rather than sign.
    with pytest.raises(SigningFailed, match="could not be validated.*expired"):
        await signer.sign(make_pdf(), request("E", "Eve Example", [], at=NOW - timedelta(days=30), level=level))


# -- development PKI --------------------------------------------------------------------


def test_dev_pki_is_created_once_and_reloaded_identically(tmp_path: Path) -> None:
    directory = tmp_path / "pki"

    first, created = load_or_create_dev_pki(directory, NOW)
    again, created_again = load_or_create_dev_pki(directory, NOW + timedelta(days=1))

    assert (created, created_again) == (True, False)
    assert again.root_cert == first.root_cert
    assert again.issuing_cert == first.issuing_cert
    assert again.seal_cert == first.seal_cert
    assert again.issuing_key.private_numbers() == first.issuing_key.private_numbers()
    assert again.seal_key.private_numbers() == first.seal_key.private_numbers()
    assert (again.tsa_cert, again.root_crl) == (first.tsa_cert, first.root_crl)
    assert again.tsa_key.private_numbers() == first.tsa_key.private_numbers()
    key_files = sorted(path.name for path in directory.iterdir() if stat.S_IMODE(path.stat().st_mode) == 0o600)
    assert key_files == ["issuing-ca-key.pem", "seal-key.pem", "tsa-key.pem"]
    assert not [path for path in tmp_path.iterdir() if path.name != "pki"], "staging directory left behind"


def test_dev_pki_refuses_a_directory_holding_something_else(tmp_path: Path) -> None:
    (tmp_path / "root-ca.pem").write_text("not a certificate")

    with pytest.raises(DevPkiError, match="no complete development PKI"):
        load_or_create_dev_pki(tmp_path, NOW)


def test_dev_pki_certificates_are_marked_for_development_and_chain_up(pki: DevPki) -> None:
    for cert in (pki.root_cert, pki.issuing_cert, pki.seal_cert, pki.tsa_cert):
        names = [attribute.value for attribute in cert.subject]
        assert all("DEVELOPMENT" in str(name).upper() for name in names), names
    for ca in (pki.root_cert, pki.issuing_cert):
        assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.key_cert_sign and usage.crl_sign
    pki.issuing_cert.verify_directly_issued_by(pki.root_cert)
    pki.seal_cert.verify_directly_issued_by(pki.issuing_cert)
    seal_usage = pki.seal_cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert seal_usage.digital_signature and seal_usage.content_commitment
    pki.tsa_cert.verify_directly_issued_by(pki.issuing_cert)
    tsa_usage = pki.tsa_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert tsa_usage.critical and list(tsa_usage.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    # The root's one revocation list, signed before its key was discarded, lasts as long as the root.
    assert pki.root_crl.is_signature_valid(pki.root_cert.public_key()) and len(pki.root_crl) == 0
    assert pki.root_crl.next_update_utc == pki.root_cert.not_valid_after_utc


def test_a_dev_pki_from_before_time_stamps_is_refused_with_what_to_do(tmp_path: Path) -> None:
    directory = tmp_path / "pki"
    load_or_create_dev_pki(directory, NOW)
    for name in ("tsa.pem", "tsa-key.pem", "root-ca.crl.pem"):
        (directory / name).unlink()

    with pytest.raises(DevPkiError, match="earlier Undersign.*move it aside"):
        load_or_create_dev_pki(directory, NOW)


def test_signer_certificates_name_the_signer(pki: DevPki) -> None:
    key, cert = issue_signer_certificate(
        pki, name="Alice Example", email="alice@example.com", now=NOW, validity=timedelta(days=1)
    )

    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Alice Example"
    san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert san.get_values_for_type(x509.RFC822Name) == ["alice@example.com"]
    assert cert.not_valid_before_utc == (NOW - timedelta(minutes=5)).replace(microsecond=0)
    assert cert.not_valid_after_utc == (NOW + timedelta(days=1)).replace(microsecond=0)
    assert cert.public_key() == key.public_key()
    cert.verify_directly_issued_by(pki.issuing_cert)


def test_signer_certificates_accept_long_and_international_names(pki: DevPki) -> None:
    _, long_name = issue_signer_certificate(
        pki, name="José Ñandú " * 10, email="jose@exämple.com", now=NOW, validity=timedelta(days=1)
    )
    _, utf8_mailbox = issue_signer_certificate(
        pki, name="Zoë", email="zoë@exämple.com", now=NOW, validity=timedelta(days=1)
    )

    common_name = long_name.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert common_name.startswith("José Ñandú") and len(common_name.encode()) <= 64
    san = long_name.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert san.get_values_for_type(x509.RFC822Name) == ["jose@xn--exmple-cua.com"]
    # A non-ASCII local part cannot be an rfc822Name: RFC 8398's SmtpUTF8Mailbox, UTF-8, domain in U-labels.
    [other] = utf8_mailbox.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert other.type_id.dotted_string == "1.3.6.1.5.5.7.8.9"
    assert UTF8String.load(other.value).native == "zoë@exämple.com"


@pytest.mark.parametrize(
    ("name", "common_names"),
    [
        ("محمد بن علي", ["محمد بن علي"]),
        ("王芳", ["王芳"]),
        ("Łukasz Żółć", ["Łukasz Żółć"]),
        ("Zoë Ŝtraße 王芳 محمد", ["Zoë Ŝtraße 王芳", "محمد"]),
        ("Ali محمد بن علي Jr", ["Ali", "محمد بن علي", "Jr"]),
        ("محمد 2", ["محمد", "2"]),
    ],
)
async def test_names_in_any_script_and_direction_sign_and_validate(
    signer: InMemoryPdfSigner, pki: DevPki, name: str, common_names: list[str]
) -> None:
    signed = await signer.sign(make_pdf(), request("s1", name, [], level=SignatureLevel.PADES_B_LT))

    [signature] = PdfFileReader(BytesIO(signed.pdf)).embedded_regular_signatures
    # One common name per stretch of one direction, in the order written (asn1crypto, under
    # pyHanko, cannot compare a name string that mixes directions).
    native = signature.signer_cert.subject.native["common_name"]
    assert (native if isinstance(native, list) else [native]) == common_names
    [status] = pyhanko_statuses(signed.pdf, pki.root_cert_path, revocation_mode="require")
    assert (status.intact, status.valid, status.trusted) == (True, True, True), status.summary
    assert [s.valid for s in pdfsig_report(signed.pdf, expected=1)] == [True]
    assert openssl_verify_all(signed.pdf, pki.root_cert_path) == [True]


async def test_inspector_rejects_an_already_signed_pdf(sealed_pdf: bytes) -> None:
    with pytest.raises(InvalidDocument, match="already carries a digital signature"):
        await inspect_bytes(PyHankoPdfInspector(), sealed_pdf)
