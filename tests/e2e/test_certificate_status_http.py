"""The published status of signers' certificates, asked as a relying party would: `openssl ocsp` and the CRL.

A document is signed on the embedded default; then a real `undersign serve` answers
`openssl ocsp` about the signer's certificate (good), the operator revokes it with
`undersign ca revoke`, and both the responder and the revocation list say so, each signed
by the issuing CA and checked by openssl against the installation's root.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.e2e import api
from tests.e2e.test_cli import run
from tests.pdf_checks import require_tool
from tests.servers import free_port, serving_undersign
from tests.stack import serve, settings_for
from undersign.adapters.signing.dev_pki import load_or_create_dev_pki

DATA = "data"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, x509.Certificate]:
    """A data directory holding one completed envelope, and its first signer's certificate."""
    directory = tmp_path_factory.mktemp("published")
    async with serve(settings_for(directory / DATA)) as stack:
        _envelope, _document, pdf = await api.completed_envelope(stack)
    signature = PdfFileReader(BytesIO(pdf)).embedded_regular_signatures[0]
    return directory, x509.load_der_x509_certificate(signature.signer_cert.dump())


@pytest.fixture(scope="module")
def server(signed: tuple[Path, x509.Certificate]) -> Iterator[str]:
    directory, _certificate = signed
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"UNDERSIGN_DATA_DIR": str(directory / DATA), "UNDERSIGN_PUBLIC_URL": url, "UNDERSIGN_LOG_FORMAT": "json"}
    with serving_undersign(env, directory / "serve.log", port) as url:
        yield url


def pem_files(directory: Path, certificate: x509.Certificate) -> tuple[Path, Path, Path]:
    pki = directory / DATA / "pki"
    signer = directory / "signer.pem"
    signer.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return signer, pki / "issuing-ca.pem", pki / "root-ca.pem"


def openssl_ocsp(directory: Path, certificate: x509.Certificate, url: str) -> str:
    """What `openssl ocsp` says of the certificate, having checked the answer's signature against the root."""
    signer, issuer, root = pem_files(directory, certificate)
    result = subprocess.run(
        [require_tool("openssl"), "ocsp", "-issuer", str(issuer), "-cert", str(signer), "-url", f"{url}/pki/ocsp",
         "-CAfile", str(root), "-no_nonce", "-timeout", "20"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Response verify OK" in result.stderr, result.stderr
    return result.stdout


def revoke(directory: Path, certificate: x509.Certificate) -> None:
    serial = format(certificate.serial_number, "x")
    assert run(directory / DATA, "ca", "revoke", serial, "--reason", "key_compromise").stdout.startswith("revoked")


def test_openssl_sees_the_signer_good_then_revoked_once_the_operator_revokes(
    signed: tuple[Path, x509.Certificate], server: str
) -> None:
    directory, certificate = signed

    before = openssl_ocsp(directory, certificate, server)
    revoke(directory, certificate)
    after = openssl_ocsp(directory, certificate, server)

    assert f"{directory / 'signer.pem'}: good" in before
    assert f"{directory / 'signer.pem'}: revoked" in after and "Reason: keyCompromise" in after
    crl = x509.load_der_x509_crl(httpx.get(f"{server}/pki/issuing-ca.crl", timeout=10).content)
    issuing = x509.load_pem_x509_certificate((directory / DATA / "pki" / "issuing-ca.pem").read_bytes())
    assert crl.is_signature_valid(issuing.public_key())  # type: ignore[arg-type]
    entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise


def test_openssl_verifies_the_published_revocation_list_and_ca(signed: tuple[Path, x509.Certificate], server: str) -> None:
    directory, _certificate = signed
    crl_file, ca_file = directory / "issuing-ca.crl", directory / "issuing-ca.crt"
    crl_response = httpx.get(f"{server}/pki/issuing-ca.crl", timeout=10)
    crl_file.write_bytes(crl_response.content)
    ca_response = httpx.get(f"{server}/pki/issuing-ca.crt", timeout=10)
    # Served as DER; openssl reads trusted certificates as PEM.
    ca_file.write_bytes(x509.load_der_x509_certificate(ca_response.content).public_bytes(serialization.Encoding.PEM))
    root = directory / DATA / "pki" / "root-ca.pem"

    checked = subprocess.run(
        [require_tool("openssl"), "crl", "-inform", "DER", "-in", str(crl_file), "-CAfile", str(ca_file), "-noout"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    ca_checked = subprocess.run(
        [require_tool("openssl"), "verify", "-CAfile", str(root), str(ca_file)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert crl_response.headers["content-type"] == "application/pkix-crl"
    assert ca_response.headers["content-type"] == "application/pkix-cert"
    assert "verify OK" in checked.stderr + checked.stdout, checked.stderr
    assert ca_checked.returncode == 0, ca_checked.stdout + ca_checked.stderr


def ocsp_request(certificate: x509.Certificate, issuer: x509.Certificate) -> bytes:
    request = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA256()).build()
    return request.public_bytes(serialization.Encoding.DER)


def test_a_get_request_in_the_path_is_answered_too_and_may_be_cached(
    signed: tuple[Path, x509.Certificate], server: str
) -> None:
    directory, certificate = signed
    issuing = x509.load_pem_x509_certificate((directory / DATA / "pki" / "issuing-ca.pem").read_bytes())
    encoded = quote(base64.b64encode(ocsp_request(certificate, issuing)).decode(), safe="")

    response = httpx.get(f"{server}/pki/ocsp/{encoded}", timeout=10)

    answer = ocsp.load_der_ocsp_response(response.content)
    assert response.headers["content-type"] == "application/ocsp-response"
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert answer.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert (answer.serial_number, answer.hash_algorithm.name) == (certificate.serial_number, "sha256")


def test_requests_it_cannot_answer_get_an_ocsp_refusal_and_oversized_ones_a_413(
    signed: tuple[Path, x509.Certificate], server: str, tmp_path: Path
) -> None:
    directory, certificate = signed
    stranger, _ = load_or_create_dev_pki(tmp_path / "another-installation", certificate.not_valid_before_utc)
    headers = {"content-type": "application/ocsp-request"}

    garbage = httpx.post(f"{server}/pki/ocsp", content=b"not an OCSP request", headers=headers, timeout=10)
    foreign = httpx.post(
        f"{server}/pki/ocsp", content=ocsp_request(stranger.seal_cert, stranger.issuing_cert), headers=headers, timeout=10
    )
    oversized = httpx.post(f"{server}/pki/ocsp", content=b"0" * 5000, headers=headers, timeout=10)
    bad_base64 = httpx.get(f"{server}/pki/ocsp/not*base64", timeout=10)

    statuses = [ocsp.load_der_ocsp_response(r.content).response_status for r in (garbage, foreign, bad_base64)]
    assert [r.status_code for r in (garbage, foreign, bad_base64)] == [200, 200, 200]
    assert statuses == [
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST, ocsp.OCSPResponseStatus.UNAUTHORIZED,
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST,
    ]  # fmt: skip
    assert oversized.status_code == 413
