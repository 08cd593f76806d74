"""One verdict: our verifier at a validation time T against pyHanko's standard AdES validation on a clock at T.

For a document at each PAdES level (and a B-LTA one renewed today, and one renewed five
years on), at now, 8 days, 6 years and 11 years on: our verifier is asked at T, with the
real clock (as `undersign verify --at` and `POST /v1/verify?at=` ask it); pyHanko's
`ades_lta_validation` runs in a process whose clock reads T (faketime), with the same trust
root, offline, on the embedded data only. The AdES indication our report carries must be
pyHanko's, signature for signature; where our own verdict (`valid`) is not exactly "PASSED",
the report must say why in words.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.pdf_checks import AdesVerdict, pyhanko_lta_verdicts
from tests.pdf_in_memory import InMemoryPdfSigner
from tests.pdf_samples import make_pdf
from tests.prerequisites import require_program
from undersign.adapters.signing.dev_pki import DevPki
from undersign.adapters.signing.verification import PyHankoPdfVerifier
from undersign.application.evidence.verification import SignatureKind, VerificationReport
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.field import Field, FieldKind, Placement
from undersign.domain.policy import SignatureLevel
from undersign.entrypoints.verification_report import verification_report_out

NOW = datetime.now(UTC)
YEAR = timedelta(days=365)
TIMES = {"now": timedelta(0), "+8 days": timedelta(days=8), "+6 years": 6 * YEAR, "+11 years": 11 * YEAR}
LEVELS = {"B-B": SignatureLevel.PADES_B_B, "B-T": SignatureLevel.PADES_B_T, "B-LT": SignatureLevel.PADES_B_LT,
          "B-LTA": SignatureLevel.PADES_B_LTA}  # fmt: skip
RENEWED_TODAY, RENEWED_LATER = "B-LTA renewed today", "B-LTA renewed 5 years on"
# A renewal five years on stamps the document then: before it, the document is a plain B-LTA.
DOCUMENT_TIMES = {**{name: list(TIMES) for name in [*LEVELS, RENEWED_TODAY]}, RENEWED_LATER: ["+6 years", "+11 years"]}

# Our verdict on the document (valid or not) at each time; the signer's certificate lives a
# day, the seal's and the time-stamping authority's ten years.
EXPECTED_VALID = {
    "B-B": ["now"],  # without a time stamp, nothing shows it was made while the signer's certificate was valid
    "B-T": ["now", "+8 days", "+6 years"],  # its time stamp does, until the TSA's certificate ends
    "B-LT": ["now", "+8 days", "+6 years"],
    "B-LTA": ["now", "+8 days", "+6 years"],  # its document time stamp ends with the TSA's certificate too
    RENEWED_TODAY: ["now", "+8 days", "+6 years"],  # today's time stamp comes from the same TSA certificate
    RENEWED_LATER: ["+6 years", "+11 years"],  # a newer TSA certificate: it outlives the first
}
# pyHanko's AdES indication for every signature at each time, where the level decides it.
EXPECTED_ADES = {
    "B-B": "INDETERMINATE/CERTIFICATE_CHAIN_GENERAL_FAILURE",  # no revocation data embedded
    "B-T": "INDETERMINATE/CERTIFICATE_CHAIN_GENERAL_FAILURE",
    "B-LT": "INDETERMINATE/NO_POE",  # no document time stamp proves when its validation data existed
}


@dataclass(frozen=True, slots=True)
class Comparison:
    ours: VerificationReport
    pyhanko: list[AdesVerdict]

    def rows(self) -> list[tuple[str, bool, str, str]]:
        """Per signature (document time stamps aside): field, our verdict, our AdES indication, pyHanko's."""
        signatures = [s for s in self.ours.signatures if s.kind is SignatureKind.SIGNATURE]
        theirs = {v.field_name: _indication(v.indication, None if v.subindication == "OK" else v.subindication) for v in self.pyhanko}
        return [(s.field_name, s.valid, _indication(s.ades_indication, s.ades_subindication), theirs.get(s.field_name, "-"))
                for s in signatures]  # fmt: skip


def _indication(indication: str, subindication: str | None) -> str:
    return f"{indication}/{subindication}" if subindication else indication


def _at(time: str) -> datetime:
    return NOW + TIMES[time]


# -- the documents ------------------------------------------------------------------------

SIGNATURE_FIELD = Field(id="ada-sig", document_id="doc-1", signer_id="ada", kind=FieldKind.SIGNATURE,
                        placement=Placement(page=1, x=60, y=100, width=160, height=40), value="Ada Lovelace")  # fmt: skip


async def _signed_and_sealed(signer: InMemoryPdfSigner, level: SignatureLevel) -> bytes:
    prepared = await signer.prepare(make_pdf(), [SIGNATURE_FIELD])
    request = SignatureRequest(signer_id="ada", name="Ada Lovelace", email="ada@example.com", signature_text="Ada Lovelace",
                               fields=[SIGNATURE_FIELD], at=NOW, level=level)  # fmt: skip
    signed = await signer.sign(prepared, request)
    return await signer.seal(signed.pdf, level)


