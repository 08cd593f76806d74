"""Errors the use cases raise besides the domain's own."""

from __future__ import annotations

from undersign.domain.errors import DomainError, InvalidInput, InvalidState


class InvalidDocument(InvalidInput):
    """The upload is not a PDF the platform can sign: empty, damaged, encrypted, not a PDF."""

    code = "invalid_document"


class PdfActiveContent(InvalidDocument):
    """The PDF carries something that runs when it is opened (JavaScript, a launch, a form
    submission): the platform does not hand that to signers."""

    code = "pdf_active_content"


class PdfPolyglot(InvalidDocument):
    """The file is also something else than a PDF (bytes before its header or after its end, a ZIP)."""

    code = "pdf_polyglot"


class PdfTooComplex(InvalidDocument):
    """The PDF asks for more work than one document may cause: too many pages, objects or
    levels of nesting, or more time or memory to read than allowed."""

    code = "pdf_too_complex"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class AlreadyExists(DomainError):
    code = "already_exists"


class SigningFailed(DomainError):
    """The signing machinery refused to sign (an untrusted or revoked certificate, say)."""

    code = "signing_failed"


class LinkGone(DomainError):
    """A signing link that worked once and never will again (HTTP 410)."""

    code = "link_gone"


class LinkExpired(LinkGone):
    code = "link_expired"


class LinkRevoked(LinkGone):
    """A newer link was issued for the same recipient: only the latest one works."""

    code = "link_revoked"


class EnvelopeClosed(LinkGone):
    """The envelope was declined, voided or has expired: nobody acts on it or reads it through a link any more."""

    code = "envelope_closed"


class PreconditionFailed(DomainError):
    """The caller expected another version of the envelope (an If-Match that no longer holds): nothing changed."""

    code = "precondition_failed"


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"


class IdempotencyKeyReused(InvalidInput):
    """The key was first used for another request (another body, endpoint or method)."""

    code = "idempotency_key_reused"


class IdempotencyKeyInProgress(DomainError):
    """The first request with this key is still being processed: ask again in a moment."""

    code = "idempotency_key_in_progress"


class ServiceUnavailable(DomainError):
    """Something the platform needs (its database, say) does not answer right now; the same
    request may well succeed a little later, `retry_after_seconds` being a fair wait."""

    code = "service_unavailable"
    retry_after_seconds = 5


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"


class PdfReadersBusy(ServiceUnavailable):
    """Every reader of untrusted PDFs is busy and the line of those waiting is full: nothing was
    done, and the same request may be sent again in a moment."""

    code = "pdf_readers_busy"
    retry_after_seconds = 10


class TimestampUnavailable(ServiceUnavailable):
    """No time-stamping authority answered, so the signature the policy asks for (B-T and up)
    was not made, and nothing was stored; the same request can be sent again later."""

    code = "timestamp_unavailable"
    retry_after_seconds = 30


class InvalidTrustRoot(InvalidInput):
    """A trust root handed in for a verification is not an X.509 certificate."""

    code = "invalid_trust_root"


class InvalidSignatureImage(InvalidInput):
    """A drawn or uploaded signature image the platform does not draw: not a PNG, too many
    bytes or pixels, damaged, or not decodable (see application.shared.signature_images)."""

    code = "invalid_signature_image"


class MailUnavailable(ServiceUnavailable):
    """The mail server did not take a message; the notification job tries again later."""

    code = "mail_unavailable"


class SmsUnavailable(ServiceUnavailable):
    """The SMS gateway did not take a text message (it refused it, failed, or did not answer)."""

    code = "sms_unavailable"


class TooManyRequests(DomainError):
    """Too many failed attempts (or, with a tenant rate, requests) in a while: nothing was done,
    and the same request is refused until `retry_after_seconds` have passed."""

    code = "too_many_requests"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


class SignerAuthenticationRequired(Unauthenticated):
    """The recipient's policy asks for more than the link (a code, an access code, a sign-in) and it was not passed."""

    code = "signer_authentication_required"


class WrongCode(Unauthenticated):
    """A one-time or access code that does not match; `attempts_left` before the recipient is locked."""

    code = "wrong_code"

    def __init__(self, detail: str, *, attempts_left: int) -> None:
        super().__init__(detail)
        self.attempts_left = attempts_left


class SignerLocked(Forbidden):
    """Too many wrong codes: only the sender can let this recipient in again (unlock, or a new link)."""

    code = "signer_locked"


class CodeExpired(InvalidState):
    """The one-time code was used, replaced or outlived its minutes: the recipient asks for a new one (409;
    not a 410, which would count against the address as a guessed link)."""

    code = "code_expired"


class BlobCorrupted(DomainError):
    """A stored document no longer has the SHA-256 recorded when it was stored: it was changed or
    damaged where it is kept. It is never served; operators find every such blob with
    `undersign storage check`."""

    code = "stored_document_corrupted"

    def __init__(self, key: str, expected: str, actual: str) -> None:
        super().__init__("a stored document does not match the SHA-256 recorded for it: it is not served")
        self.key, self.expected, self.actual = key, expected, actual
