"""One signer's signature on PDFs of 100 KB, 1 MB, 10 MB and 50 MB: Undersign next to raw pyHanko.

Per size, the median of several signatures (the three kinds taking turns), each on a fresh copy of the same document:

- `pyhanko B-B`: pyHanko alone, as its documentation shows it (`PdfSigner.async_sign_pdf`,
  what `sign_pdf` runs, on an `IncrementalPdfFileWriter`), with the same key and
  certificate, writing to a file opened `w+b` (so pyHanko streams rather than buffers), on
  asn1crypto's encoding as shipped: without adapters/signing/asn1_contents_once.py, which
  importing Undersign's signing adapters applies to the whole process (its length
  correction, asn1_lengths.py, stays: without it a signature may take minutes);
- `+ encoding fix`: the same, with asn1_contents_once.py applied, as Undersign runs: what
  Undersign adds to pyHanko besides that fix;
- `undersign B-B` and `undersign B-LTA`: `PyHankoPdfSigner.sign` as a signer's request
  runs it, from a file to a file: the form filled, the visible signature drawn, the
  certificate path validated against the trust roots; at B-LTA also the time stamp, the
  revocation data (DSS) and the document time stamp (the development TSA and CRLs, in
  process: no network).

The key is the same in all three (one ECDSA P-256 signer certificate, issued once), so
the difference is the work around the signature. Peak memory is tracemalloc's peak of
Python allocations during one signature: raw pyHanko's input is already in memory, and
Undersign's stays in its file, as in production, where it comes from the blob store. "Over
raw" is the median, over the turns, of each turn's Undersign time over its raw pyHanko time
(asn1crypto as shipped): the targets are B-B at most 1.1 and B-LTA at most 2.5. Every
run shares one event loop: on Python 3.11 each `asyncio.run()` builds the repr of its
result, which for a 50 MB signed PDF costs seconds. The load average (1, 5, 15 min) is printed with each row.

    python bench/signatures.py [--runs 5] [--sizes 100K,1M,10M,50M] [--levels B-B,B-LTA] [--pages 1]
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from _stack import load_average  # and the repository root on sys.path, for tests.pdf_samples
from asn1crypto import core, keys
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PageObject
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tests.pdf_samples import make_pdf_of_size
from undersign.adapters.signing.certificates import asn1_certificate
from undersign.adapters.signing.dev_pki import issue_signer_certificate, load_or_create_dev_pki
from undersign.adapters.signing.keys.local import InMemorySigner
from undersign.adapters.signing.pdf_signer import PyHankoPdfSigner
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.field import Field, FieldKind, Placement
from undersign.domain.policy import SignatureLevel

SIZES = {"100K": 100_000, "1M": 1_000_000, "10M": 10_000_000, "50M": 50_000_000}
LEVELS = {"B-B": SignatureLevel.PADES_B_B, "B-LTA": SignatureLevel.PADES_B_LTA}
NOW = datetime.now(UTC)


class OneSigner:
    """Signer certificates that always hand out the same signer: the same key for every run."""

    def __init__(self, signer: Signer, serial: int) -> None:
        self._signer, self._serial = signer, serial

    def issue(self, *, name: str, email: str, now: datetime) -> tuple[Signer, int]:
        return self._signer, self._serial


@contextmanager
def encoding_as_shipped() -> Iterator[None]:
    """asn1crypto's own `contents` and `dump` of its constructed types, for the block: asn1_contents_once undone."""
    patched = {cls: (cls.__dict__["contents"], cls.__dict__["dump"]) for cls in (core.Sequence, core.SequenceOf)}
    try:
        for cls, (contents, dump) in patched.items():
            cls.contents = property(inspect.unwrap(contents.fget), contents.fset)
            cls.dump = dump.__wrapped__  # asn1_contents_once's wrapper off, asn1_lengths' kept
        yield
    finally:
        for cls, (contents, dump) in patched.items():
            cls.contents, cls.dump = contents, dump


async def measure(signs: list[Callable[[], Awaitable[object]]], runs: int) -> list[tuple[float, float, list[float]]]:
    """Per signing function: the median seconds over `runs`, the peak MiB of one more run under
    tracemalloc, and each run's time over the first function's in the same turn.

    The functions take turns within each run, so a machine whose speed changes (another CI
    run, a busy neighbour) slows the functions of one turn alike: the median of those
    per-turn ratios holds where the ratio of two medians, taken at other moments, moves.
    """
    times: list[list[float]] = [[] for _ in signs]
    for _ in range(runs):
        for sign, taken in zip(signs, times, strict=True):
            started = time.perf_counter()
            await sign()
            taken.append(time.perf_counter() - started)
    return [
        (statistics.median(taken), await peak_mib(sign), [t / first for t, first in zip(taken, times[0], strict=True)])
        for sign, taken in zip(signs, times, strict=True)
    ]


