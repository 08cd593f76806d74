"""Independent checks of signed PDFs: poppler's pdfsig, openssl cms and ts, and pyHanko's validator.

pdfsig and openssl share no code with pyHanko, so a signature all three accept is not an
artefact of the library that made it. "Signatures" here are the approval signatures (the
signers' and the seal); document time stamps (B-LTA) are checked on their own, with
`openssl ts` (pdfsig 22 cannot check them).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import TypeVar

from asn1crypto import cms
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (
    DocumentTimestampStatus,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager

from tests.prerequisites import require_program

_TOOL_TIMEOUT = 60
T = TypeVar("T")


def require_tool(name: str) -> str:
    """pdfsig, pdftotext or openssl (poppler-utils, openssl); a missing one fails the test."""
    return require_program(name, "poppler-utils openssl")


# -- poppler pdfsig ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PdfsigSignature:
    field_name: str
    validation: str
    total_document_signed: bool

    @property
    def valid(self) -> bool:
        return self.validation.startswith("Signature is Valid")


def pdfsig_report(pdf: bytes, *, expected: int) -> list[PdfsigSignature]:
    """pdfsig's verdict per signature (document time stamps left out), in document order.

    There must be exactly `expected` of them, or the check fails here: "every signature is
    valid" is true of a PDF in which pdfsig finds none, so a caller says how many it counts on.
    Only the "Signature Validation" line (the CMS and digest check) is used: poppler 22's
    certificate line is unreliable, so `-nocert` skips that check altogether.
    """
    timestamps = {signature.field_name for signature in _reader(pdf).embedded_timestamp_signatures}
    report = [signature for signature in _pdfsig_fields(pdf) if signature.field_name not in timestamps]
    return _exactly(expected, report, "signatures (document time stamps left out)")


def pdfsig_report_all(pdf: bytes, *, expected: int) -> list[PdfsigSignature]:
    """pdfsig's verdict on every signature field, document time stamps included: exactly `expected` of them."""
    return _exactly(expected, _pdfsig_fields(pdf), "signature fields (document time stamps included)")


def _exactly(expected: int, report: list[PdfsigSignature], what: str) -> list[PdfsigSignature]:
    if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
        raise TypeError(f"expected is a count of signatures, not {expected!r}")
    assert len(report) == expected, f"pdfsig found {len(report)} {what}, not {expected}: {report}"
    return report


def _pdfsig_fields(pdf: bytes) -> list[PdfsigSignature]:
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
        for signature in _reader(pdf).embedded_regular_signatures:
            content_path.write_bytes(_signed_bytes(pdf, signature))
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


@dataclass(frozen=True, slots=True)
class TimestampCheck:
    field_name: str  # the signature it stamps, or the document time stamp's own field
    kind: str  # "signature" (a signature's time stamp) or "document" (a document time stamp)
    ok: bool
    output: str


def openssl_verify_timestamps(pdf: bytes, trust_root_pem: Path) -> list[TimestampCheck]:
    """`openssl ts -verify` on every time stamp token: each signature's, over its signature
    value, and each document time stamp, over its byte range, chained to the root."""
    openssl = require_tool("openssl")
    checks = []
    with tempfile.TemporaryDirectory() as directory:
        token_path, data_path = Path(directory) / "token.der", Path(directory) / "data.bin"
        for signature in _reader(pdf).embedded_signatures:
            if signature.sig_object.get("/Type") == "/DocTimeStamp":
                kind, token, data = "document", _strip_padding(bytes(signature.pkcs7_content)), _signed_bytes(pdf, signature)
            else:
                tokens = signature_timestamp_tokens(signature)
                if not tokens:
                    continue
                kind, token, data = "signature", tokens[0].dump(), signature.signer_info["signature"].native
            token_path.write_bytes(token)
            data_path.write_bytes(data)
            result = subprocess.run(
                [openssl, "ts", "-verify", "-in", str(token_path), "-token_in", "-data", str(data_path),
                 "-CAfile", str(trust_root_pem)],
                capture_output=True, text=True, timeout=_TOOL_TIMEOUT, check=False,
            )  # fmt: skip
            output = (result.stdout + result.stderr).strip()
            checks.append(TimestampCheck(signature.field_name, kind, result.returncode == 0, output))
    return checks


