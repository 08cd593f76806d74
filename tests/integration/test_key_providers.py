"""Seal keys from a PKCS#12 file, a PKCS#11 token (SoftHSM2) and a remote signer, each signing a real PDF.

Every signature is checked by poppler's pdfsig and by pyHanko's validator against a test CA
made here, so a key provider that embeds the wrong chain or signs the wrong bytes fails.
The token is a throwaway SoftHSM2 token in a temporary directory (SOFTHSM2_CONF), with its
keys generated on the token, as an HSM would.
"""

from __future__ import annotations

import glob
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pkcs11
import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pkcs11 import Attribute, KeyType
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
from pkcs11.util.x509 import decode_x509_certificate
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, Signer
from pyhanko_certvalidator import ValidationContext

from tests.pdf_checks import pdfsig_report, pyhanko_statuses
from tests.pdf_samples import make_pdf
from tests.prerequisites import require_program
from undersign.adapters.signing.certificates import asn1_certificate
from undersign.adapters.signing.dev_pki import load_or_create_dev_pki
from undersign.adapters.signing.keys.base import SealKey, SealKeyError
from undersign.adapters.signing.keys.config import parse_seal_key_spec
from undersign.adapters.signing.keys.factory import seal_key_from
from undersign.adapters.signing.keys.local import LocalSealKey
from undersign.adapters.signing.keys.pkcs11_token import Pkcs11SealKey
from undersign.adapters.signing.keys.remote import RemoteSealKey, SigningAlgorithm
from undersign.entrypoints.container import platform_seal_key
from undersign.entrypoints.settings import Settings, SettingsError

NOW = datetime.now(UTC)
PASSWORD = "correct horse battery staple"
TOKEN, PIN, SO_PIN = "undersign-test", "1234", "12345678"
NO_ENCRYPTION = serialization.NoEncryption()


# -- a throwaway CA: root -> issuing CA -> seal certificates --------------------------------


@dataclass
class ThrowawayCa:
    directory: Path
    root_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    issuing_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def __post_init__(self) -> None:
        self.root = self._certificate("Undersign Test Root", self.root_key.public_key(), None, self.root_key, ca=True)
        self.issuing = self._certificate(
            "Undersign Test Issuing CA", self.issuing_key.public_key(), self.root, self.root_key, ca=True
        )
        self.root_pem = self.directory / "root.pem"
        self.root_pem.write_bytes(self.root.public_bytes(serialization.Encoding.PEM))

    def issue(self, public_key: object, name: str = "Undersign Test Seal") -> x509.Certificate:
        return self._certificate(name, public_key, self.issuing, self.issuing_key, ca=False)

    @staticmethod
    def _certificate(name: str, public_key: object, issuer: x509.Certificate | None,
                     issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool) -> x509.Certificate:  # fmt: skip
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject if issuer is None else issuer.subject)
            .public_key(public_key)  # type: ignore[arg-type]
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(minutes=5))
            .not_valid_after(NOW + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False  # type: ignore[arg-type]
            )
            .add_extension(
                x509.KeyUsage(
                    digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                    encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )  # fmt: skip
        )
        return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayCa:
    return ThrowawayCa(tmp_path_factory.mktemp("test-ca"))


def sign_pdf(signer: Signer, root: x509.Certificate, *, bytes_reserved: int | None = 16 * 1024) -> bytes:
    """One PAdES signature the way the platform seal is made, the chain checked at signing time.

    `bytes_reserved=None` lets pyHanko make its size-estimating dry run first.
    """
    metadata = PdfSignatureMetadata(
        field_name="Seal",
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        validation_context=ValidationContext(trust_roots=[asn1_certificate(root)]),
        signer_key_usage={"non_repudiation", "digital_signature"},
    )
    writer = IncrementalPdfFileWriter(BytesIO(make_pdf()))
    signed = PdfSigner(metadata, signer=signer).sign_pdf(writer, bytes_reserved=bytes_reserved, output=BytesIO())
    return signed.getvalue()


def assert_valid_seal(pdf: bytes, root_pem: Path) -> None:
    [pdfsig] = pdfsig_report(pdf, expected=1)
    assert pdfsig.valid, pdfsig.validation
    [status] = pyhanko_statuses(pdf, root_pem)
    assert (status.intact, status.valid, status.trusted) == (True, True, True), status.summary


def signed_attributes(pdf: bytes) -> bytes:
    [signature] = PdfFileReader(BytesIO(pdf)).embedded_signatures
    signer_info: cms.SignerInfo = signature.signer_info
    return signer_info["signed_attrs"].untag().dump()


# -- PKCS#12 --------------------------------------------------------------------------------


