"""Certificates as pyHanko takes them: asn1crypto objects, from the `cryptography` ones the rest of the code holds."""

from __future__ import annotations

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization


def asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
