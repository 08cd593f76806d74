"""The seal key on a PKCS#11 token (an HSM, a smart card, SoftHSM2): the private key never leaves it.

pyHanko's `PKCS11Signer` (python-pkcs11 underneath) does the signing. What this adds:

- One logged-in session per token and process, opened at start and kept. PKCS#11 login is
  per application and token, not per session: a second `C_Login` fails with
  CKR_USER_ALREADY_LOGGED_IN, and closing any logged-in session logs every other one out.
  So keys on the same token share one session, closed when the last of them is.
  python-pkcs11 serialises the operations on a session, so concurrent seals take turns.
- ECDSA with the raw CKM_ECDSA mechanism over a digest made here: SoftHSM2, and many HSMs,
  offer no CKM_ECDSA_SHA256. RSA uses CKM_SHA256_RSA_PKCS (PKCS#1 v1.5).
- A probe signature at start, checked against the certificate: it proves the key and the
  certificate belong together and that the token does the mechanism, before any document.
- Errors an operator can act on: python-pkcs11's exceptions carry no message at all.

A session lost later (a network HSM restarting) is not reopened: signatures fail until
the process restarts.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pkcs11
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pkcs11 import Attribute, ObjectClass
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session, select_pkcs11_signing_params
from pyhanko.sign.signers import Signer

from undersign.adapters.signing.certificates import asn1_certificate
from undersign.adapters.signing.keys.base import SealKeyError, path_to_root

_PROBE = b"Undersign: does this key sign for this certificate?"
_PROBE_DIGEST = "sha256"


class Pkcs11SealKey:
    def __init__(self, *, module: Path, token: str, key_label: str, pin: str, cert_label: str | None = None) -> None:
        """Log in to `token` in `module` and find the key labelled `key_label` and its certificate.

        The certificate is the one labelled `cert_label` (by default the key's label); the
        CA certificates stored on the token that lead from it to a root become its chain.
        """
        cert_label = cert_label or key_label
        self._session = _SharedSession.open(module, token, pin)
        try:
            session = self._session.session
            with _token_errors(f"token {token!r}"):
                certificates = [
                    x509.load_der_x509_certificate(obj[Attribute.VALUE])
                    for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
                ]
                by_label = _one(
                    session, {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: cert_label},
                    f"certificate labelled {cert_label!r} on token {token!r}",
                )  # fmt: skip
                key = _one(
                    session,
                    {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: key_label, Attribute.SIGN: True},
                    f"private key labelled {key_label!r} that may sign, on token {token!r}",
                )
            self.certificate = x509.load_der_x509_certificate(by_label[Attribute.VALUE])
            self.chain = path_to_root(self.certificate, certificates)
            raw = isinstance(self.certificate.public_key(), ec.EllipticCurvePublicKey)
            self._signer = PKCS11Signer(
                session,
                key_label=key_label,
                signing_cert=asn1_certificate(self.certificate),
                ca_chain=[asn1_certificate(c) for c in self.chain],
                other_certs_to_pull=(),
                use_raw_mechanism=raw,
            )
            with _token_errors(f"token {token!r}"):
                # Reading the property finds the key handle now rather than on the first
                # signature, where it would block the event loop of whoever signs first.
                if self._signer.signing_cert is None:  # pragma: no cover - it was given
                    raise SealKeyError("pyHanko lost the certificate")
                _probe(self._signer, key, self.certificate, raw=raw, key_label=key_label, cert_label=cert_label)
        except BaseException:
            self._session.release()
            raise

    def signer(self) -> Signer:
        return self._signer

    def close(self) -> None:
        """Give up the session (logging out once no other key on the token uses it). Idempotent."""
        self._session.release()


def _one(session: Any, template: dict[Attribute, Any], what: str) -> Any:
    found = list(session.get_objects(template))
    if len(found) != 1:
        raise SealKeyError(f"{'no' if not found else 'more than one'} {what}")
    return found[0]


def _probe(signer: PKCS11Signer, key: Any, certificate: x509.Certificate, *, raw: bool, key_label: str,
           cert_label: str) -> None:  # fmt: skip
    """Sign a fixed text the way pyHanko will, and verify it with the certificate's public key."""
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise SealKeyError(f"the certificate {cert_label!r} must hold an RSA or EC key")
    spec = select_pkcs11_signing_params(
        signer.get_signature_mechanism_for_digest(_PROBE_DIGEST), _PROBE_DIGEST, use_raw_mechanism=raw, sign_kwargs={}
    )
    data = spec.pre_sign_transform(_PROBE) if spec.pre_sign_transform else _PROBE
    try:
        signature = key.sign(data, **spec.sign_kwargs)
    except pkcs11.MechanismInvalid:
        mechanism = spec.sign_kwargs["mechanism"]
        raise SealKeyError(f"the token cannot sign with {mechanism.name} (key {key_label!r})") from None
    if spec.post_sign_transform:
        signature = spec.post_sign_transform(signature)
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, _PROBE, padding.PKCS1v15(), hashes.SHA256())
        else:
            public_key.verify(signature, _PROBE, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SealKeyError(
            f"the private key {key_label!r} does not belong to the certificate {cert_label!r}"
        ) from None


# -- sessions -----------------------------------------------------------------------------


@dataclass(slots=True)
class _SharedSession:
    """A logged-in session to one token, shared by the keys on it (see the module docstring)."""

    key: tuple[str, str]
    session: Any
    pin_digest: bytes
    users: int = 1

    @classmethod
    def open(cls, module: Path, token: str, pin: str) -> _SharedSession:
        key, pin_digest = (str(module), token), hashlib.sha256(pin.encode()).digest()
        with _sessions_lock:
            shared = _sessions.get(key)
            if shared is None:
                shared = _sessions[key] = cls(key=key, session=_log_in(module, token, pin), pin_digest=pin_digest)
                return shared
            # The token would not ask again: a wrong PIN must not ride on an earlier login.
            if not hmac.compare_digest(shared.pin_digest, pin_digest):
                raise SealKeyError(f"the PIN for token {token!r} is wrong (it differs from the one it was opened with)")
            shared.users += 1
            return shared

    def release(self) -> None:
        with _sessions_lock:
            if self.users == 0:
                return
            self.users -= 1
            if self.users == 0:
                del _sessions[self.key]
                with suppress(pkcs11.PKCS11Error):  # the token went away: nothing left to log out of
                    self.session.close()


_sessions: dict[tuple[str, str], _SharedSession] = {}
_sessions_lock = threading.Lock()


def _log_in(module: Path, token: str, pin: str) -> Any:
    if not module.is_file():
        raise SealKeyError(f"the PKCS#11 module {module} does not exist")
    try:
        return open_pkcs11_session(str(module), token_criteria=TokenCriteria(label=token), user_pin=pin)
    except (pkcs11.PinIncorrect, pkcs11.PinLenRange, pkcs11.PinInvalid):
        raise SealKeyError(f"the PIN for token {token!r} is wrong") from None
    except pkcs11.PinLocked:
        raise SealKeyError(f"the PIN for token {token!r} is locked (too many wrong tries)") from None
    except pkcs11.PKCS11Error as error:
        if str(error).startswith("No token matching"):
            raise SealKeyError(f"no token labelled {token!r} in {module}") from None
        raise SealKeyError(f"{module}: {_describe(error)}") from None


@contextmanager
def _token_errors(where: str) -> Iterator[None]:
    """Any other PKCS#11 failure, named (python-pkcs11's exceptions have no message), and where."""
    try:
        yield
    except pkcs11.PKCS11Error as error:
        raise SealKeyError(f"{where}: {_describe(error)}") from error


def _describe(error: pkcs11.PKCS11Error) -> str:
    return f"{type(error).__name__}{f' ({error})' if str(error) else ''}"
