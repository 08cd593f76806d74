"""Errors that are nobody's fault but a service's: a 503 problem that says when to come back."""

from __future__ import annotations

from undersign.application.shared.errors import DatabaseUnavailable, SigningFailed, TimestampUnavailable
from undersign.entrypoints.http.problems import domain_error


def test_no_time_stamping_authority_is_a_503_to_retry_later() -> None:
    response = domain_error(None, TimestampUnavailable("no time-stamping authority answered"))  # type: ignore[arg-type]

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.content["code"] == "timestamp_unavailable"


def test_a_refused_certificate_is_not_something_to_retry() -> None:
    response = domain_error(None, SigningFailed("the signer's certificate was revoked"))  # type: ignore[arg-type]

    assert response.status_code == 422 and "Retry-After" not in response.headers
    assert domain_error(None, DatabaseUnavailable("down")).headers["Retry-After"] == "5"  # type: ignore[arg-type]
