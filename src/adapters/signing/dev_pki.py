"""The development PKI: a root CA, an issuing CA, the platform seal, a time-stamping authority
and per-signer certificates.

For development and tests only; every name in it says DEVELOPMENT so nobody mistakes it
for a real trust service. The root key is discarded once the issuing CA is signed: nothing
but the issuing CA ever needs it, and a key that is not kept cannot leak. Before it goes,
the root signs its one revocation list (the issuing CA is not revoked), valid as long as
the root itself, because nothing could ever sign a newer one.

Lifetimes are an archive's: the root and the issuing CA live thirty years, so a document
time stamp made decades from now still chains to them. The time-stamping authority signs
with a new certificate every year (`tsa_at`), each valid ten years: a renewal of an archive
time stamp always gets a certificate that outlives the one it renews.

About 480 lines: creating, storing and reloading the PKI and its yearly TSA certificates are
one idea (what is written is what is checked on load), kept together so they cannot drift apart.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from undersign.adapters.signing.signer_certificate_profile import (
    authority_key_identifier,
    ocsp_access,
    signer_certificate_builder,
)

ROOT_CERT_FILE = "root-ca.pem"
ISSUING_CERT_FILE = "issuing-ca.pem"
ISSUING_KEY_FILE = "issuing-ca-key.pem"
SEAL_CERT_FILE = "seal.pem"
SEAL_KEY_FILE = "seal-key.pem"
TSA_CERT_FILE = "tsa.pem"
TSA_KEY_FILE = "tsa-key.pem"
TSA_ROTATIONS_DIR = "tsa-rotations"  # the TSA's later certificates, one directory per year
ROOT_CRL_FILE = "root-ca.crl.pem"
_FIRST_FILES = (ROOT_CERT_FILE, ISSUING_CERT_FILE, ISSUING_KEY_FILE, SEAL_CERT_FILE, SEAL_KEY_FILE)
_ALL_FILES = (*_FIRST_FILES, TSA_CERT_FILE, TSA_KEY_FILE, ROOT_CRL_FILE)

DEV_ORGANIZATION = "Undersign (DEVELOPMENT ONLY)"
CA_VALIDITY = timedelta(days=30 * 365)
SEAL_VALIDITY = timedelta(days=5 * 365)
TSA_VALIDITY = timedelta(days=10 * 365)
TSA_ROTATION = timedelta(days=365)
# Where every certificate the issuing CA makes says its status is published: nowhere, in
# truth (.invalid never resolves, RFC 2606). The responder answers in this process
# (dev_revocation); a certificate must still name one, or pyHanko reads no OCSP response for it.
DEV_OCSP_URL = "http://undersign.invalid/pki/ocsp"
# The certificate policy signers' certificates name unless the operator sets theirs: issued
# by the development CA, nobody's identity checked (X.660's example arc, like the dev TSA's).
DEV_SIGNER_POLICY = "2.999.1.2"
# Certificates start a little in the past so a verifier whose clock lags ours accepts them.
CLOCK_SKEW = timedelta(minutes=5)


class DevPkiError(Exception):
    """The directory holds something that is not a complete, consistent development PKI."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DevPki:
    directory: Path
    root_cert: x509.Certificate
    issuing_cert: x509.Certificate
    issuing_key: ec.EllipticCurvePrivateKey
    seal_cert: x509.Certificate
    seal_key: ec.EllipticCurvePrivateKey
    tsa_cert: x509.Certificate
    tsa_key: ec.EllipticCurvePrivateKey
    root_crl: x509.CertificateRevocationList

    @property
    def root_cert_path(self) -> Path:
        return self.directory / ROOT_CERT_FILE

    @property
    def issuing_cert_path(self) -> Path:
        return self.directory / ISSUING_CERT_FILE

    @property
    def seal_cert_path(self) -> Path:
        return self.directory / SEAL_CERT_FILE


