"""The platform's own certificates: warned about 90 days before they end, refused once they have."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from undersign.adapters.signing.certificate_lifetimes import (
    EXPIRY_WARNING,
    CertificateNotValid,
    check_certificate_lifetimes,
)
from undersign.adapters.signing.dev_pki import DevPki, load_or_create_dev_pki

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return load_or_create_dev_pki(tmp_path_factory.mktemp("dev-pki"), NOW)[0]


def roles(pki: DevPki) -> dict:
    return {"the platform seal": pki.seal_cert, "the signers' issuing CA": pki.issuing_cert, "the TSA": pki.tsa_cert}


def test_certificates_far_from_their_end_raise_no_warning(pki: DevPki) -> None:
    assert check_certificate_lifetimes(roles(pki), NOW) == []


def test_certificates_ending_within_90_days_are_named_soonest_first(pki: DevPki) -> None:
    seal_end = pki.seal_cert.not_valid_after_utc
    at = seal_end - EXPIRY_WARNING + timedelta(days=1)

    ending = check_certificate_lifetimes(roles(pki), at)

    assert [certificate.role for certificate in ending] == ["the platform seal"]  # the TSA's lives ten years
    assert ending[0].days_left(at) == 89
    assert "DEVELOPMENT" in ending[0].subject


def test_the_soonest_end_comes_first(pki: DevPki, tmp_path) -> None:
    later_pki = load_or_create_dev_pki(tmp_path / "later", NOW + timedelta(days=30))[0]
    at = later_pki.seal_cert.not_valid_after_utc - timedelta(days=60)

    ending = check_certificate_lifetimes({"later": later_pki.seal_cert, "sooner": pki.seal_cert}, at)

    assert [(c.role, c.days_left(at)) for c in ending] == [("sooner", 30), ("later", 60)]


def test_a_certificate_one_day_outside_the_warning_is_not_named(pki: DevPki) -> None:
    at = pki.seal_cert.not_valid_after_utc - EXPIRY_WARNING - timedelta(days=1)
    assert [c.role for c in check_certificate_lifetimes({"the platform seal": pki.seal_cert}, at)] == []


def test_an_expired_certificate_is_refused_by_its_role_and_date(pki: DevPki) -> None:
    end = pki.seal_cert.not_valid_after_utc

    with pytest.raises(CertificateNotValid, match=f"the platform seal certificate .* expired on {end:%Y-%m-%d}"):
        check_certificate_lifetimes(roles(pki), end)


def test_a_certificate_not_yet_valid_is_refused(pki: DevPki) -> None:
    with pytest.raises(CertificateNotValid, match="the signers' issuing CA certificate .* is not valid before"):
        check_certificate_lifetimes({"the signers' issuing CA": pki.issuing_cert}, NOW - timedelta(days=1))
