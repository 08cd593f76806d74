"""Signers' certificates from the operator's own issuing CA, its key in a PKCS#12 file or on a PKCS#11 token.

The CA is a real test PKI's issuing CA on loopback (certomancer's Animator: its root's CRL
and a TSA over HTTP). Its key goes into a PKCS#12 file and, separately, onto a throwaway
SoftHSM2 token; each issues the signers' certificates of documents signed at every level,
which pyHanko's standard AdES validation then checks from the documents alone (not through
our own wrapper), as a relying party would.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pkcs11
import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID
from pkcs11 import Attribute
from pkcs11.util.x509 import decode_x509_certificate
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.animated_pki import AnimatedPki
from tests.integration.test_key_providers import softhsm_module
from tests.pdf_checks import assert_trusted, pdfsig_report, pyhanko_lta_verdicts, pyhanko_statuses
from tests.pdf_in_memory import InMemoryPdfSigner
from tests.pdf_samples import make_pdf
from tests.prerequisites import require_program
from tests.servers import running
from undersign.adapters.signing.assembly import configured_pdf_signer
from undersign.adapters.signing.dev_pki import load_or_create_dev_pki
from undersign.adapters.signing.issuing_ca import IssuingCa, IssuingCaError, PublicationPoints
from undersign.adapters.signing.keys.config import parse_seal_key_spec
from undersign.adapters.signing.keys.factory import seal_key_from
from undersign.adapters.signing.keys.local import LocalSealKey
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.policy import SignatureLevel
from undersign.entrypoints.container import signers_issuing_ca
from undersign.entrypoints.settings import Settings, SettingsError

LEVELS = list(SignatureLevel)
POLICY = "1.3.6.1.4.1.55555.1.1"
PUBLISHED = PublicationPoints(ocsp_url="https://sign.example/pki/ocsp", crl_url="https://sign.example/pki/issuing-ca.crl")
TOKEN, PIN, SO_PIN = "undersign-ca", "4321", "87654321"


@pytest.fixture(scope="module")
def pki() -> Iterator[AnimatedPki]:
    with running(AnimatedPki) as pki:
        yield pki


@pytest.fixture(scope="module")
def pkcs12_file(pki: AnimatedPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "issuing-ca.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"issuing", pki.key("interm"), pki.cert("interm"), [pki.cert("root")],
            serialization.BestAvailableEncryption(b"ca password"),
        )
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def token(pki: AnimatedPki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SoftHSM2 token holding the issuing CA's key (imported, as an operator moves a CA onto an HSM) and chain."""
    util = require_program("softhsm2-util", "softhsm2")
    module = softhsm_module()
    directory = tmp_path_factory.mktemp("softhsm-ca")
    (directory / "tokens").mkdir()
    config = directory / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    key_file = directory / "issuing-ca.key.pem"
    key_file.write_bytes(
        pki.key("interm").private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOFTHSM2_CONF", str(config))
        for command in (
            ["--init-token", "--free", "--label", TOKEN, "--so-pin", SO_PIN, "--pin", PIN],
            ["--import", str(key_file), "--token", TOKEN, "--label", "issuing-ca", "--id", "0a", "--pin", PIN],
        ):
            subprocess.run([util, *command], check=True, capture_output=True, timeout=30)
        key_file.unlink()
        library = pkcs11.lib(str(module))
        with library.get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
            for label, certificate in [("issuing-ca", pki.cert("interm")), ("root-ca", pki.cert("root"))]:
                template = decode_x509_certificate(certificate.public_bytes(serialization.Encoding.DER))
                session.create_object({**template, Attribute.TOKEN: True, Attribute.LABEL: label})
        try:
            yield f"pkcs11:module={module};token={TOKEN};key=issuing-ca"
        finally:
            library.finalize()


def issuing_ca(spec: str, *, password: str | None = None, pin: str | None = None) -> IssuingCa:
    key = seal_key_from(parse_seal_key_spec(spec, password=password, pin=pin))
    return IssuingCa(key, publication=PUBLISHED, policy=POLICY)


def platform_signer(pki: AnimatedPki, ca: IssuingCa, tmp_path: Path) -> InMemoryPdfSigner:
    seal = LocalSealKey(pki.key("seal"), pki.cert("seal"), (pki.cert("interm"), pki.cert("root")))
    dev_pki, _ = load_or_create_dev_pki(tmp_path / "dev-pki", datetime.now(UTC))
    return InMemoryPdfSigner(configured_pdf_signer(
        dev_pki, tsa_urls=[pki.tsa_url], trust_root_files=[pki.root_pem], seal=seal, signer_ca=ca
    ))


def request(name: str, level: SignatureLevel) -> SignatureRequest:
    return SignatureRequest(signer_id=name.split()[0].lower(), name=name, email=f"{name.split()[0].lower()}@example.com",
                            signature_text=name, fields=[], at=datetime.now(UTC), level=level)  # fmt: skip


async def signed_at_every_level(signer: InMemoryPdfSigner) -> dict[SignatureLevel, bytes]:
    documents = {}
    for level in LEVELS:
        by_ada = await signer.sign(make_pdf(), request("Ada Lovelace", level))
        documents[level] = await signer.seal(by_ada.pdf, level)
    return documents


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def from_pkcs12(pki: AnimatedPki, pkcs12_file: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    ca = issuing_ca(f"pkcs12:{pkcs12_file}", password="ca password")
    return await signed_at_every_level(platform_signer(pki, ca, tmp_path_factory.mktemp("p12")))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def from_token(pki: AnimatedPki, token: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    ca = issuing_ca(token, pin=PIN)
    try:
        return await signed_at_every_level(platform_signer(pki, ca, tmp_path_factory.mktemp("hsm")))
    finally:
        ca.close()


def signer_certificate(pdf: bytes) -> x509.Certificate:
    signature = PdfFileReader(BytesIO(pdf)).embedded_regular_signatures[0]
    return x509.load_der_x509_certificate(signature.signer_cert.dump())


@pytest.fixture(params=["pkcs12", "pkcs11"])
def documents(request: pytest.FixtureRequest) -> dict[SignatureLevel, bytes]:
    return request.getfixturevalue("from_pkcs12" if request.param == "pkcs12" else "from_token")


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_verifies_with_the_operators_ca(
    documents: dict[SignatureLevel, bytes], pki: AnimatedPki, level: SignatureLevel
) -> None:
    pdf = documents[level]
    revocation = "require" if level in (SignatureLevel.PADES_B_LT, SignatureLevel.PADES_B_LTA) else "soft-fail"

    statuses = pyhanko_statuses(pdf, pki.root_pem, revocation_mode=revocation)

    assert len(statuses) == 2
    for status in statuses:
        assert_trusted(status)
    assert [(s.field_name, s.valid) for s in pdfsig_report(pdf, expected=2)] == [(s.field_name, True) for s in statuses]


def test_b_lta_passes_the_ades_long_term_validation_now_and_in_eight_days(
    documents: dict[SignatureLevel, bytes], pki: AnimatedPki
) -> None:
    pdf = documents[SignatureLevel.PADES_B_LTA]

    for at in (None, datetime.now(UTC) + timedelta(days=8)):
        verdicts = pyhanko_lta_verdicts(pdf, pki.root_pem, at=at)
        assert [v.indication for v in verdicts] == ["PASSED", "PASSED"], (at, verdicts)


def test_the_certificate_is_the_operators_and_says_where_its_status_is(
    documents: dict[SignatureLevel, bytes], pki: AnimatedPki
) -> None:
    certificate = signer_certificate(documents[SignatureLevel.PADES_B_B])
    extensions = certificate.extensions

    certificate.verify_directly_issued_by(pki.cert("interm"))
    assert certificate.subject.rfc4514_string() == "CN=Ada Lovelace"  # no development organization
    access = extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [(a.access_method, a.access_location.value) for a in access] == [
        (AuthorityInformationAccessOID.OCSP, PUBLISHED.ocsp_url)
    ]
    [point] = extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [name.value for name in point.full_name] == [PUBLISHED.crl_url]
    [policy] = extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert policy.policy_identifier.dotted_string == POLICY
    usage = extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE).value
    assert (usage.digital_signature, usage.content_commitment, usage.key_cert_sign) == (True, True, False)
    assert extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.RFC822Name
    ) == ["ada@example.com"]


def test_a_certificate_that_is_no_ca_cannot_issue(pki: AnimatedPki) -> None:
    seal = LocalSealKey(pki.key("seal"), pki.cert("seal"), (pki.cert("interm"),))

    with pytest.raises(IssuingCaError, match="is not a CA's"):
        IssuingCa(seal, publication=PUBLISHED, policy=POLICY)


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"UNDERSIGN_DATA_DIR": str(tmp_path), "UNDERSIGN_PUBLIC_URL": "https://sign.example", **env})


