"""Certificates, revocation lists and OCSP responses signed by a CA key held anywhere (memory, file, token).

`cryptography` builds and encodes these structures well, but signs only with a private key
it holds, and an operator's issuing CA key may sit on a PKCS#11 token it never leaves. So
`cryptography` builds the structure and signs it with a stand-in key of the same kind,
which fixes the to-be-signed part (the signature algorithm in it depends only on the key's
kind and the digest); the CA's key, through the same custody adapters as the seal's
(keys/), signs those to-be-signed bytes; asn1crypto puts the parts together. Every result
is checked against the CA's certificate before it is used, so a token that signs wrongly
fails here and not in a relying party's validator.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp

from undersign.adapters.signing.keys.base import SealKey


class CaSignatureError(Exception):
    """The CA key produced a signature its own certificate does not verify."""


def certificate_signed_by(builder: x509.CertificateBuilder, ca: SealKey) -> x509.Certificate:
    draft = builder.sign(_stand_in(ca), _digest(ca))
    tbs = asn1_x509.TbsCertificate.load(draft.tbs_certificate_bytes)
    signed = asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": tbs["signature"],
            "signature_value": _sign(ca, draft.tbs_certificate_bytes),
        }
    )
    certificate = x509.load_der_x509_certificate(signed.dump())
    try:
        certificate.verify_directly_issued_by(ca.certificate)
    except (ValueError, TypeError, InvalidSignature) as error:
        raise CaSignatureError(f"the issuing CA's key signed a certificate its certificate rejects: {error}") from error
    return certificate


def crl_signed_by(builder: x509.CertificateRevocationListBuilder, ca: SealKey) -> x509.CertificateRevocationList:
    draft = builder.sign(_stand_in(ca), _digest(ca))
    tbs = asn1_crl.TbsCertList.load(draft.tbs_certlist_bytes)
    signed = asn1_crl.CertificateList(
        {
            "tbs_cert_list": tbs,
            "signature_algorithm": tbs["signature"],
            "signature": _sign(ca, draft.tbs_certlist_bytes),
        }
    )
    crl = x509.load_der_x509_crl(signed.dump())
    if not crl.is_signature_valid(ca.certificate.public_key()):  # type: ignore[arg-type]
        raise CaSignatureError("the issuing CA's key signed a revocation list its certificate rejects")
    return crl


def ocsp_signed_by(builder: ocsp.OCSPResponseBuilder, ca: SealKey) -> asn1_ocsp.OCSPResponse:
    """`builder` with its responses set, answered by the CA itself (no delegated responder), identified by its key."""
    # cryptography insists the responder's certificate holds the signing key: name the
    # stand-in's, then put the CA's key hash in its place before the CA signs.
    draft = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, _stand_in_certificate(ca)).sign(
        _stand_in(ca), _digest(ca)
    )
    basic = asn1_ocsp.OCSPResponse.load(draft.public_bytes(serialization.Encoding.DER)).basic_ocsp_response
    tbs = basic["tbs_response_data"]
    tbs["responder_id"] = asn1_ocsp.ResponderId(name="by_key", value=_asn1(ca.certificate).public_key.sha1)
    tbs_bytes = tbs.dump(force=True)
    basic["signature"] = _sign(ca, tbs_bytes)
    _check(ca, basic["signature"].native, tbs_bytes)
    return asn1_ocsp.OCSPResponse(
        {
            "response_status": "successful",
            "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
        }
    )


def _sign(ca: SealKey, data: bytes) -> bytes:
    return _run(ca.signer().async_sign_raw(data, _digest(ca).name))


def _run(coroutine: Coroutine[Any, Any, bytes]) -> bytes:
    """The custody key signs asynchronously; callers are synchronous, in threads with or without a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # a worker thread, as when a signer's certificate is issued
        return asyncio.run(coroutine)
    # Inside a running loop (pyHanko's fetchers ask for an OCSP answer from one): sign beside it.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _check(ca: SealKey, signature: bytes, data: bytes) -> None:
    public_key = ca.certificate.public_key()
    digest = _digest(ca)
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(digest))
        elif isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), digest)
        else:  # pragma: no cover - _stand_in refused it already
            raise CaSignatureError(f"unsupported CA key {type(public_key).__name__}")
    except InvalidSignature as error:
        raise CaSignatureError("the issuing CA's key signed an OCSP response its certificate rejects") from error


def _digest(ca: SealKey) -> hashes.HashAlgorithm:
    """SHA-384 for keys stronger than 128 bits of security (P-384 and up, RSA over 3072 bits), SHA-256 otherwise."""
    public_key = ca.certificate.public_key()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        strong = public_key.curve.key_size > 256
    else:
        strong = isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size > 3072
    return hashes.SHA384() if strong else hashes.SHA256()


def _stand_in(ca: SealKey) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    public_key = ca.certificate.public_key()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return _stand_in_ec()
    if isinstance(public_key, rsa.RSAPublicKey):
        return _stand_in_rsa()
    raise CaSignatureError(f"the issuing CA's key must be an EC or RSA key, not {type(public_key).__name__}")


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _stand_in_certificate(ca: SealKey) -> x509.Certificate:
    return _self_signed(_stand_in(ca))


@functools.cache
def _self_signed(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "stand-in, never published")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2000, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2000, 1, 2, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )


@functools.cache
def _stand_in_ec() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@functools.cache
def _stand_in_rsa() -> rsa.RSAPrivateKey:
    # Any size gives the same algorithm identifier; made once per process.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
