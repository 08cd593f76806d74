"""The configured seal key is the one that seals: UNDERSIGN_SEAL_KEY through the container to the PDF.

The key here is a PKCS#12 file holding a certificate from the development issuing CA, so
that the development revocation lists cover it and nothing needs the network.
"""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils.reader import PdfFileReader
from structlog.testing import capture_logs

from tests.pdf_checks import assert_trusted, pdfsig_report, pyhanko_statuses
from tests.pdf_in_memory import InMemoryPdfSigner
from tests.pdf_samples import make_pdf
from tests.stack import settings_for
from undersign.adapters.signing.dev_pki import issue_signer_certificate
from undersign.domain.policy import SignatureLevel
from undersign.entrypoints.container import build_container, ready_to_sign
from undersign.entrypoints.settings import SettingsError

PASSWORD = "seal key password"


def seal_key_file(data_dir: Path, name: str, *, issued_days_ago: int = 0, valid_days: int = 30) -> Path:
    """A PKCS#12 seal key in `data_dir`, issued by its development PKI."""
    container = build_container(settings_for(data_dir))
    pki = container.gateways.pki()
    key, certificate = issue_signer_certificate(
        pki, name="Acme Seal 2026", email="seal@acme.example",
        now=container.core.clock().now() - timedelta(days=issued_days_ago), validity=timedelta(days=valid_days),
    )  # fmt: skip
    bundle = pkcs12.serialize_key_and_certificates(
        b"seal", key, certificate, [pki.issuing_cert, pki.root_cert],
        serialization.BestAvailableEncryption(PASSWORD.encode()),
    )  # fmt: skip
    (data_dir / name).write_bytes(bundle)
    return data_dir / name


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory whose development PKI exists, and a PKCS#12 seal key it issued (seal.p12)."""
    seal_key_file(tmp_path, "seal.p12")
    return tmp_path


async def test_the_seal_is_made_with_the_configured_pkcs12_key(data_dir: Path) -> None:
    settings = settings_for(
        data_dir, UNDERSIGN_SEAL_KEY=f"pkcs12:{data_dir / 'seal.p12'}", UNDERSIGN_SEAL_KEY_PASSWORD=PASSWORD
    )
    signer = InMemoryPdfSigner(build_container(settings).gateways.pdf_signer())

    sealed = await signer.seal(make_pdf(), SignatureLevel.PADES_B_LTA)

    [seal] = PdfFileReader(BytesIO(sealed)).embedded_regular_signatures
    assert seal.signer_cert.subject.native["common_name"] == "Acme Seal 2026"
    assert [(s.field_name, s.valid) for s in pdfsig_report(sealed, expected=1)] == [(seal.field_name, True)]
    [status] = pyhanko_statuses(sealed, settings.pki_dir / "root-ca.pem", revocation_mode="require")
    assert_trusted(status)


def test_a_wrong_password_stops_the_container_before_anything_is_signed(data_dir: Path) -> None:
    settings = settings_for(data_dir, UNDERSIGN_SEAL_KEY=f"pkcs12:{data_dir / 'seal.p12'}", UNDERSIGN_SEAL_KEY_PASSWORD="wrong")

    with pytest.raises(SettingsError, match="UNDERSIGN_SEAL_KEY"):
        build_container(settings).gateways.pdf_signer()


def test_a_seal_certificate_ending_within_90_days_is_warned_of_at_start(data_dir: Path) -> None:
    settings = settings_for(data_dir, UNDERSIGN_SEAL_KEY=f"pkcs12:{data_dir / 'seal.p12'}", UNDERSIGN_SEAL_KEY_PASSWORD=PASSWORD)

    container = build_container(settings)
    with capture_logs() as logs:
        ready_to_sign(container)
        ready_to_sign(container)  # `serve` checks before the app starts, and the app checks again: one warning

    [warning] = [entry for entry in logs if entry.get("role") == "the platform seal"]
    assert warning["log_level"] == "warning" and warning["days_left"] in (29, 30)
    assert "Acme Seal 2026" in warning["subject"]
    assert not [entry for entry in logs if entry.get("role") == "the signers' issuing CA"]


def test_an_expired_seal_certificate_stops_a_signing_process_at_start_naming_it(tmp_path: Path) -> None:
    expired = seal_key_file(tmp_path, "expired.p12", issued_days_ago=60, valid_days=30)
    settings = settings_for(tmp_path, UNDERSIGN_SEAL_KEY=f"pkcs12:{expired}", UNDERSIGN_SEAL_KEY_PASSWORD=PASSWORD)

    with pytest.raises(SettingsError, match=r"the platform seal certificate \(.*Acme Seal 2026.*\) expired on"):
        ready_to_sign(build_container(settings))
