"""Errors as RFC 9457 problem details: the one table from error to HTTP status.

A domain error is never a 500, but for a stored document that fails its SHA-256 check (the
platform's fault, not the caller's); an unexpected exception is a 500 that says nothing of its
insides (the log has them, under the request id).
"""

from __future__ import annotations

from http import HTTPStatus

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from undersign.application.shared.errors import (
    AlreadyExists,
    BlobCorrupted,
    Forbidden,
    IdempotencyKeyInProgress,
    LinkGone,
    PreconditionFailed,
    ServiceUnavailable,
    SigningFailed,
    TooManyRequests,
    Unauthenticated,
    WrongCode,
)
from undersign.domain.errors import ConcurrencyConflict, DomainError, InvalidInput, InvalidState, NotFound
from undersign.domain.retention import ContentPurged

PROBLEM_JSON = "application/problem+json"

STATUS_OF: dict[type[DomainError], int] = {
    InvalidInput: 422,
    InvalidState: 409,
    ConcurrencyConflict: 409,
    AlreadyExists: 409,
    NotFound: 404,
    PreconditionFailed: 412,
    IdempotencyKeyInProgress: 409,
    LinkGone: 410,
    Unauthenticated: 401,
    Forbidden: 403,
    SigningFailed: 422,
    ServiceUnavailable: 503,
    TooManyRequests: 429,
    BlobCorrupted: 500,
    ContentPurged: 410,  # purged under the retention policy: gone for good, only the hashes remain
}

log = structlog.get_logger("undersign.http")


def status_of(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 422


def problem(status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: object) -> Response:
    body = {
        "type": f"urn:undersign:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_error(_: Request, error: DomainError) -> Response:
    status = status_of(error)
    headers = None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(error, (ServiceUnavailable, TooManyRequests)):
        # The client learns when to come back (for a 503, the adapter that raised it logged why).
        headers = {"Retry-After": str(error.retry_after_seconds)}
    extra = {"attempts_left": error.attempts_left} if isinstance(error, WrongCode) else {}
    return problem(status, error.code, error.detail, headers, **extra)


def http_error(_: Request, error: HTTPException) -> Response:
    status = error.status_code
    if isinstance(error, ValidationException):
        return problem(400, "malformed_request", _validation_detail(error))
    code = HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    return problem(status, code, error.detail or HTTPStatus(status).description, error.headers)


def unexpected_error(_: Request, error: Exception) -> Response:
    log.exception("unhandled error", error_type=type(error).__name__)
    return problem(500, "internal_error", "something went wrong on our side; the request id identifies it in our logs")


def _validation_detail(error: ValidationException) -> str:
    messages = []
    for item in error.extra if isinstance(error.extra, list) else []:
        if isinstance(item, dict):
            where = item.get("key")
            messages.append(f"{item.get('message')}" + (f" (at {where})" if where else ""))
    return "; ".join(messages) or error.detail or "the request is malformed"


EXCEPTION_HANDLERS = {
    DomainError: domain_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