def test_the_operators_ca_is_loaded_from_the_settings_and_names_the_public_url(
    pki: AnimatedPki, pkcs12_file: Path, tmp_path: Path
) -> None:
    configured = settings(
        tmp_path, UNDERSIGN_SIGNER_CA=f"pkcs12:{pkcs12_file}", UNDERSIGN_SIGNER_CA_PASSWORD="ca password",
        UNDERSIGN_SIGNER_CERTIFICATE_POLICY=POLICY, UNDERSIGN_TRUST_ROOTS=str(pki.root_pem),
    )  # fmt: skip

    ca = signers_issuing_ca(configured, load_or_create_dev_pki(tmp_path / "pki", datetime.now(UTC))[0])
    _key, certificate = ca.issue(name="Ada", email="ada@example.com", now=datetime.now(UTC), validity=timedelta(days=1))

    access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [a.access_location.value for a in access] == ["https://sign.example/pki/ocsp"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"UNDERSIGN_SIGNER_CERTIFICATE_POLICY": POLICY}, "does not chain to any of UNDERSIGN_TRUST_ROOTS"),
        ({"UNDERSIGN_TRUST_ROOTS": "ROOT"}, "needs UNDERSIGN_SIGNER_CERTIFICATE_POLICY"),
        (
            {"UNDERSIGN_SIGNER_CERTIFICATE_POLICY": POLICY, "UNDERSIGN_TRUST_ROOTS": "ROOT",
             "UNDERSIGN_SIGNER_CA_PASSWORD": "wrong"},
            "UNDERSIGN_SIGNER_CA: cannot open the PKCS#12 file .* the password is wrong",
        ),
    ],
)  # fmt: skip
def test_a_misconfigured_ca_stops_the_start_with_one_line(
    pki: AnimatedPki, pkcs12_file: Path, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    env = {"UNDERSIGN_SIGNER_CA_PASSWORD": "ca password", **env}
    env = {name: str(pki.root_pem) if value == "ROOT" else value for name, value in env.items()}
    configured = settings(tmp_path, UNDERSIGN_SIGNER_CA=f"pkcs12:{pkcs12_file}", **env)

    with pytest.raises(SettingsError, match=message):
        signers_issuing_ca(configured, load_or_create_dev_pki(tmp_path / "pki", datetime.now(UTC))[0])


def test_a_token_ca_needs_its_pin_named_after_its_own_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="needs the token's PIN in UNDERSIGN_SIGNER_CA_PIN"):
        settings(tmp_path, UNDERSIGN_SIGNER_CA="pkcs11:module=/m.so;token=t;key=k")
