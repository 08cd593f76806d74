"""Verifying any PDF's signatures with pyHanko: ours, or anyone's.

Every signature goes through pyHanko's AdES engine (`ades_lta_validation`, ETSI EN 319
102-1), which also runs the classic checks (digest, CMS signature, certificate path,
difference analysis of the updates after it) and reports them in its `api_status`.

Nothing is ever fetched: only the trust anchors given and what the document embeds (its
certificates, its DSS, Adobe-style revocation archives, its timestamps) are used. That is
what verifying an archived document means, and it keeps a public verification endpoint
from being made to call URLs that whoever made an uploaded PDF chose.

Revocation is checked where a certificate names a revocation service (CRL or OCSP) and
only against embedded data. A revoked certificate fails; a missing answer does not make
the signature untrusted by itself (a B-B signature carries none) but is reported as
`unknown`, much as PDF readers show "revocation not checked" beside a valid signature.

A validation time other than now is honoured throughout: pyHanko's AdES engine runs in a
process (the sandbox's child) whose clock, as pyHanko reads it, starts at that time (see
validation_clock), so a verdict at a time T is the one pyHanko's standard validation gives
on a machine whose clock reads T. Each signature's report carries that AdES indication next
to our own verdict; where they differ by design, the report says why (see
entrypoints.verification_report.ades_difference).

Here: the verifier and what the sandbox runs. Each signature's report is made in
verification_reports, from what verification_findings reads in pyHanko's results; a
caller's own trust roots are read in verification_roots.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError

from undersign.adapters.signing import verification_findings as findings
from undersign.adapters.signing.certificates import asn1_certificate
from undersign.adapters.signing.pdf_errors import reason, refusal_for
from undersign.adapters.signing.pdf_inspector import open_bounded, read_document
from undersign.adapters.signing.sandbox import PdfLimits, PdfSandbox
from undersign.adapters.signing.trust import TrustAnchorError, load_trust_anchors
from undersign.adapters.signing.validation_clock import clock_at
from undersign.adapters.signing.verification_reports import Verification
from undersign.adapters.signing.verification_roots import read_trust_roots
from undersign.application.evidence.verification import VerificationReport
from undersign.application.shared.errors import InvalidDocument

_CHATTY_LOGGERS = ("pyhanko.sign.validation", "pyhanko_certvalidator")


def _quiet_pyhanko() -> None:
    # pyHanko logs every finding (an expired certificate, no document timestamp) as a
    # warning with a traceback; they are the report's content, not operational events.
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


class PyHankoPdfVerifier:
    """Verifies PDFs against the installation's trust anchors or against the caller's own.

    The trust anchor files are read at each verification until a read succeeds, and kept
    from then on: a development root created after start-up counts.
    """

    def __init__(self, trust_anchor_files: Iterable[Path], sandbox: PdfSandbox | None = None) -> None:
        self._trust_anchor_files = tuple(trust_anchor_files)
        self._sandbox = sandbox or PdfSandbox(PdfLimits())
        self._trust_anchors: list[asn1_x509.Certificate] | None = None
        _quiet_pyhanko()

    async def verify(
        self, pdf: bytes, *, trust_roots: list[bytes] | None, validation_time: datetime | None
    ) -> VerificationReport:
        # The caller's roots are anyone's bytes too: they are read in the sandbox with the PDF.
        roots = trust_roots if trust_roots is not None else [root.dump() for root in self._installation_roots()]
        at = validation_time or datetime.now(UTC)
        # Anyone's PDF, read by a CPU-bound parser: in the sandbox, with its time and memory limits.
        return await self._sandbox.run(verify_pdf, pdf, roots, at, self._sandbox.limits)

    def _installation_roots(self) -> list[asn1_x509.Certificate]:
        if self._trust_anchors is None:
            try:
                anchors = load_trust_anchors(self._trust_anchor_files)
            except TrustAnchorError as error:
                raise TrustAnchorError(
                    f"{error}; configure the installation's trust anchors, or give the verification roots of its own"
                ) from error
            self._trust_anchors = [asn1_certificate(anchor) for anchor in anchors]
        return self._trust_anchors


# -- the work, in the sandbox's child process -----------------------------------------------


def verify_pdf(pdf: bytes, trust_roots: list[bytes], at: datetime, limits: PdfLimits) -> VerificationReport:
    """The report on `pdf` against the roots (PEM or DER certificates) at `at`; what the sandbox runs."""
    _quiet_pyhanko()  # in the sandbox's child too, which pyHanko's findings would otherwise reach stderr from
    with clock_at(at):  # pyHanko's AdES engine reads the clock where no parameter reaches: see validation_clock
        return asyncio.run(_verify(pdf, read_trust_roots(trust_roots), at, limits))


async def _verify(pdf: bytes, roots: list[asn1_x509.Certificate], at: datetime, limits: PdfLimits) -> VerificationReport:
    reader = _open(pdf, limits)
    try:
        signatures = reader.embedded_signatures
    except Exception as error:  # a broken form tree is a damaged file
        raise refusal_for(error) from error
    verification = Verification(roots=roots, at=at, dss=_dss(reader))
    reports = [await verification.report(signature) for signature in signatures]
    return VerificationReport(
        sha256=hashlib.sha256(pdf).hexdigest(), validation_time=at, signatures=tuple(reports),
        unsealed_platform_document=findings.unsealed_platform_document(signatures),
    )  # fmt: skip


def _open(pdf: bytes, limits: PdfLimits) -> PdfFileReader:
    """A reader over a document read through within `limits`, as an upload is (active content
    aside: it runs nothing here, and a verification reports, it does not refuse)."""
    reader = open_bounded(pdf, limits)
    if "/Encrypt" in reader.trailer and not _opens_without_password(reader):
        raise InvalidDocument("the PDF is encrypted with a password; its signatures cannot be read without it")
    read_document(reader, limits)
    return reader


def _opens_without_password(reader: PdfFileReader) -> bool:
    try:
        return reader.decrypt(b"").status is not AuthStatus.FAILED
    except Exception:  # noqa: BLE001 - public-key encryption, or a broken encryption dictionary
        return False


def _dss(reader: PdfFileReader) -> DocumentSecurityStore | None:
    try:
        return DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return None
    except Exception as error:  # a DSS that cannot be read is a damaged file
        raise InvalidDocument(f"the PDF's validation data (DSS) cannot be read: {reason(error)}") from error