def write_p12(path: Path, key: object, certificate: x509.Certificate | None, others: list[x509.Certificate],
              password: str | None) -> Path:  # fmt: skip
    encryption = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(b"seal", key, certificate, others, encryption)  # type: ignore[arg-type]
    )
    return path


@pytest.fixture(scope="module")
def rsa_p12(ca: ThrowawayCa) -> Path:
    """An RSA seal key, with its chain out of order and a certificate that is not on its path."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stranger = ca.issue(ec.generate_private_key(ec.SECP256R1()).public_key(), "Someone else")
    chain = [ca.root, stranger, ca.issuing]
    return write_p12(ca.directory / "seal-rsa.p12", key, ca.issue(key.public_key()), chain, PASSWORD)


@pytest.fixture(scope="module")
def ec_p12(ca: ThrowawayCa) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    return write_p12(ca.directory / "seal-ec.p12", key, ca.issue(key.public_key()), [ca.issuing], None)


def test_a_pkcs12_rsa_key_signs_a_valid_seal_with_its_chain(rsa_p12: Path, ca: ThrowawayCa) -> None:
    key = seal_key_from(parse_seal_key_spec(f"pkcs12:{rsa_p12}", password=PASSWORD))
    assert key.chain == (ca.issuing, ca.root)
    assert isinstance(key.certificate.public_key(), rsa.RSAPublicKey)
    assert_valid_seal(sign_pdf(key.signer(), ca.root), ca.root_pem)


def test_an_unencrypted_pkcs12_ec_key_signs_a_valid_seal(ec_p12: Path, ca: ThrowawayCa) -> None:
    key = seal_key_from(parse_seal_key_spec(f"pkcs12:{ec_p12}"))
    assert key.chain == (ca.issuing,)
    assert_valid_seal(sign_pdf(key.signer(), ca.root), ca.root_pem)


def test_a_pkcs12_key_is_parsed_once_not_for_every_signature(
    rsa_p12: Path, ca: ThrowawayCa, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "seal.p12"
    shutil.copy(rsa_p12, copy)
    key = seal_key_from(parse_seal_key_spec(f"pkcs12:{copy}", password=PASSWORD))
    copy.unlink()  # not even the file is read again

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("a key was parsed while signing")

    # What pyHanko's SimpleSigner does in every sign_raw, and what loading the file does.
    monkeypatch.setattr(serialization, "load_der_private_key", no_parsing)
    monkeypatch.setattr(pkcs12, "load_key_and_certificates", no_parsing)
    signed = [sign_pdf(key.signer(), ca.root, bytes_reserved=None) for _ in range(2)]
    monkeypatch.undo()
    for pdf in signed:
        assert_valid_seal(pdf, ca.root_pem)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", r"the PKCS#12 file .*missing\.p12 does not exist"),
        ("wrong-password", r"cannot open the PKCS#12 file .*: the password is wrong"),
        ("no-password", r"cannot open the PKCS#12 file .*: it is encrypted and no password was given"),
        ("password-for-plain", r"cannot open the PKCS#12 file .*: it is not encrypted, so give no password"),
        ("not-pkcs12", r".*contract\.pdf is not a PKCS#12 file"),
        ("no-key", r"the PKCS#12 file .* must hold a private key and its certificate"),
    ],
)
def test_a_pkcs12_file_that_cannot_be_used_is_refused_clearly(
    case: str, message: str, rsa_p12: Path, ec_p12: Path, ca: ThrowawayCa, tmp_path: Path
) -> None:
    path, password = {
        "missing": (tmp_path / "missing.p12", None),
        "wrong-password": (rsa_p12, "Tr0ub4dor&3"),
        "no-password": (rsa_p12, None),
        "password-for-plain": (ec_p12, PASSWORD),
        "not-pkcs12": (Path(__file__).parents[2] / "examples" / "contract.pdf", None),
        "no-key": (tmp_path / "no-key.p12", None),
    }[case]
    if case == "no-key":
        path.write_bytes(pkcs12.serialize_key_and_certificates(b"x", None, ca.issuing, None, NO_ENCRYPTION))
    with pytest.raises(SealKeyError, match=message):
        seal_key_from(parse_seal_key_spec(f"pkcs12:{path}", password=password))


def test_a_key_in_memory_must_belong_to_its_certificate(ca: ThrowawayCa) -> None:
    # cryptography will not even write such a PKCS#12 file; other files may hold one.
    certificate = ca.issue(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(SealKeyError, match="the private key does not belong to the certificate CN=Undersign Test Seal"):
        LocalSealKey(ec.generate_private_key(ec.SECP256R1()), certificate, (ca.issuing,))


# -- PKCS#11 on SoftHSM2 --------------------------------------------------------------------


def softhsm_module() -> Path:
    for pattern in ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/*/softhsm/libsofthsm2.so"):
        if found := sorted(glob.glob(pattern)):
            return Path(found[0])
    return Path("/usr/lib/softhsm/libsofthsm2.so")


@dataclass(frozen=True)
class SoftHsm:
    module: Path

    def open(self, key: str, *, cert: str | None = None, token: str = TOKEN, module: Path | None = None,
             pin: str = PIN) -> SealKey:  # fmt: skip
        """The key through the whole configuration path: the setting's text, the factory, the token."""
        spec = f"pkcs11:module={module or self.module};token={token};key={key}" + (f";cert={cert}" if cert else "")
        return seal_key_from(parse_seal_key_spec(spec, pin=pin))


