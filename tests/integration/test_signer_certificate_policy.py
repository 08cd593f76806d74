"""UNDERSIGN_SIGNER_CERTIFICATE_POLICY: the policy every signer's certificate names, through the container to the PDF."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.pdf_checks import assert_trusted, pyhanko_statuses
from tests.pdf_in_memory import InMemoryPdfSigner
from tests.pdf_samples import make_pdf
from tests.stack import settings_for
from undersign.adapters.signing.dev_pki import DEV_SIGNER_POLICY
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.policy import SignatureLevel
from undersign.entrypoints.container import build_container


async def signed_policies(data_dir: Path, **env: str) -> tuple[list[str], bytes]:
    signer = InMemoryPdfSigner(build_container(settings_for(data_dir, **env)).gateways.pdf_signer())
    request = SignatureRequest(signer_id="ada", name="Ada", email="ada@example.com", signature_text="Ada", fields=[],
                               at=datetime.now(UTC), level=SignatureLevel.PADES_B_B)  # fmt: skip
    pdf = (await signer.sign(make_pdf(), request)).pdf
    [signature] = PdfFileReader(BytesIO(pdf)).embedded_regular_signatures
    certificate = x509.load_der_x509_certificate(signature.signer_cert.dump())
    policies = certificate.extensions.get_extension_for_class(x509.CertificatePolicies).value
    return [policy.policy_identifier.dotted_string for policy in policies], pdf


async def test_signers_certificates_name_the_configured_policy(tmp_path: Path) -> None:
    policies, pdf = await signed_policies(tmp_path, UNDERSIGN_SIGNER_CERTIFICATE_POLICY="1.3.6.1.4.1.55555.1.1")

    assert policies == ["1.3.6.1.4.1.55555.1.1"]
    [status] = pyhanko_statuses(pdf, tmp_path / "pki" / "root-ca.pem")
    assert_trusted(status)


async def test_without_a_setting_they_name_the_development_policy(tmp_path: Path) -> None:
    policies, _ = await signed_policies(tmp_path)

    assert policies == [DEV_SIGNER_POLICY]
