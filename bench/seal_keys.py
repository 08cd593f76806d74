"""One platform seal with a PKCS#12 key: loaded for every signature, loaded once, or parsed once.

Three ways to sign with the key in a password-protected .p12 file, for RSA 2048, RSA 3072
and ECDSA P-256, on a one-page PDF:

- `load_pkcs12_per_call`: pyHanko's `SimpleSigner.load_pkcs12` for each signature (read the
  file, derive the key from the password, decrypt, parse), then sign with its dry run;
- `simple_signer_once`: that signer kept, which still parses the key in every `sign_raw`
  (twice per signature with the dry run);
- `parsed_once`: Undersign's PKCS#12 seal key (`load_pkcs12_seal_key`), the parsed key kept.

Prints the median milliseconds per signature, with pyHanko's dry run and with a fixed
`bytes_reserved` (as the platform signs); asserts nothing about speed.

    python bench/seal_keys.py [--signatures 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import _stack  # noqa: F401 - puts the repository root on sys.path, for tests.pdf_samples
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, Signer, SimpleSigner

from tests.pdf_samples import make_pdf
from undersign.adapters.signing.keys.pkcs12_file import load_pkcs12_seal_key

PASSWORD = b"bench password"
RESERVED = 16 * 1024
KEYS: dict[str, Callable[[], rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey]] = {
    "rsa2048": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "rsa3072": lambda: rsa.generate_private_key(public_exponent=65537, key_size=3072),
    "ecdsa-p256": lambda: ec.generate_private_key(ec.SECP256R1()),
}


def write_p12(directory: Path, name: str, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> Path:
    now = datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"bench seal {name}")])
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    path = directory / f"{name}.p12"
    encryption = serialization.BestAvailableEncryption(PASSWORD)
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"seal", key, certificate, None, encryption))
    return path


def seal(signer: Signer, pdf: bytes, reserved: int | None) -> bytes:
    metadata = PdfSignatureMetadata(field_name="Seal", md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES)
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    return PdfSigner(metadata, signer=signer).sign_pdf(writer, bytes_reserved=reserved, output=BytesIO()).getvalue()


def median_ms(sign_once: Callable[[], object], signatures: int) -> float:
    sign_once()  # warm up
    times = []
    for _ in range(signatures):
        start = time.perf_counter()
        sign_once()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signatures", type=int, default=30)
    args = parser.parse_args()
    pdf = make_pdf()
    with tempfile.TemporaryDirectory(prefix="undersign-bench-keys-") as directory:
        for name, make_key in KEYS.items():
            path = write_p12(Path(directory), name, make_key())
            simple = SimpleSigner.load_pkcs12(str(path), passphrase=PASSWORD)
            parsed = load_pkcs12_seal_key(path, PASSWORD.decode()).signer()
            figures: dict[str, object] = {"key": name}
            for label, reserved in (("dry_run", None), ("bytes_reserved", RESERVED)):
                ways = {
                    "load_pkcs12_per_call": lambda r=reserved: seal(
                        SimpleSigner.load_pkcs12(str(path), passphrase=PASSWORD), pdf, r
                    ),
                    "simple_signer_once": lambda r=reserved: seal(simple, pdf, r),
                    "parsed_once": lambda r=reserved: seal(parsed, pdf, r),
                }
                for way, sign_once in ways.items():
                    figures[f"{way}_{label}_ms"] = median_ms(sign_once, args.signatures)
            print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