def load_or_create_dev_pki(directory: Path, now: datetime) -> tuple[DevPki, bool]:
    """Load the PKI stored in `directory`, or create it there; the bool says whether it was created now.

    The files are written to a private staging directory that is renamed into place in one
    step, so a crash never leaves half a PKI and two processes starting together agree on
    one PKI (the loser of the rename loads the winner's).
    """
    if _is_complete(directory):
        return _load(directory), False
    if all((directory / name).is_file() for name in _FIRST_FILES):
        raise DevPkiError(
            f"{directory} holds a development PKI from an earlier Undersign, without a time-stamping "
            "authority or revocation lists (and its root key is gone, so they cannot be added); move it "
            "aside to have a new one made (documents signed with it keep their signatures)"
        )
    if directory.exists() and any(directory.iterdir()):
        raise DevPkiError(f"{directory} is not empty but holds no complete development PKI; remove it or pick another")
    pki = _create(now, directory)
    if not _create_once(directory, lambda staging: _write(pki, staging), _is_complete):
        return _load(directory), False
    return pki, True


@dataclass(frozen=True, slots=True)
class DevTsa:
    """The certificate and key the development TSA signs with during one rotation (0: the first year)."""

    rotation: int
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def tsa_rotation(pki: DevPki, now: datetime) -> int:
    """Which year of the TSA's life `now` falls in (0 before the first year ends)."""
    return max(0, (now - pki.tsa_cert.not_valid_before_utc) // TSA_ROTATION)


def tsa_at(pki: DevPki, now: datetime) -> DevTsa:
    """The TSA's certificate and key for `now`: the first year's, then a new pair every TSA_ROTATION.

    A year's pair is made by the first process that needs it and kept under
    tsa-rotations/<year>; two processes making it at once agree on one, as when the PKI itself
    is made. A year nobody time-stamped in gets no certificate.
    """
    rotation = tsa_rotation(pki, now)
    if rotation == 0:
        return DevTsa(0, pki.tsa_cert, pki.tsa_key)
    directory = pki.directory / TSA_ROTATIONS_DIR / f"{rotation:03d}"
    if not _tsa_complete(directory):
        key, certificate = _issue_tsa(pki.issuing_cert, pki.issuing_key, now)

        def write(staging: Path) -> None:
            _write_file(staging / TSA_CERT_FILE, _cert_pem(certificate), private=False)
            _write_file(staging / TSA_KEY_FILE, _key_pem(key), private=True)
            _fsync_directory(staging)

        _create_once(directory, write, _tsa_complete)
    return _load_tsa(pki, rotation, directory)


def tsa_certificates(pki: DevPki, now: datetime, known: dict[int, x509.Certificate]) -> list[x509.Certificate]:
    """Every certificate the TSA has signed with (this year's made first if it is not yet), oldest first.

    `known`: the later years' certificates already read; the others are read into it. A
    year's certificate is written once and never changes, and another process may add one.
    """
    current = tsa_rotation(pki, now)
    if current and current not in known:
        known[current] = tsa_at(pki, now).certificate
    rotations = pki.directory / TSA_ROTATIONS_DIR
    years = sorted(int(d.name) for d in rotations.iterdir() if d.name.isdigit()) if rotations.is_dir() else []
    for year in years:
        if year not in known:
            known[year] = _load_tsa(pki, year, rotations / f"{year:03d}").certificate
    return [pki.tsa_cert, *(known[year] for year in years)]


def _create_once(directory: Path, write: Callable[[Path], None], is_complete: Callable[[Path], bool]) -> bool:
    """Write files through a private staging directory renamed to `directory` in one step.

    A crash never leaves half the files; False when another process got there first (its
    files are then the ones in `directory`).
    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.staging-", dir=directory.parent))
    try:
        write(staging)
        try:
            # rename(2) replaces an empty directory and fails on a non-empty one.
            os.rename(staging, directory)
        except OSError:
            if is_complete(directory):
                return False
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _fsync_directory(directory.parent)
    return True


def issue_signer_certificate(
    pki: DevPki, *, name: str, email: str, now: datetime, validity: timedelta, policy: str = DEV_SIGNER_POLICY
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A fresh key and a certificate for one signer (their name and email), from the issuing CA, under `policy`."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = signer_certificate_builder(
        name=name,
        email=email,
        public_key=key.public_key(),
        issuer=pki.issuing_cert,
        not_before=now - CLOCK_SKEW,
        not_after=now + validity,
        policy=policy,
        ocsp_url=DEV_OCSP_URL,
        organization=DEV_ORGANIZATION,
    )
    return key, builder.sign(pki.issuing_key, hashes.SHA384())


# -- creation ---------------------------------------------------------------------------


def _create(now: datetime, directory: Path) -> DevPki:
    not_before = now - CLOCK_SKEW
    root_key = ec.generate_private_key(ec.SECP384R1())
    root_cert = _ca_builder(
        _name("Undersign DEVELOPMENT Root CA", DEV_ORGANIZATION),
        root_key.public_key(),
        None,
        not_before,
        now + CA_VALIDITY,
        path_length=1,
    ).sign(root_key, hashes.SHA384())

    issuing_key = ec.generate_private_key(ec.SECP384R1())
    issuing_cert = _ca_builder(
        _name("Undersign DEVELOPMENT Issuing CA", DEV_ORGANIZATION),
        issuing_key.public_key(),
        root_cert,
        not_before,
        now + CA_VALIDITY,
        path_length=0,
    ).sign(root_key, hashes.SHA384())

    seal_key = ec.generate_private_key(ec.SECP256R1())
    seal_cert = _leaf_builder(
        _name("Undersign DEVELOPMENT seal", DEV_ORGANIZATION), seal_key, issuing_cert, not_before, now + SEAL_VALIDITY
    ).sign(issuing_key, hashes.SHA384())

    tsa_key, tsa_cert = _issue_tsa(issuing_cert, issuing_key, now)

    root_crl = build_crl(root_cert, root_key, this_update=not_before, next_update=root_cert.not_valid_after_utc, number=1)

    return DevPki(
        directory=directory,
        root_cert=root_cert,
        issuing_cert=issuing_cert,
        issuing_key=issuing_key,
        seal_cert=seal_cert,
        seal_key=seal_key,
        tsa_cert=tsa_cert,
        tsa_key=tsa_key,
        root_crl=root_crl,
    )


def _issue_tsa(
    issuing_cert: x509.Certificate, issuing_key: ec.EllipticCurvePrivateKey, now: datetime
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    # RFC 3161 2.3: a TSA certificate has one extended key usage, timeStamping, marked critical.
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name("Undersign DEVELOPMENT time-stamping authority", DEV_ORGANIZATION)
    certificate = (
        _leaf_builder(subject, key, issuing_cert, now - CLOCK_SKEW, now + TSA_VALIDITY)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(issuing_key, hashes.SHA384())
    )
    return key, certificate


def build_crl(
    issuer: x509.Certificate,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    this_update: datetime,
    next_update: datetime,
    number: int,
    revoked: Mapping[int, datetime] | None = None,
) -> x509.CertificateRevocationList:
    """A complete CRL from `issuer` listing the `revoked` serial numbers (with when each was revoked)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(this_update)
        .next_update(next_update)
        # RFC 5280 5.2: a conforming CRL carries its number and its issuer's key identifier.
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(authority_key_identifier(issuer), critical=False)
    )
    for serial, revoked_at in (revoked or {}).items():
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(revoked_at).build()
        )
    return builder.sign(issuer_key, hashes.SHA384())


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
    )


