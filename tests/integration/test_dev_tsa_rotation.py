"""The development TSA signs with a new certificate every year, each outliving the last."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509

from undersign.adapters.signing.dev_pki import (
    CLOCK_SKEW,
    TSA_ROTATION,
    TSA_ROTATIONS_DIR,
    TSA_VALIDITY,
    load_or_create_dev_pki,
    tsa_at,
)

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_the_first_year_signs_with_the_certificate_the_pki_was_made_with(tmp_path: Path) -> None:
    pki = load_or_create_dev_pki(tmp_path / "pki", T0)[0]

    tsa = tsa_at(pki, T0 + TSA_ROTATION - timedelta(days=1))

    assert (tsa.rotation, tsa.certificate) == (0, pki.tsa_cert)
    assert not (tmp_path / "pki" / TSA_ROTATIONS_DIR).exists()


def test_each_later_year_gets_a_certificate_of_its_own_kept_for_every_process(tmp_path: Path) -> None:
    pki = load_or_create_dev_pki(tmp_path / "pki", T0)[0]
    at = T0 + 4 * TSA_ROTATION + timedelta(days=300)

    tsa = tsa_at(pki, at)
    reloaded = tsa_at(load_or_create_dev_pki(tmp_path / "pki", at)[0], at + timedelta(days=1))

    assert tsa.rotation == 4 and tsa.certificate != pki.tsa_cert
    tsa.certificate.verify_directly_issued_by(pki.issuing_cert)
    assert tsa.certificate.not_valid_before_utc == at - CLOCK_SKEW
    assert tsa.certificate.not_valid_after_utc == at + TSA_VALIDITY
    usage = tsa.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert usage.critical and list(usage.value) == [x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]
    assert (tmp_path / "pki" / TSA_ROTATIONS_DIR / "004" / "tsa-key.pem").stat().st_mode & 0o077 == 0
    assert reloaded.certificate == tsa.certificate
    assert reloaded.key.private_numbers() == tsa.key.private_numbers()


def test_a_renewal_near_the_end_of_a_time_stamp_gets_a_certificate_that_outlives_it(tmp_path: Path) -> None:
    pki = load_or_create_dev_pki(tmp_path / "pki", T0)[0]
    first_end = pki.tsa_cert.not_valid_after_utc

    later = tsa_at(pki, first_end - timedelta(days=30))

    assert later.certificate.not_valid_after_utc > first_end + 8 * TSA_ROTATION


def test_processes_making_a_year_s_certificate_at_once_agree_on_one(tmp_path: Path) -> None:
    pki = load_or_create_dev_pki(tmp_path / "pki", T0)[0]
    at = T0 + 2 * TSA_ROTATION

    with ThreadPoolExecutor(max_workers=8) as pool:
        serials = set(pool.map(lambda _: tsa_at(pki, at).certificate.serial_number, range(16)))

    assert len(serials) == 1
    assert [p.name for p in (tmp_path / "pki" / TSA_ROTATIONS_DIR).iterdir()] == ["002"]  # no staging left behind
