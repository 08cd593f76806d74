"""What the PDF signer needs from the platform seal's key, wherever that key is kept."""

from __future__ import annotations

from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from pyhanko.sign.signers import Signer


class SealKey(Protocol):
    """The platform seal's key and certificate.

    - `certificate`: the seal's own certificate.
    - `chain`: the CA certificates above it that could be found, its issuer first, possibly
      ending with the root; every signature embeds them so a verifier can build the path.
    - `signer()`: a pyHanko `Signer` for `PdfSigner`, with that certificate and chain. It
      is the same object on every call and may sign from several threads at once; callers
      must not change it.

    Building a seal key checks what can be checked before the first signature (the file,
    the password or PIN, that the key matches the certificate) and raises `SealKeyError`
    with a message an operator can act on, so a wrong setting stops the start instead of
    failing the first envelope that completes.
    """

    @property
    def certificate(self) -> x509.Certificate: ...

    @property
    def chain(self) -> tuple[x509.Certificate, ...]: ...

    def signer(self) -> Signer: ...


class SealKeyError(Exception):
    """The configured seal key cannot be used. The message says why and never holds a secret."""


def path_to_root(certificate: x509.Certificate, candidates: list[x509.Certificate]) -> tuple[x509.Certificate, ...]:
    """The certificates from `candidates` that lead from `certificate` up to a root, issuer first.

    A PKCS#12 file or a token may hold certificates in any order, and some that belong to
    something else; only the path is embedded.
    """
    path: list[x509.Certificate] = []
    current = certificate
    while current.issuer != current.subject:
        issuer = next((c for c in candidates if c not in path and _issued(current, c)), None)
        if issuer is None:
            break
        path.append(issuer)
        current = issuer
    return tuple(path)


def _issued(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):  # another name, key type or signature: not its issuer
        return False
    return True