@pytest.fixture(scope="module")
def softhsm(tmp_path_factory: pytest.TempPathFactory, ca: ThrowawayCa) -> Iterator[SoftHsm]:
    """A fresh token holding an RSA and an EC key generated on it, their certificates and the CA's."""
    util = require_program("softhsm2-util", "softhsm2")
    module = softhsm_module()
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    config = directory / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    with pytest.MonkeyPatch.context() as env:
        # SoftHSM2 reads its configuration in C_Initialize, i.e. when the library is first used.
        env.setenv("SOFTHSM2_CONF", str(config))
        subprocess.run(
            [util, "--init-token", "--free", "--label", TOKEN, "--so-pin", SO_PIN, "--pin", PIN],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        library = pkcs11.lib(str(module))
        with library.get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
            public, _private = session.generate_keypair(KeyType.RSA, 2048, store=True, label="seal-rsa", id=b"\x01")
            rsa_public = rsa.RSAPublicNumbers(
                _integer(public[Attribute.PUBLIC_EXPONENT]), _integer(public[Attribute.MODULUS])
            ).public_key()
            curve = {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}
            public, _private = session.create_domain_parameters(KeyType.EC, curve, local=True).generate_keypair(
                store=True, label="seal-ec", id=b"\x02"
            )
            ec_public = serialization.load_der_public_key(encode_ec_public_key(public))
            stranger = ec.generate_private_key(ec.SECP256R1()).public_key()
            for label, certificate in [
                ("seal-rsa", ca.issue(rsa_public)), ("seal-ec", ca.issue(ec_public)),
                ("someone-else", ca.issue(stranger, "Someone else")), ("issuing-ca", ca.issuing), ("root-ca", ca.root),
            ]:  # fmt: skip
                template = decode_x509_certificate(certificate.public_bytes(serialization.Encoding.DER))
                session.create_object({**template, Attribute.TOKEN: True, Attribute.LABEL: label})
        try:
            yield SoftHsm(module)
        finally:
            # The next user of the library reads its configuration afresh.
            library.finalize()


def _integer(value: bytes | int) -> int:
    return value if isinstance(value, int) else int.from_bytes(value, "big")


@pytest.mark.parametrize("label", ["seal-rsa", "seal-ec"])
def test_a_key_on_a_pkcs11_token_signs_a_valid_seal(softhsm: SoftHsm, ca: ThrowawayCa, label: str) -> None:
    key = softhsm.open(label)
    try:
        assert isinstance(key, Pkcs11SealKey)
        assert key.chain == (ca.issuing, ca.root)  # "someone-else" on the token is no part of it
        for _ in range(2):
            assert_valid_seal(sign_pdf(key.signer(), ca.root, bytes_reserved=None), ca.root_pem)
    finally:
        key.close()


def test_a_pkcs11_key_signs_from_several_threads_at_once(softhsm: SoftHsm, ca: ThrowawayCa) -> None:
    # As the PDF signer does (a worker thread per seal, each running its own event loop).
    key = softhsm.open("seal-ec")
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            signed = list(pool.map(lambda _: sign_pdf(key.signer(), ca.root), range(8)))
    finally:
        key.close()
    for pdf in signed:
        assert_valid_seal(pdf, ca.root_pem)


def test_two_keys_on_one_token_share_its_login(softhsm: SoftHsm, ca: ThrowawayCa) -> None:
    # PKCS#11 logs in per token, not per session: a second login would fail, and closing
    # one session would log the other out.
    rsa_key, ec_key = softhsm.open("seal-rsa"), softhsm.open("seal-ec")
    try:
        assert_valid_seal(sign_pdf(rsa_key.signer(), ca.root), ca.root_pem)
        rsa_key.close()
        assert_valid_seal(sign_pdf(ec_key.signer(), ca.root), ca.root_pem)
        with pytest.raises(SealKeyError, match="the PIN for token 'undersign-test' is wrong"):
            softhsm.open("seal-rsa", pin="9999")  # the earlier login does not let it through
    finally:
        ec_key.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"key": "seal-ec", "pin": "0000"}, "the PIN for token 'undersign-test' is wrong"),
        ({"key": "seal-ec", "token": "no-such-token"}, "no token labelled 'no-such-token' in "),
        ({"key": "seal-ec", "module": Path("/no/libp11.so")}, "the PKCS#11 module /no/libp11.so does not exist"),
        ({"key": "no-such-key", "cert": "seal-ec"}, "no private key labelled 'no-such-key' that may sign, on token"),
        ({"key": "no-such-key"}, "no certificate labelled 'no-such-key' on token 'undersign-test'"),
        ({"key": "seal-ec", "cert": "someone-else"}, "key 'seal-ec' does not belong to the certificate 'someone-else'"),
    ],
    ids=["wrong-pin", "unknown-token", "missing-module", "unknown-key", "unknown-certificate", "foreign-certificate"],
)
def test_a_pkcs11_key_that_cannot_be_used_is_refused_clearly(softhsm: SoftHsm, options: dict, message: str) -> None:
    with pytest.raises(SealKeyError, match=message.replace("(", r"\(")):
        softhsm.open(**options)