def signature_timestamp_tokens(signature: EmbeddedPdfSignature) -> list[cms.ContentInfo]:
    """The time stamp tokens in the signature's unsigned attributes (B-T and up: one), in order."""
    return [
        attribute["values"][0]
        for attribute in signature.signer_info["unsigned_attrs"]
        if attribute["type"].native == "signature_time_stamp_token"
    ]


def _signed_bytes(pdf: bytes, signature: EmbeddedPdfSignature) -> bytes:
    start1, length1, start2, length2 = (int(n) for n in signature.sig_object["/ByteRange"])
    return pdf[start1 : start1 + length1] + pdf[start2 : start2 + length2]


def _reader(pdf: bytes) -> PdfFileReader:
    return PdfFileReader(BytesIO(pdf))


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
    timestamp_valid: bool | None = None  # the signature's own time stamp, if it has one


def assert_trusted(status: PyHankoStatus) -> None:
    """Intact, valid and trusted, or an assertion error with pyHanko's summary."""
    assert (status.intact, status.valid, status.trusted) == (True, True, True), status.summary


def pyhanko_statuses(
    pdf: bytes, trust_root_pem: Path, *, revocation_mode: str = "soft-fail", at: datetime | None = None
) -> list[PyHankoStatus]:
    """pyHanko's verdict per signature with the given root as the only trust anchor.

    Offline: the only revocation data is what the document carries (its DSS); nothing is
    fetched. "soft-fail" takes a certificate without revocation data (B-B, B-T) as good;
    "require" insists on it for every certificate (B-LT and up). `at` validates at
    another time than now.
    """
    return _on_a_thread(_pyhanko_statuses, pdf, trust_root_pem, revocation_mode, at)


def _on_a_thread(fn: Callable[..., T], *args: object) -> T:
    """`fn(*args)` on a thread of its own, so that sync and async tests alike can call it:
    pyHanko's sync validator calls asyncio.run, which refuses to run inside an event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def _offline_contexts(
    reader: PdfFileReader, trust_root_pem: Path, revocation_mode: str, at: datetime | None
) -> Callable[[], ValidationContext]:
    """A maker of validation contexts on the root and the document's DSS, both read once. Each
    signature gets a context of its own: nothing one validation leaves in it carries over."""
    settings = {
        "trust_roots": [load_cert_from_pemder(str(trust_root_pem))],
        "allow_fetching": False,
        "revocation_mode": revocation_mode,
        "moment": at,
    }
    dss = DocumentSecurityStore.read_dss(reader) if "/DSS" in reader.root else None

    def fresh() -> ValidationContext:
        return dss.as_validation_context(settings) if dss else ValidationContext(**settings)

    return fresh


def _status(
    field_name: str, status: PdfSignatureStatus | DocumentTimestampStatus, timestamp_valid: bool | None = None
) -> PyHankoStatus:
    return PyHankoStatus(
        field_name=field_name,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        modification_level=status.modification_level,
        docmdp_ok=getattr(status, "docmdp_ok", None),  # a document time stamp's status has none
        coverage=status.coverage,
        summary=status.summary(),
        timestamp_valid=timestamp_valid,
    )


def _pyhanko_statuses(pdf: bytes, trust_root_pem: Path, revocation_mode: str, at: datetime | None) -> list[PyHankoStatus]:
    reader = _reader(pdf)
    context = _offline_contexts(reader, trust_root_pem, revocation_mode, at)
    statuses = []
    for signature in reader.embedded_regular_signatures:
        status = validate_pdf_signature(signature, signer_validation_context=context())
        timestamp = status.timestamp_validity
        valid = None if timestamp is None else timestamp.valid and timestamp.intact and timestamp.trusted
        statuses.append(_status(signature.field_name, status, timestamp_valid=valid))
    return statuses


def pyhanko_document_timestamps(pdf: bytes, trust_root_pem: Path) -> list[PyHankoStatus]:
    """pyHanko's verdict on each document time stamp (offline, revocation data from the DSS required)."""
    return _on_a_thread(_pyhanko_document_timestamps, pdf, trust_root_pem)