_RENEW = (
    "import asyncio, sys; from datetime import UTC, datetime; from pathlib import Path; "
    "from undersign.adapters.signing.dev_pki import load_or_create_dev_pki; "
    "from undersign.adapters.signing.pdf_signer import PyHankoPdfSigner; "
    "from tests.pdf_in_memory import InMemoryPdfSigner; "
    "pki = load_or_create_dev_pki(Path(sys.argv[1]), datetime.now(UTC))[0]; path = Path(sys.argv[2]); "
    "signer = InMemoryPdfSigner(PyHankoPdfSigner.development(pki)); "
    "path.write_bytes(asyncio.run(signer.add_archive_timestamp(path.read_bytes())))"
)


def _renewed_at(moment: datetime, pdf: bytes, pki: DevPki, directory: Path) -> bytes:
    """The document with an archive time stamp added by a process whose clock reads `moment` (faketime)."""
    path = directory / "renewed.pdf"
    path.write_bytes(pdf)
    _with_the_clock_at(moment, ["-c", _RENEW, str(pki.directory), str(path)])
    return path.read_bytes()


@pytest.fixture(scope="module")
def documents(pki: DevPki, signer: InMemoryPdfSigner, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    async def make() -> dict[str, bytes]:
        made = {name: await _signed_and_sealed(signer, level) for name, level in LEVELS.items()}
        made[RENEWED_TODAY] = await signer.add_archive_timestamp(made["B-LTA"])
        return made

    made = asyncio.run(make())
    made[RENEWED_LATER] = _renewed_at(NOW + 5 * YEAR, made["B-LTA"], pki, tmp_path_factory.mktemp("renewal"))
    return made


# -- both verdicts --------------------------------------------------------------------------

_VERDICTS = (
    "import dataclasses, json, sys; from pathlib import Path; from tests.pdf_checks import pyhanko_lta_verdicts; "
    "print(json.dumps({p: [dataclasses.asdict(v) for v in pyhanko_lta_verdicts(Path(p).read_bytes(), Path(sys.argv[1]))]"
    " for p in sys.argv[2:]}))"
)


def _with_the_clock_at(moment: datetime, arguments: list[str]) -> str:
    """Python with `arguments`, in a process whose clock reads `moment` (and runs on from there)."""
    faketime = require_program("faketime", "faketime")
    result = subprocess.run(
        [faketime, f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}", sys.executable, *arguments],
        capture_output=True, text=True, timeout=120, check=False, cwd=Path(__file__).parents[2],
        env={**os.environ, "TZ": "UTC"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _pyhanko_at(time: str, pdfs: dict[str, bytes], root: Path, directory: Path) -> dict[str, list[AdesVerdict]]:
    """pyHanko's standard AdES verdicts on each document, in one process whose clock reads the time (now: this one)."""
    if time == "now":
        return {name: pyhanko_lta_verdicts(pdf, root) for name, pdf in pdfs.items()}
    paths = {}
    for name, pdf in pdfs.items():
        paths[name] = directory / f"{time}-{name}.pdf".replace(" ", "_")
        paths[name].write_bytes(pdf)
    found = json.loads(_with_the_clock_at(_at(time), ["-c", _VERDICTS, str(root), *map(str, paths.values())]).splitlines()[-1])
    return {name: [AdesVerdict(**v) for v in found[str(path)]] for name, path in paths.items()}


@pytest.fixture(scope="module")
def comparisons(
    documents: dict[str, bytes], pki: DevPki, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], Comparison]:
    directory = tmp_path_factory.mktemp("one-verdict")
    at_time = {time: {name: documents[name] for name, times in DOCUMENT_TIMES.items() if time in times} for time in TIMES}
    # pyHanko's processes run beside our verifications: each is a second or so of start-up.
    with ThreadPoolExecutor(max_workers=len(TIMES)) as pool:
        theirs = {time: pool.submit(_pyhanko_at, time, pdfs, pki.root_cert_path, directory) for time, pdfs in at_time.items()}
        verifier = PyHankoPdfVerifier([pki.root_cert_path])

        async def ours() -> dict[tuple[str, str], VerificationReport]:
            return {
                (name, time): await verifier.verify(pdf, trust_roots=None, validation_time=None if time == "now" else _at(time))
                for time, pdfs in at_time.items()
                for name, pdf in pdfs.items()
            }

        reports = asyncio.run(ours())
        return {(name, time): Comparison(report, theirs[time].result()[name]) for (name, time), report in reports.items()}


def table(comparisons: dict[tuple[str, str], Comparison]) -> str:
    """The comparison as text: per document and time, our verdict and each signature's AdES indications."""
    lines = []
    for (name, time), comparison in comparisons.items():
        signatures = "; ".join(
            f"{field}: {'valid' if valid else 'NOT valid'}, ours {ours}, pyHanko {theirs}"
            for field, valid, ours, theirs in comparison.rows()
        )
        lines.append(f"{name:<26} {time:<10} {'VALID' if comparison.ours.valid else 'NOT VALID':<10} {signatures}")
    return "\n".join(lines)


# -- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DOCUMENT_TIMES))
def test_our_ades_indication_is_pyhankos_with_the_clock_at_the_validation_time(
    comparisons: dict[tuple[str, str], Comparison], name: str
) -> None:
    for time in DOCUMENT_TIMES[name]:
        comparison = comparisons[name, time]
        rows = comparison.rows()

        assert [field for field, *_ in rows] == [v.field_name for v in comparison.pyhanko] == ["sig-ada-sig", "platform-seal"]
        assert all(ours == theirs for _, _, ours, theirs in rows), f"{name} at {time}:\n{table(comparisons)}"


def test_the_verdicts_over_the_years(comparisons: dict[tuple[str, str], Comparison]) -> None:
    valid = {name: [time for time in times if comparisons[name, time].ours.valid] for name, times in DOCUMENT_TIMES.items()}
    indications = {
        name: {ours for time in DOCUMENT_TIMES[name] for _, _, ours, _ in comparisons[name, time].rows()}
        for name in EXPECTED_ADES
    }

    assert valid == EXPECTED_VALID, table(comparisons)
    assert indications == {name: {indication} for name, indication in EXPECTED_ADES.items()}, table(comparisons)
    # An archive passes AdES long-term validation as long as its last document time stamp holds.
    for name, times in EXPECTED_VALID.items():
        if name.startswith("B-LTA"):
            assert {ours for time in times for _, _, ours, _ in comparisons[name, time].rows()} == {"PASSED"}, table(comparisons)


def test_where_our_verdict_is_not_exactly_ades_passed_the_report_says_why(
    comparisons: dict[tuple[str, str], Comparison],
) -> None:
    differences = set()
    for comparison in comparisons.values():
        wire = verification_report_out(comparison.ours)
        for report, out in zip(comparison.ours.signatures, wire.signatures, strict=True):
            agree = report.valid == (report.ades_indication == "PASSED")
            assert (out.ades.difference is None) == agree, (out.field_name, out.ades)
            if out.ades.difference is not None:
                differences.add(out.ades.difference)

    # B-B and B-T embed no revocation data; B-LT has no document time stamp proving when its data existed.
    assert any("revocation status as unknown" in difference for difference in differences), differences
    assert any("only a document time stamp after the signature gives" in difference for difference in differences)
    assert all(difference.startswith("valid for Undersign, INDETERMINATE/") for difference in differences), differences


def test_the_command_line_at_a_validation_time_gives_the_same_verdicts(
    documents: dict[str, bytes], comparisons: dict[tuple[str, str], Comparison], pki: DevPki,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:  # fmt: skip
    """`undersign verify --at`, as a process with the real clock: the JSON and the text carry the same verdicts."""
    directory = tmp_path_factory.mktemp("cli")
    renewed, b_lt = directory / "renewed.pdf", directory / "b-lt.pdf"
    renewed.write_bytes(documents[RENEWED_LATER])
    b_lt.write_bytes(documents["B-LT"])
    env = {**os.environ, "UNDERSIGN_DATA_DIR": str(directory / "data"), "UNDERSIGN_LOG_FORMAT": "json"}

    def verify(path: Path, time: str, *options: str) -> subprocess.CompletedProcess[str]:
        command = [str(Path(sys.executable).parent / "undersign"), "verify", str(path), "--trust", str(pki.root_cert_path),
                   "--at", _at(time).isoformat(), *options]  # fmt: skip
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)

    with ThreadPoolExecutor(max_workers=2) as pool:
        as_json = pool.submit(verify, renewed, "+11 years", "--json")
        as_text = pool.submit(verify, b_lt, "+6 years")
        as_json, as_text = as_json.result(), as_text.result()

    assert as_json.returncode == 0, as_json.stderr[-2000:]
    report = json.loads(as_json.stdout)
    signatures = [s for s in report["signatures"] if s["kind"] == "signature"]
    assert [(s["valid"], s["ades"]["indication"], s["ades"]["difference"]) for s in signatures] == [(True, "PASSED", None)] * 2
    assert [(field, ours) for field, _, ours, _ in comparisons[RENEWED_LATER, "+11 years"].rows()] == [
        (s["field_name"], s["ades"]["indication"]) for s in signatures
    ]
    assert as_text.returncode == 0, as_text.stdout + as_text.stderr[-2000:]
    lines = as_text.stdout.splitlines()
    assert lines.count("     pyHanko AdES: INDETERMINATE/NO_POE") == 2, as_text.stdout
    assert sum(line.startswith("     differs from AdES: valid for Undersign, INDETERMINATE/NO_POE") for line in lines) == 2