# -- a remote signer that only sees digests -------------------------------------------------


@dataclass
class FakeKms:
    """A signing service in this process: it holds the key and records everything it is sent."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    calls: list[tuple[str, bytes, SigningAlgorithm]] = field(default_factory=list)
    signs_with_another_key: bool = False

    async def sign_digest(self, key_id: str, digest: bytes, algorithm: SigningAlgorithm) -> bytes:
        self.calls.append((key_id, digest, algorithm))
        prehashed = Prehashed({"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[algorithm[-3:]])
        key = ec.generate_private_key(ec.SECP256R1()) if self.signs_with_another_key else self.key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(digest, padding.PKCS1v15(), prehashed)
        return key.sign(digest, ec.ECDSA(prehashed))


@pytest.mark.parametrize(
    ("make_key", "algorithm"),
    [
        (lambda: ec.generate_private_key(ec.SECP256R1()), SigningAlgorithm.ECDSA_SHA_256),
        (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
         SigningAlgorithm.RSASSA_PKCS1_V1_5_SHA_256),
    ],
    ids=["ecdsa", "rsa"],
)
def test_a_remote_signer_only_ever_sees_a_sha256_digest(ca: ThrowawayCa, make_key, algorithm: SigningAlgorithm) -> None:
    kms = FakeKms(make_key())
    key = RemoteSealKey(kms, key_id="seal-2026", certificate=ca.issue(kms.key.public_key()), chain=(ca.issuing,))

    pdf = sign_pdf(key.signer(), ca.root, bytes_reserved=None)  # pyHanko's dry run does not reach the service

    assert_valid_seal(pdf, ca.root_pem)
    [(key_id, digest, sent_algorithm)] = kms.calls
    assert (key_id, sent_algorithm, len(digest)) == ("seal-2026", algorithm, 32)
    # The digest is that of the CMS signed attributes (which hold the document's digest).
    assert digest == hashlib.sha256(signed_attributes(pdf)).digest()


def test_a_remote_signature_that_does_not_verify_is_not_embedded(ca: ThrowawayCa) -> None:
    kms = FakeKms(ec.generate_private_key(ec.SECP256R1()), signs_with_another_key=True)
    key = RemoteSealKey(kms, key_id="seal-2026", certificate=ca.issue(kms.key.public_key()), chain=(ca.issuing,))
    with pytest.raises(SigningError, match="the remote signature for key 'seal-2026' does not verify"):
        sign_pdf(key.signer(), ca.root)


# -- the default ----------------------------------------------------------------------------


def test_the_default_seal_key_is_the_development_pki_s(tmp_path: Path) -> None:
    pki, _created = load_or_create_dev_pki(tmp_path / "pki", NOW)
    key = seal_key_from(parse_seal_key_spec(None), dev_pki=pki)
    assert (key.certificate, key.chain) == (pki.seal_cert, (pki.issuing_cert, pki.root_cert))
    assert_valid_seal(sign_pdf(key.signer(), pki.root_cert), pki.root_cert_path)


def test_the_composition_root_loads_the_configured_key_or_names_the_setting(tmp_path: Path) -> None:
    pki, _created = load_or_create_dev_pki(tmp_path / "pki", NOW)
    default = platform_seal_key(Settings.from_env({"UNDERSIGN_DATA_DIR": str(tmp_path)}), pki)
    assert default.certificate == pki.seal_cert
    missing = Settings.from_env({"UNDERSIGN_DATA_DIR": str(tmp_path), "UNDERSIGN_SEAL_KEY": f"pkcs12:{tmp_path}/x.p12"})
    with pytest.raises(SettingsError, match=f"UNDERSIGN_SEAL_KEY: the PKCS#12 file {tmp_path}/x.p12 does not exist"):
        platform_seal_key(missing, pki)
