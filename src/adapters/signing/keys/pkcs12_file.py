"""The seal key from a PKCS#12 file (.p12, .pfx): read, decrypted and parsed once, at start."""

from __future__ import annotations

from pathlib import Path

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography.hazmat.primitives.serialization import pkcs12

from undersign.adapters.signing.keys.base import SealKeyError, path_to_root
from undersign.adapters.signing.keys.local import LocalSealKey


def load_pkcs12_seal_key(path: Path, password: str | None) -> LocalSealKey:
    """The key, its certificate and the CA certificates on its path, from the file at `path`.

    `password` None means the file is not encrypted. The parsed key is kept: signatures
    neither read nor decrypt the file again.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SealKeyError(f"the PKCS#12 file {path} does not exist") from None
    except OSError as error:
        raise SealKeyError(f"cannot read the PKCS#12 file {path}: {error.strerror}") from None
    if not _is_pkcs12(data):
        raise SealKeyError(f"{path} is not a PKCS#12 file")
    try:
        key, certificate, others = pkcs12.load_key_and_certificates(data, _encoded(password))
    except ValueError:
        # The file is PKCS#12, so its MAC or encryption refused the password.
        raise SealKeyError(f"cannot open the PKCS#12 file {path}: {_password_problem(data, password)}") from None
    if key is None or certificate is None:
        raise SealKeyError(f"the PKCS#12 file {path} must hold a private key and its certificate")
    return LocalSealKey(key, certificate, path_to_root(certificate, list(others)))


def _is_pkcs12(data: bytes) -> bool:
    try:
        return asn1_pkcs12.Pfx.load(data, strict=True)["version"].native == "v3"
    except ValueError:
        return False


def _password_problem(data: bytes, password: str | None) -> str:
    if password is None:
        return "it is encrypted and no password was given"
    try:
        pkcs12.load_key_and_certificates(data, None)
    except ValueError:
        return "the password is wrong"
    return "it is not encrypted, so give no password"


def _encoded(password: str | None) -> bytes | None:
    return None if password is None else password.encode()
