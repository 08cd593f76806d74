"""Errors the use cases raise besides the domain's own."""

from domain.errors import DomainError, InvalidInput


class InvalidDocument(InvalidInput):
    """The upload is not a PDF the platform can sign: empty, damaged, encrypted, not a PDF."""

    code = "invalid_document"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class AlreadyExists(DomainError):
    code = "already_exists"


class SigningFailed(DomainError):
    """The signing machinery refused to sign (an untrusted or revoked certificate, say)."""

    code = "signing_failed"


class LinkExpired(DomainError):
    code = "link_expired"
