"""Independent checks of signed PDFs: poppler's pdfsig, openssl cms, and pyHanko's validator.

pdfsig and openssl share no code with pyHanko, so a signature all three accept is not an
artefact of the library that made it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

_TOOL_TIMEOUT = 60


def require_tool(name: str) -> str:
    """The tool's path; a missing tool fails the test in CI (it must never pass unchecked), skips elsewhere."""
    path = shutil.which(name)
    if path is None:
        message = f"`{name}` is not installed (Debian: apt-get install -y poppler-utils openssl)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


# -- poppler pdfsig ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PdfsigSignature:
    field_name: str
    validation: str
    total_document_signed: bool

    @property
    def valid(self) -> bool:
        return self.validation.startswith("Signature is Valid")


def pdfsig_report(pdf: bytes) -> list[PdfsigSignature]:
    """pdfsig's verdict per signature, in document order.

    Only the "Signature Validation" line (the CMS and digest check) is used: poppler 22's
    certificate line is unreliable, so `-nocert` skips that check altogether.
    """
    pdfsig = require_tool("pdfsig")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "document.pdf"
        path.write_bytes(pdf)
        result = subprocess.run(
            [pdfsig, "-nocert", str(path)], capture_output=True, text=True, timeout=_TOOL_TIMEOUT, check=False
        )
    if "does not contain any signatures" in result.stdout:
        return []
    blocks = re.split(r"^Signature #\d+:$", result.stdout, flags=re.MULTILINE)[1:]
    if not blocks:
        raise AssertionError(f"pdfsig printed no signatures (exit {result.returncode}): {result.stdout}{result.stderr}")
    return [_pdfsig_signature(block) for block in blocks]


def _pdfsig_signature(block: str) -> PdfsigSignature:
    lines = [line.strip().removeprefix("- ") for line in block.strip().splitlines()]
    entries = dict(line.split(": ", 1) for line in lines if ": " in line)
    return PdfsigSignature(
        field_name=entries.get("Signature Field Name", ""),
        validation=entries.get("Signature Validation", ""),
        total_document_signed="Total document signed" in lines,
    )


# -- openssl cms ------------------------------------------------------------------------


def openssl_verify_all(pdf: bytes, trust_root_pem: Path) -> list[bool]:
    """For each signature, does `openssl cms -verify` accept its CMS over its ByteRange, chained to the root?

    openssl's default purpose (S/MIME signing) accepts our ECDSA certificates (digitalSignature
    + nonRepudiation, no extended key usage), so no `-purpose any` is needed and the key
    usage is checked too. The CMS carries the issuing CA; `-CAfile` holds only the root.
    """
    openssl = require_tool("openssl")
    verdicts = []
    with tempfile.TemporaryDirectory() as directory:
        signature_path, content_path = Path(directory) / "signature.der", Path(directory) / "signed.bin"
        for signature in PdfFileReader(BytesIO(pdf)).embedded_signatures:
            start1, length1, start2, length2 = (int(n) for n in signature.sig_object["/ByteRange"])
            content_path.write_bytes(pdf[start1 : start1 + length1] + pdf[start2 : start2 + length2])
            signature_path.write_bytes(_strip_padding(bytes(signature.pkcs7_content)))
            result = subprocess.run(
                [
                    openssl, "cms", "-verify", "-binary", "-inform", "DER",
                    "-in", str(signature_path), "-content", str(content_path),
                    "-CAfile", str(trust_root_pem), "-out", os.devnull,
                ],
                capture_output=True, timeout=_TOOL_TIMEOUT, check=False,
            )  # fmt: skip
            verdicts.append(result.returncode == 0)
    return verdicts


def _strip_padding(contents: bytes) -> bytes:
    """The DER object alone, without the zero bytes that pad /Contents to its reserved size."""
    if contents[0] != 0x30:
        raise AssertionError("/Contents does not start with a DER SEQUENCE")
    first = contents[1]
    if first < 0x80:
        return contents[: 2 + first]
    count = first & 0x7F
    length = int.from_bytes(contents[2 : 2 + count], "big")
    return contents[: 2 + count + length]


# -- pyHanko ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PyHankoStatus:
    field_name: str
    intact: bool
    valid: bool
    trusted: bool
    modification_level: ModificationLevel | None
    docmdp_ok: bool | None
    coverage: SignatureCoverageLevel | None
    summary: str


def pyhanko_statuses(pdf: bytes, trust_root_pem: Path) -> list[PyHankoStatus]:
    """pyHanko's verdict per signature with the given root as the only trust anchor.

    Callable from sync and async tests alike: pyHanko's sync validator calls asyncio.run,
    which refuses to run inside an event loop, so it runs on a thread of its own.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_pyhanko_statuses, pdf, trust_root_pem).result()


def _pyhanko_statuses(pdf: bytes, trust_root_pem: Path) -> list[PyHankoStatus]:
    root = load_cert_from_pemder(str(trust_root_pem))
    statuses = []
    for signature in PdfFileReader(BytesIO(pdf)).embedded_signatures:
        status = validate_pdf_signature(signature, signer_validation_context=ValidationContext(trust_roots=[root]))
        statuses.append(
            PyHankoStatus(
                field_name=signature.field_name,
                intact=status.intact,
                valid=status.valid,
                trusted=status.trusted,
                modification_level=status.modification_level,
                docmdp_ok=status.docmdp_ok,
                coverage=status.coverage,
                summary=status.summary(),
            )
        )
    return statuses


def form_field_values(pdf: bytes) -> dict[str, str | None]:
    """Each non-signature form field's /V (text as str, checkbox states as "/Yes" or "/Off"), read back with pyHanko."""
    reader = PdfFileReader(BytesIO(pdf))
    values: dict[str, str | None] = {}
    for field_ref in reader.root["/AcroForm"]["/Fields"]:
        field = field_ref.get_object()
        if field.get("/FT") != "/Sig":
            value = field.get("/V")
            values[str(field["/T"])] = None if value is None else str(value)
    return values