def _pyhanko_document_timestamps(pdf: bytes, trust_root_pem: Path) -> list[PyHankoStatus]:
    reader = _reader(pdf)
    context = _offline_contexts(reader, trust_root_pem, "require", None)
    return [
        _status(timestamp.field_name, validate_pdf_timestamp(timestamp, validation_context=context()))
        for timestamp in reader.embedded_timestamp_signatures
    ]


@dataclass(frozen=True, slots=True)
class AdesVerdict:
    field_name: str
    indication: str  # AdES: "PASSED", "INDETERMINATE" or "FAILED" (ETSI EN 319 102-1)
    subindication: str
    failure: str | None


def pyhanko_lta_verdicts(pdf: bytes, trust_root_pem: Path, *, at: datetime | None = None) -> list[AdesVerdict]:
    """pyHanko's AdES long-term (B-LTA) verdict per signature, now or at `at`, from the embedded data only.

    Revocation data is required for every certificate and taken from the document alone
    (nothing fetched), as an archive decades from now would have to.

    At another time, the check runs in a process whose clock reads `at` (faketime): handed a
    validation time, pyHanko's past validation still slides back from the real clock, so a
    certificate that has ended by then would pass.
    """
    if at is not None:
        return _lta_verdicts_with_the_clock_at(pdf, trust_root_pem, at)
    return _on_a_thread(asyncio.run, _pyhanko_lta_verdicts(pdf, trust_root_pem))


def _lta_verdicts_with_the_clock_at(pdf: bytes, trust_root_pem: Path, at: datetime) -> list[AdesVerdict]:
    faketime = require_program("faketime", "faketime")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "document.pdf"
        path.write_bytes(pdf)
        script = (
            "import dataclasses, json, sys; from pathlib import Path; from tests.pdf_checks import pyhanko_lta_verdicts; "
            "print(json.dumps([dataclasses.asdict(v) for v in pyhanko_lta_verdicts(Path(sys.argv[1]).read_bytes(), Path(sys.argv[2]))]))"
        )
        moment = at.astimezone(UTC)
        result = subprocess.run(
            [faketime, f"{moment:%Y-%m-%d %H:%M:%S}", sys.executable, "-c", script, str(path), str(trust_root_pem)],
            capture_output=True, text=True, timeout=120, check=False, cwd=Path(__file__).parent.parent,
            env={**os.environ, "TZ": "UTC"},
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return [AdesVerdict(**verdict) for verdict in json.loads(result.stdout.splitlines()[-1])]


async def _pyhanko_lta_verdicts(pdf: bytes, trust_root_pem: Path) -> list[AdesVerdict]:
    root = load_cert_from_pemder(str(trust_root_pem))
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=[root]),
                revinfo_policy=CertRevTrustPolicy(revocation_checking_policy=REQUIRE_REVINFO),
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
        )
    )
    verdicts = []
    for signature in _reader(pdf).embedded_regular_signatures:
        result = await ades_lta_validation(signature, spec)
        subindication = result.ades_subindic
        verdicts.append(
            AdesVerdict(
                field_name=signature.field_name,
                indication=subindication.status.name,
                subindication=subindication.name,
                failure=result.failure_msg,
            )
        )
    return verdicts


def form_field_values(pdf: bytes) -> dict[str, str | None]:
    """Each non-signature form field's /V (text as str, checkbox states as "/Yes" or "/Off"), read back with pyHanko."""
    reader = _reader(pdf)
    values: dict[str, str | None] = {}
    for field_ref in reader.root["/AcroForm"]["/Fields"]:
        field = field_ref.get_object()
        if field.get("/FT") != "/Sig":
            value = field.get("/V")
            values[str(field["/T"])] = None if value is None else str(value)
    return values
