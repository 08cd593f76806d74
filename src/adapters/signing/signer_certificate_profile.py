"""What a signer's certificate says, whichever CA issues it (the development CA's or the operator's).

- The subject: the person's name in any script (subject_names.py), or their address when
  the name leaves nothing; an organization only for the development CA, which says so.
- The address in the subject alternative name: an rfc822Name, or an RFC 8398
  SmtpUTF8Mailbox when the part before the @ is not ASCII.
- Key usage for signing (digitalSignature and nonRepudiation), not a CA.
- The certificate policy the installation names (UNDERSIGN_SIGNER_CERTIFICATE_POLICY).
- Where its status is published: the OCSP responder in the authority information access,
  and the CA's revocation list as a distribution point when there is one.
"""

from __future__ import annotations

from datetime import datetime

from asn1crypto.core import UTF8String
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import AuthorityInformationAccessOID

from undersign.adapters.signing.subject_names import common_names, subject

# id-on-SmtpUTF8Mailbox (RFC 8398): an email address with a non-ASCII local part.
SMTP_UTF8_MAILBOX = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.9")

SIGNING_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def signer_certificate_builder(
    *,
    name: str,
    email: str,
    public_key: CertificatePublicKeyTypes,
    issuer: x509.Certificate,
    not_before: datetime,
    not_after: datetime,
    policy: str,
    ocsp_url: str,
    crl_url: str | None = None,
    organization: str | None = None,
) -> x509.CertificateBuilder:
    """The certificate for one signer, ready for the issuing CA to sign; it never outlives its issuer."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject(name if common_names(name) else email, organization))
        .issuer_name(issuer.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(min(not_after, issuer.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(SIGNING_KEY_USAGE, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(authority_key_identifier(issuer), critical=False)
        .add_extension(ocsp_access(ocsp_url), critical=False)
        .add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(policy), None)]), critical=False
        )
    )
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    mailbox = signer_mailbox(email)
    if mailbox is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName([mailbox]), critical=False)
    return builder


def ocsp_access(url: str) -> x509.AuthorityInformationAccess:
    return x509.AuthorityInformationAccess(
        [x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(url))]
    )


def authority_key_identifier(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:  # an operator's CA made without one: derive it as RFC 5280 suggests
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key())  # type: ignore[arg-type]
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def signer_mailbox(email: str) -> x509.GeneralName | None:
    """The address for the subject alternative name; None if it is no address at all.

    ASCII before the @: an rfc822Name, its domain IDNA-encoded (A-labels). Anything else
    before the @: an SmtpUTF8Mailbox (RFC 8398), the whole address in UTF-8 with the domain
    in U-labels, as RFC 8398 asks.
    """
    local, _, domain = email.strip().rpartition("@")
    if not local or not domain:
        return None
    try:
        a_labels = domain.encode("idna").decode("ascii")
        if local.isascii():
            return x509.RFC822Name(f"{local}@{a_labels}")
        mailbox = UTF8String(f"{local}@{a_labels.encode('ascii').decode('idna')}").dump()
        return x509.OtherName(SMTP_UTF8_MAILBOX, mailbox)
    except (UnicodeError, ValueError):
        return None
