"""The development CA's revocation data: an OCSP response per certificate, fresh for exactly its life."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import AuthorityInformationAccessOID

from undersign.adapters.signing.dev_pki import (
    CLOCK_SKEW,
    DEV_OCSP_URL,
    DevPki,
    issue_signer_certificate,
    load_or_create_dev_pki,
)
from undersign.adapters.signing.dev_revocation import LEGACY_CRL_VALIDITY, DevRevocation

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return load_or_create_dev_pki(tmp_path_factory.mktemp("dev-pki") / "pki", NOW)[0]


def answers(responses) -> dict[int, tuple[str, datetime, datetime]]:
    """Each response's one answer, by serial: (status, this update, next update)."""
    found = {}
    for response in responses:
        [single] = response.basic_ocsp_response["tbs_response_data"]["responses"]
        status = single["cert_status"].name
        found[single["cert_id"]["serial_number"].native] = (status, single["this_update"].native, single["next_update"].native)
    return found


def test_every_certificate_the_issuing_ca_makes_names_the_development_responder(pki: DevPki) -> None:
    _, signer = issue_signer_certificate(pki, name="Ada", email="ada@example.com", now=NOW, validity=timedelta(days=1))

    for certificate in (signer, pki.seal_cert, pki.tsa_cert):
        access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        assert [(a.access_method, a.access_location.value) for a in access] == [
            (AuthorityInformationAccessOID.OCSP, DEV_OCSP_URL)
        ]


def test_each_certificate_is_answered_good_until_just_before_it_ends(pki: DevPki) -> None:
    _, signer = issue_signer_certificate(pki, name="Ada", email="ada@example.com", now=NOW, validity=timedelta(days=1))

    found = answers(DevRevocation(pki).ocsp_responses([signer]))

    assert set(found) == {signer.serial_number, pki.seal_cert.serial_number, pki.tsa_cert.serial_number}
    status, this_update, next_update = found[signer.serial_number]
    assert status == "good"
    assert signer.not_valid_before_utc <= this_update <= datetime.now(UTC)  # made after the certificate
    assert next_update == signer.not_valid_after_utc - CLOCK_SKEW


def test_a_revoked_certificate_is_answered_revoked(pki: DevPki) -> None:
    _, signer = issue_signer_certificate(pki, name="Eve", email="eve@example.com", now=NOW, validity=timedelta(days=1))
    revocation = DevRevocation(pki)

    revocation.revoke(signer.serial_number)

    assert answers(revocation.ocsp_responses([signer]))[signer.serial_number][0] == "revoked"


def test_revoking_a_standing_certificate_is_answered_at_once(pki: DevPki) -> None:
    """The seal's and the TSA's responses are made once and kept; a revocation must not be hidden by that."""
    revocation = DevRevocation(pki)
    assert answers(revocation.ocsp_responses())[pki.seal_cert.serial_number][0] == "good"

    revocation.revoke(pki.seal_cert.serial_number)

    assert answers(revocation.ocsp_responses())[pki.seal_cert.serial_number][0] == "revoked"
    assert answers(revocation.ocsp_responses())[pki.tsa_cert.serial_number][0] == "good"


def test_an_ended_certificate_or_one_from_another_ca_gets_no_answer(pki: DevPki, tmp_path) -> None:
    _, ended = issue_signer_certificate(pki, name="Old", email="old@example.com", now=NOW - timedelta(days=3),
                                        validity=timedelta(days=1))  # fmt: skip
    other = load_or_create_dev_pki(tmp_path / "other", NOW)[0]

    found = answers(DevRevocation(pki).ocsp_responses([ended, other.seal_cert]))

    assert ended.serial_number not in found and other.seal_cert.serial_number not in found


def test_a_pki_made_before_its_certificates_named_a_responder_keeps_week_long_lists(pki: DevPki) -> None:
    unnamed = (
        x509.CertificateBuilder()
        .subject_name(pki.seal_cert.subject)
        .issuer_name(pki.issuing_cert.subject)
        .public_key(pki.seal_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(pki.seal_cert.not_valid_before_utc)
        .not_valid_after(pki.seal_cert.not_valid_after_utc)
        .sign(pki.issuing_key, hashes.SHA384())
    )
    older = dataclasses.replace(pki, seal_cert=unnamed)

    root_list, issuing_list = DevRevocation(older).crls()

    assert issuing_list["tbs_cert_list"]["issuer"].native["common_name"] == "Undersign DEVELOPMENT Issuing CA"
    validity = issuing_list["tbs_cert_list"]["next_update"].native - issuing_list["tbs_cert_list"]["this_update"].native
    assert validity == LEGACY_CRL_VALIDITY + CLOCK_SKEW
    assert [crl["tbs_cert_list"]["issuer"].native["common_name"] for crl in DevRevocation(pki).crls()] == [
        "Undersign DEVELOPMENT Root CA"
    ]
