"""A seal key held in this process's memory: the development PKI's, or one read from a file.

pyHanko's `SimpleSigner` keeps its key as DER and parses it again for every signature
(`load_der_private_key` in `sign_raw`: ~35 ms for an RSA key, twice with the size-estimating
dry run). `InMemorySigner` keeps the parsed `cryptography` key instead, so the cost is paid
once, when the key is loaded.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from undersign.adapters.signing.certificates import asn1_certificate
from undersign.adapters.signing.dev_pki import DevPki
from undersign.adapters.signing.keys.base import SealKeyError

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class InMemorySigner(Signer):
    """Signs with an already parsed RSA (PKCS#1 v1.5) or ECDSA key; safe to share between threads."""

    def __init__(
        self, key: PrivateKey, certificate: x509.Certificate, chain: tuple[x509.Certificate, ...] = ()
    ) -> None:
        super().__init__(
            signing_cert=asn1_certificate(certificate),
            cert_registry=SimpleCertificateStore.from_certs([asn1_certificate(c) for c in chain]),
        )
        self._key = key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        # A real signature is cheap here and has exactly the right size, dry run or not.
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        digest = get_pyca_cryptography_hash(digest_algorithm)
        if isinstance(self._key, rsa.RSAPrivateKey):
            # pyHanko's default mechanism for an RSA certificate (<digest>_rsa) is PKCS#1 v1.5.
            return self._key.sign(data, padding.PKCS1v15(), digest)
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(digest))
        raise SigningError(f"unsupported key type {type(self._key).__name__}")  # pragma: no cover


class LocalSealKey:
    """A seal key in memory: checked against its certificate once, then one shared signer."""

    def __init__(self, key: object, certificate: x509.Certificate, chain: tuple[x509.Certificate, ...] = ()) -> None:
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise SealKeyError(f"the seal key must be an RSA or EC key, not {type(key).__name__}")
        if key.public_key() != certificate.public_key():
            raise SealKeyError(
                f"the private key does not belong to the certificate {certificate.subject.rfc4514_string()}"
            )
        self.certificate = certificate
        self.chain = chain
        self._signer = InMemorySigner(key, certificate, chain)

    def signer(self) -> Signer:
        return self._signer


def dev_seal_key(pki: DevPki) -> LocalSealKey:
    """The development PKI's seal key (the default): trusted nowhere but this installation."""
    return LocalSealKey(pki.seal_key, pki.seal_cert, (pki.issuing_cert, pki.root_cert))


def dev_issuing_key(pki: DevPki) -> LocalSealKey:
    """The development issuing CA's key, held like a seal key: what issues signers' certificates by default."""
    return LocalSealKey(pki.issuing_key, pki.issuing_cert, (pki.root_cert,))