async def peak_mib(sign: Callable[[], Awaitable[object]]) -> float:
    tracemalloc.start()
    await sign()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def with_pages(pdf: bytes, pages: int) -> bytes:
    """`pdf` with blank pages added after its first, up to `pages`: the work that grows with the page count shows."""
    if pages <= 1:
        return pdf
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    for _ in range(pages - 1):
        blank = writer.add_object(generic.StreamObject(stream_data=b""))
        writer.insert_page(PageObject(contents=blank, media_box=(0, 0, 595, 842)))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default=",".join(SIZES))
    parser.add_argument("--pages", type=int, default=1, help="pages per document (blank ones after the first)")
    parser.add_argument("--levels", default="B-B,B-LTA", help="Undersign's columns: B-B, B-LTA or both")
    options = parser.parse_args()
    # One event loop for every run (see the module's docstring).
    asyncio.run(benchmark(options))


async def benchmark(options: argparse.Namespace) -> None:
    levels = set(options.levels.split(","))

    with tempfile.TemporaryDirectory() as directory:
        pki = load_or_create_dev_pki(Path(directory) / "pki", NOW)[0]
        key, certificate = issue_signer_certificate(
            pki, name="Bench Signer", email="bench@example.com", now=NOW, validity=timedelta(days=1)
        )
        chain = (pki.issuing_cert, pki.root_cert)
        # The same key and certificate twice: pyHanko's documented signer for the raw runs,
        # Undersign's (the key parsed once) for its own.
        raw_signer = SimpleSigner(
            signing_cert=asn1_certificate(certificate),
            signing_key=keys.PrivateKeyInfo.load(
                key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            ),
            cert_registry=SimpleCertificateStore.from_certs([asn1_certificate(c) for c in chain]),
        )
        signer, serial = InMemorySigner(key, certificate, chain), certificate.serial_number
        ours = PyHankoPdfSigner.development(pki, signer_certificates=OneSigner(signer, serial))
        field = Field(id="sig", document_id="doc", signer_id="s", kind=FieldKind.SIGNATURE,
                      placement=Placement(page=1, x=60, y=80, width=160, height=40), value="Bench Signer")  # fmt: skip
        request = SignatureRequest(signer_id="s", name="Bench Signer", email="bench@example.com",
                                   signature_text="Bench Signer", fields=[field], at=NOW,
                                   level=SignatureLevel.PADES_B_B)  # fmt: skip

        source_path, prepared_path = Path(directory) / "source.pdf", Path(directory) / "prepared.pdf"
        output_path = Path(directory) / "signed.pdf"

        async def raw_pyhanko(pdf: bytes) -> None:
            metadata = PdfSignatureMetadata(
                field_name="Signature1", md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES
            )
            with output_path.open("w+b") as output:
                writer = IncrementalPdfFileWriter(BytesIO(pdf))
                await PdfSigner(metadata, signer=raw_signer).async_sign_pdf(writer, output=output)

        async def raw_as_shipped(pdf: bytes) -> None:
            with encoding_as_shipped():
                await raw_pyhanko(pdf)

        async def undersign(level: SignatureLevel) -> None:
            await ours.sign(str(prepared_path), str(output_path), replace(request, level=level))

        print(
            f"{'size':>6} {'pdf MB':>7} | {'pyhanko B-B':>12} {'+ encoding fix':>15} {'undersign B-B':>14}"
            f" {'undersign B-LTA':>16} | over raw: {'B-B':>5} {'B-LTA':>6} | peak MiB: {'pyhanko':>8} {'B-B':>6}"
            f" {'B-LTA':>6} | load average"
        )
        for label in options.sizes.split(","):
            pdf = with_pages(make_pdf_of_size(SIZES[label]), options.pages)
            source_path.write_bytes(pdf)
            await ours.prepare(str(source_path), str(prepared_path), [field])  # file to file, as the send step does
            ours_at = [level for name, level in LEVELS.items() if name in levels]
            raw, fixed, *measured = await measure(
                [lambda pdf=pdf: raw_as_shipped(pdf), lambda pdf=pdf: raw_pyhanko(pdf),
                 *(lambda level=level: undersign(level) for level in ours_at)],
                options.runs,
            )  # fmt: skip
            runs = dict(zip(ours_at, measured, strict=True))
            skipped = (float("nan"), float("nan"), [float("nan")])
            bb, lta = runs.get(SignatureLevel.PADES_B_B, skipped), runs.get(SignatureLevel.PADES_B_LTA, skipped)
            print(
                f"{label:>6} {len(pdf) / 1e6:>7.1f} | {raw[0] * 1000:>9.0f} ms {fixed[0] * 1000:>12.0f} ms"
                f" {bb[0] * 1000:>11.0f} ms {lta[0] * 1000:>13.0f} ms |"
                f" {statistics.median(bb[2]):>15.2f} {statistics.median(lta[2]):>6.2f} |"
                f" {raw[1]:>18.1f} {bb[1]:>6.1f} {lta[1]:>6.1f} | {load_average()}",
                flush=True,
            )


if __name__ == "__main__":
    main()
