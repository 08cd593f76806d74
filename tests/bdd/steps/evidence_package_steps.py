"""Steps for the evidence package (on fakes): download it, look inside, change it, check it as `undersign verify`."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_bdd import then, when

from tests.bdd.steps.background_steps import settle
from tests.bdd.steps.lifecycle_steps import World, attempt
from undersign.application.evidence.package_verification import VerifyEvidencePackage
from undersign.application.evidence.verification import (
    Coverage,
    Modifications,
    RevocationStatus,
    SignatureKind,
    SignatureReport,
    VerificationReport,
)

DOCUMENT = "documents/1-contract.pdf"
# The fake PDF signer makes no real signatures, so the fake verifier is told what the real one finds in
# a sealed document (tests/e2e/test_evidence_package_http.py checks that with pyHanko, pdfsig and sha256sum).
SEALED = VerificationReport(
    sha256="0" * 64, validation_time=datetime(2026, 1, 1, tzinfo=UTC),
    signatures=(SignatureReport(
        field_name="platform-seal", kind=SignatureKind.SIGNATURE, signer_name="Undersign", signer_email=None,
        certificate_serial="1", claimed_signing_time=None, timestamp=None, intact=True, trusted=True,
        revocation=RevocationStatus.NOT_CHECKED, pades_level="B-B", coverage=Coverage.ENTIRE_FILE,
        modifications_after=Modifications.NONE, modifications_permitted=True,
        ades_indication="PASSED", ades_subindication=None, valid=True,
    ),),
)  # fmt: skip


@dataclass
class Package:
    path: Path


@pytest.fixture
def package(tmp_path: Path) -> Package:
    return Package(path=tmp_path / "evidence.zip")


async def download(world: World, to: Path) -> None:
    async with world.platform.evidence_packages.export(world.caller, world.envelope_id) as made:
        to.write_bytes(Path(made.path).read_bytes())


@when("the sender downloads the envelope's evidence package")
def downloads_package(world: World, run, package: Package) -> None:
    settle(world, run)  # the seal and the certificate of completion follow the last signature
    world.platform.pdf_verifier.report = SEALED
    run(download(world, package.path))


@when("the sender asks for the envelope's evidence package")
def asks_for_package(world: World, run, package: Package) -> None:
    attempt(world, run, download(world, package.path))


@when("someone changes one byte of the document in the package")
def changes_a_byte(package: Package) -> None:
    with zipfile.ZipFile(package.path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    document = files[DOCUMENT]
    files[DOCUMENT] = document[:-1] + bytes([document[-1] ^ 1])
    with zipfile.ZipFile(package.path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def check(world: World, run, package: Package):
    return run(world.platform.verify_evidence_package(VerifyEvidencePackage(path=str(package.path))))


@then("it holds the sealed document, the certificate of completion, the audit trail and the verification of each")
def holds_everything(world: World, run, package: Package) -> None:
    _, (document,) = run(world.platform.envelope_queries.get(world.caller, world.envelope_id))
    with zipfile.ZipFile(package.path) as archive:
        names = set(archive.namelist())
        sealed = archive.read(DOCUMENT)
    assert names == {
        DOCUMENT, "certificate-of-completion.pdf", "audit-trail.json", "verification/1-contract.json",
        "verification/certificate-of-completion.json", "manifest.json", "SHA256SUMS",
    }
    assert document.status.value == "sealed" and hashlib.sha256(sealed).hexdigest() == document.current.sha256


@then("every file in it has the fingerprint its list of fingerprints gives")
def sums_hold(package: Package) -> None:
    with zipfile.ZipFile(package.path) as archive:
        lines = archive.read("SHA256SUMS").decode().splitlines()
        listed = {name: sha for sha, name in (line.split("  ", 1) for line in lines)}
        assert set(listed) == set(archive.namelist()) - {"SHA256SUMS"}
        assert all(hashlib.sha256(archive.read(name)).hexdigest() == sha for name, sha in listed.items())


@then("checking the package finds nothing wrong")
def checks_out(world: World, run, package: Package) -> None:
    verdict = check(world, run, package)
    assert verdict.valid and verdict.problems == [] and verdict.chain_valid, verdict.problems


@then("checking the package finds the document changed")
def finds_the_change(world: World, run, package: Package) -> None:
    verdict = check(world, run, package)
    assert not verdict.valid
    assert f"{DOCUMENT}: its SHA-256 is not the one SHA256SUMS gives: it was changed" in verdict.problems
    assert all(p.startswith(DOCUMENT) for p in verdict.problems), verdict.problems
