"""A seal key kept by a remote signing service (a cloud KMS, a network HSM, a signing server).

The service receives a key id, a digest and an algorithm, never the document: pyHanko hands
the signer the DER of the CMS signed attributes (which hold the document's digest), this
signer hashes them and sends only that hash. The certificate and its chain are known here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from undersign.adapters.signing.certificates import asn1_certificate
from undersign.adapters.signing.keys.base import SealKeyError


class SigningAlgorithm(StrEnum):
    """What the service computes over the digest. The names are AWS KMS's SigningAlgorithmSpec."""

    ECDSA_SHA_256 = "ECDSA_SHA_256"
    ECDSA_SHA_384 = "ECDSA_SHA_384"
    ECDSA_SHA_512 = "ECDSA_SHA_512"
    RSASSA_PKCS1_V1_5_SHA_256 = "RSASSA_PKCS1_V1_5_SHA_256"
    RSASSA_PKCS1_V1_5_SHA_384 = "RSASSA_PKCS1_V1_5_SHA_384"
    RSASSA_PKCS1_V1_5_SHA_512 = "RSASSA_PKCS1_V1_5_SHA_512"


class RemoteSigningClient(Protocol):
    async def sign_digest(self, key_id: str, digest: bytes, algorithm: SigningAlgorithm) -> bytes:
        """Sign `digest`, already hashed (32 bytes for SHA-256), with the key `key_id`.

        Returns the signature: DER (a SEQUENCE of r and s) for ECDSA, the bare signature
        block for RSA. Each one is checked against the seal certificate before it is used.
        Raise `application.shared.errors.ServiceUnavailable` when the service does not answer, so
        the caller hears "try again later".

        It may be awaited on an event loop other than the application's (pyHanko's
        synchronous API runs a loop of its own for each signature): keep no loop-bound
        connection from one call to the next.
        """
        ...


_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}  # fmt: skip


class RemoteSigner(Signer):
    """A pyHanko signer whose private-key operation is a call to a `RemoteSigningClient`."""

    def __init__(
        self, client: RemoteSigningClient, key_id: str, certificate: x509.Certificate,
        chain: tuple[x509.Certificate, ...] = (),
    ) -> None:  # fmt: skip
        super().__init__(
            signing_cert=asn1_certificate(certificate),
            cert_registry=SimpleCertificateStore.from_certs([asn1_certificate(c) for c in chain]),
        )
        self._client = client
        self._key_id = key_id
        self._public_key = certificate.public_key()

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        algorithm, hash_algorithm = self._algorithm(digest_algorithm)
        if dry_run:  # pyHanko's size estimate: no need to bother the service
            return bytes(self._max_signature_size())
        hasher = hashes.Hash(hash_algorithm)
        hasher.update(data)
        digest = hasher.finalize()
        signature = await self._client.sign_digest(self._key_id, digest, algorithm)
        self._check(signature, digest, hash_algorithm)
        return signature

    def _algorithm(self, digest_algorithm: str) -> tuple[SigningAlgorithm, hashes.HashAlgorithm]:
        name = digest_algorithm.lower()
        if name not in _HASHES:
            raise SigningError(f"the remote signer does not sign {digest_algorithm} digests")
        family = "ECDSA" if isinstance(self._public_key, ec.EllipticCurvePublicKey) else "RSASSA_PKCS1_V1_5"
        return SigningAlgorithm(f"{family}_SHA_{name[3:]}"), _HASHES[name]()

    def _max_signature_size(self) -> int:
        if isinstance(self._public_key, rsa.RSAPublicKey):
            return (self._public_key.key_size + 7) // 8
        # DER of two INTEGERs of up to n+1 bytes each in a SEQUENCE.
        size = (self._public_key.key_size + 7) // 8
        return 2 * (size + 3) + 3

    def _check(self, signature: bytes, digest: bytes, hash_algorithm: hashes.HashAlgorithm) -> None:
        """A wrong key, a wrong algorithm or a raw r||s instead of DER would make a PDF no reader accepts."""
        try:
            if isinstance(self._public_key, rsa.RSAPublicKey):
                self._public_key.verify(signature, digest, padding.PKCS1v15(), Prehashed(hash_algorithm))
            else:
                self._public_key.verify(signature, digest, ec.ECDSA(Prehashed(hash_algorithm)))
        except (InvalidSignature, ValueError):
            raise SigningError(
                f"the remote signature for key {self._key_id!r} does not verify with the seal certificate"
            ) from None


class RemoteSealKey:
    """The seal key held by a remote signing service; built in code with the service's client."""

    def __init__(
        self, client: RemoteSigningClient, *, key_id: str, certificate: x509.Certificate,
        chain: tuple[x509.Certificate, ...] = (),
    ) -> None:  # fmt: skip
        if not isinstance(certificate.public_key(), rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            raise SealKeyError("a remote seal key must be an RSA or EC key")
        self.certificate = certificate
        self.chain = chain
        self._signer = RemoteSigner(client, key_id, certificate, chain)

    def signer(self) -> Signer:
        return self._signer