def _ca_builder(
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    issuer: x509.Certificate | None,
    not_before: datetime,
    not_after: datetime,
    *,
    path_length: int,
) -> x509.CertificateBuilder:
    ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
    aki = (
        x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
        if issuer is None
        else authority_key_identifier(issuer)
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject if issuer is None else issuer.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(aki, critical=False)
    )


def _leaf_builder(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    # A leaf never outlives its issuer: verifiers reject a chain whose CA expired first.
    not_after = min(not_after, issuer.not_valid_after_utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(authority_key_identifier(issuer), critical=False)
        .add_extension(ocsp_access(DEV_OCSP_URL), critical=False)
    )


def names_ocsp_responder(certificate: x509.Certificate) -> bool:
    """Whether `certificate` says where an OCSP responder answers for it (PKIs made before did not)."""
    try:
        access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return False
    return any(description.access_method == AuthorityInformationAccessOID.OCSP for description in access)


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


# -- storage ----------------------------------------------------------------------------


def _write(pki: DevPki, directory: Path) -> None:
    _write_file(directory / ROOT_CERT_FILE, _cert_pem(pki.root_cert), private=False)
    _write_file(directory / ISSUING_CERT_FILE, _cert_pem(pki.issuing_cert), private=False)
    _write_file(directory / ISSUING_KEY_FILE, _key_pem(pki.issuing_key), private=True)
    _write_file(directory / SEAL_CERT_FILE, _cert_pem(pki.seal_cert), private=False)
    _write_file(directory / SEAL_KEY_FILE, _key_pem(pki.seal_key), private=True)
    _write_file(directory / TSA_CERT_FILE, _cert_pem(pki.tsa_cert), private=False)
    _write_file(directory / TSA_KEY_FILE, _key_pem(pki.tsa_key), private=True)
    _write_file(directory / ROOT_CRL_FILE, pki.root_crl.public_bytes(serialization.Encoding.PEM), private=False)
    _fsync_directory(directory)


def _write_file(path: Path, data: bytes, *, private: bool) -> None:
    # The mode is set at creation, so a key is never readable by others, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    # Unencrypted: a development key protected by file permissions, like a dev database password.
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _is_complete(directory: Path) -> bool:
    return all((directory / name).is_file() for name in _ALL_FILES)


def _tsa_complete(directory: Path) -> bool:
    return all((directory / name).is_file() for name in (TSA_CERT_FILE, TSA_KEY_FILE))


def _load_tsa(pki: DevPki, rotation: int, directory: Path) -> DevTsa:
    try:
        certificate = x509.load_pem_x509_certificate((directory / TSA_CERT_FILE).read_bytes())
        key = _load_ec_key(directory / TSA_KEY_FILE)
        certificate.verify_directly_issued_by(pki.issuing_cert)
    except (ValueError, TypeError, InvalidSignature) as error:
        raise DevPkiError(f"cannot use the development TSA certificate in {directory}: {error}") from error
    if certificate.public_key() != key.public_key():
        raise DevPkiError(f"the development TSA key in {directory} does not match its certificate")
    return DevTsa(rotation, certificate, key)


def _load(directory: Path) -> DevPki:
    try:
        pki = _read(directory)
    except ValueError as error:  # cryptography's verdict on a malformed PEM file
        raise DevPkiError(f"cannot read the development PKI in {directory}: {error}") from error
    _check_consistent(pki)
    return pki


def _read(directory: Path) -> DevPki:
    return DevPki(
        directory=directory,
        root_cert=x509.load_pem_x509_certificate((directory / ROOT_CERT_FILE).read_bytes()),
        issuing_cert=x509.load_pem_x509_certificate((directory / ISSUING_CERT_FILE).read_bytes()),
        issuing_key=_load_ec_key(directory / ISSUING_KEY_FILE),
        seal_cert=x509.load_pem_x509_certificate((directory / SEAL_CERT_FILE).read_bytes()),
        seal_key=_load_ec_key(directory / SEAL_KEY_FILE),
        tsa_cert=x509.load_pem_x509_certificate((directory / TSA_CERT_FILE).read_bytes()),
        tsa_key=_load_ec_key(directory / TSA_KEY_FILE),
        root_crl=x509.load_pem_x509_crl((directory / ROOT_CRL_FILE).read_bytes()),
    )


def _load_ec_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise DevPkiError(f"{path} does not hold an EC private key")
    return key


def _check_consistent(pki: DevPki) -> None:
    """Refuse files that do not belong together (a hand-copied key, a cert from another PKI)."""
    try:
        pki.issuing_cert.verify_directly_issued_by(pki.root_cert)
        pki.seal_cert.verify_directly_issued_by(pki.issuing_cert)
        pki.tsa_cert.verify_directly_issued_by(pki.issuing_cert)
    except (ValueError, TypeError, InvalidSignature) as error:
        raise DevPkiError(f"the development PKI in {pki.directory} has a broken chain: {error}") from error
    if pki.root_crl.issuer != pki.root_cert.subject or not pki.root_crl.is_signature_valid(pki.root_cert.public_key()):
        raise DevPkiError(f"the development PKI in {pki.directory} has a revocation list its root did not sign")
    pairs = ((pki.issuing_cert, pki.issuing_key), (pki.seal_cert, pki.seal_key), (pki.tsa_cert, pki.tsa_key))
    for cert, key in pairs:
        if cert.public_key() != key.public_key():
            raise DevPkiError(f"the development PKI in {pki.directory} has a key that does not match its certificate")
