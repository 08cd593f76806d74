"""The evidence package on fakes: what it holds, who gets it, and how `undersign verify` checks one."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes.unit_of_work import FakeUnitOfWork
from tests.unit.flows import completed, envelope_with
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.evidence.package import EnvelopeNotSent
from undersign.application.evidence.package_files import MAX_ENTRIES, document_entry
from undersign.application.evidence.package_verification import VerifyEvidencePackage
from undersign.application.evidence.verification import (
    Coverage,
    Modifications,
    RevocationStatus,
    SignatureKind,
    SignatureReport,
    VerificationReport,
)
from undersign.application.shared.errors import BlobCorrupted, Forbidden, InvalidDocument
from undersign.domain.errors import NotFound
from undersign.domain.retention import ContentPurged
from undersign.domain.tenant import AccessRole
from undersign.entrypoints.evidence_formats import ApiEvidenceFormats

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SEAL = SignatureReport(
    field_name="seal", kind=SignatureKind.SIGNATURE, signer_name="Undersign", signer_email=None,
    certificate_serial="1f", claimed_signing_time=AT, timestamp=None, intact=True, trusted=True,
    revocation=RevocationStatus.NOT_CHECKED, pades_level="B-B", coverage=Coverage.ENTIRE_FILE,
    modifications_after=Modifications.NONE, modifications_permitted=True,
    ades_indication="PASSED", ades_subindication=None, valid=True,
)
VALID = VerificationReport(sha256="a" * 64, validation_time=AT, signatures=(SEAL,))
NAMES = {
    "documents/1-lease.pdf", "certificate-of-completion.pdf", "audit-trail.json",
    "verification/1-lease.json", "verification/certificate-of-completion.json", "manifest.json", "SHA256SUMS",
}


async def exported(platform, caller, envelope_id: str, to: Path) -> Path:
    """The package copied out of its scratch file, which is gone once the block ends."""
    async with platform.evidence_packages.export(caller, envelope_id) as package:
        assert package.size == Path(package.path).stat().st_size > 0
        to.write_bytes(Path(package.path).read_bytes())
    assert platform.blob_store.open_files == set()
    return to


async def caller_of(platform, role: AccessRole, tenant: str = "acme"):
    return await platform.tenants.authenticate((await platform.tenants.create_api_key(tenant, role)).key)


def rewritten(source: Path, target: Path, **changes: bytes | None) -> Path:
    """A copy of the ZIP with entries replaced (bytes), removed (None) or added."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            if name not in changes:
                new.writestr(name, old.read(name))
        for name, data in changes.items():
            if data is not None:
                new.writestr(name, data)
    return target


async def test_a_completed_envelopes_package_holds_its_evidence_with_every_sum(platform, caller, tmp_path):
    envelope_id, document_id = await completed(platform, caller)
    zip_path = await exported(platform, caller, envelope_id, tmp_path / "evidence.zip")

    with zipfile.ZipFile(zip_path) as archive:
        assert set(archive.namelist()) == NAMES
        files = {name: archive.read(name) for name in archive.namelist()}
    sums = dict(reversed(line.split("  ", 1)) for line in files["SHA256SUMS"].decode().splitlines())
    assert set(sums) == NAMES - {"SHA256SUMS"}
    assert all(hashlib.sha256(files[name]).hexdigest() == sha for name, sha in sums.items())
    document = platform.db.documents[document_id]
    certificate = platform.db.envelopes[envelope_id].completion_certificate
    assert files["documents/1-lease.pdf"] == platform.blob_store.blobs[document.current.blob_key]
    assert files["certificate-of-completion.pdf"] == platform.blob_store.blobs[certificate.blob_key]
    manifest = json.loads(files["manifest.json"])
    assert (manifest["envelope_id"], manifest["tenant_id"]) == (envelope_id, caller.tenant_id)
    assert manifest["status"] == "completed"
    assert manifest["made_at"] == platform.clock.now().isoformat()
    assert manifest["documents"][0]["recorded_sha256"] == document.current.sha256 == sums["documents/1-lease.pdf"]
    assert {f["name"]: (f["sha256"], f["size"]) for f in manifest["files"]} == {
        name: (sums[name], len(files[name])) for name in NAMES - {"SHA256SUMS", "manifest.json"}
    }
    # The audit trail as the API renders it, and a report per PDF, as the verification API does.
    trail = await platform.envelope_queries.audit_trail(caller, envelope_id)
    formats = ApiEvidenceFormats()
    assert files["audit-trail.json"] == formats.audit_trail(envelope_id, trail.entries, trail.chain_valid)
    assert json.loads(files["audit-trail.json"])["chain_valid"] is True
    verified = [pdf for pdf, _, _ in platform.pdf_verifier.calls]
    assert verified == [files["documents/1-lease.pdf"], files["certificate-of-completion.pdf"]]
    assert json.loads(files["verification/1-lease.json"])["valid"] is False  # the fake verifier finds no signature


async def test_a_sent_envelope_has_a_package_without_a_certificate_and_a_draft_has_none(platform, caller, tmp_path):
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
    with pytest.raises(EnvelopeNotSent) as refused:
        await exported(platform, caller, envelope_id, tmp_path / "draft.zip")
    assert refused.value.code == "envelope_not_sent" and "draft" in refused.value.detail
    assert platform.blob_store.open_files == set()

    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    with zipfile.ZipFile(await exported(platform, caller, envelope_id, tmp_path / "sent.zip")) as archive:
        names = set(archive.namelist())
        assert json.loads(archive.read("manifest.json"))["certificate_of_completion"] is None
    assert names == NAMES - {"certificate-of-completion.pdf", "verification/certificate-of-completion.json"}


async def test_readers_of_documents_and_evidence_get_it_others_do_not_and_other_tenants_find_nothing(
    platform, caller, tmp_path
):
    envelope_id, _ = await completed(platform, caller)
    viewer, auditor = await caller_of(platform, AccessRole.VIEWER), await caller_of(platform, AccessRole.AUDITOR)
    await platform.tenants.create("globex")
    stranger = await caller_of(platform, AccessRole.ADMIN, "globex")

    await exported(platform, viewer, envelope_id, tmp_path / "viewer.zip")
    with pytest.raises(Forbidden):  # evidence, but not the documents themselves
        await exported(platform, auditor, envelope_id, tmp_path / "auditor.zip")
    with pytest.raises(NotFound):
        await exported(platform, stranger, envelope_id, tmp_path / "stranger.zip")
    with pytest.raises(NotFound):
        async with platform.evidence_packages.export_for_operator("no-such-envelope"):
            pass
    async with platform.evidence_packages.export_for_operator(envelope_id) as package:
        assert package.tenant_id == caller.tenant_id


async def test_no_unit_of_work_is_open_while_the_pdfs_are_verified(platform, caller, tmp_path, monkeypatch):
    envelope_id, _ = await completed(platform, caller)
    open_now: list[FakeUnitOfWork] = []
    enter, leave = FakeUnitOfWork.__aenter__, FakeUnitOfWork.__aexit__

    async def counted_enter(self):
        open_now.append(self)
        return await enter(self)

    async def counted_exit(self, *exc):
        open_now.remove(self)
        return await leave(self, *exc)

    monkeypatch.setattr(FakeUnitOfWork, "__aenter__", counted_enter)
    monkeypatch.setattr(FakeUnitOfWork, "__aexit__", counted_exit)
    verify, seen = platform.pdf_verifier.verify, []

    async def watched(pdf, **options):
        seen.append(len(open_now))
        return await verify(pdf, **options)

    platform.pdf_verifier.verify = watched
    await exported(platform, caller, envelope_id, tmp_path / "evidence.zip")
    assert seen == [0, 0]


async def test_a_stored_document_that_no_longer_matches_its_hash_is_never_packaged(platform, caller, tmp_path):
    envelope_id, document_id = await completed(platform, caller)
    key = platform.db.documents[document_id].current.blob_key
    platform.blob_store.blobs[key] = platform.blob_store.blobs[key] + b"%tampered"

    with pytest.raises(BlobCorrupted):
        await exported(platform, caller, envelope_id, tmp_path / "evidence.zip")
    assert platform.blob_store.open_files == set()


def test_document_names_in_the_package_are_numbered_plain_ascii():
    assert document_entry(1, "lease.pdf") == "documents/1-lease.pdf"
    assert document_entry(2, "../../etc/Contrat été.PDF") == "documents/2-etc_Contrat_t.pdf"
    assert document_entry(3, "...") == "documents/3-document.pdf"


# -- verifying a package (`undersign verify package.zip`) ---------------------------------------


@pytest.fixture
async def package(platform, caller, tmp_path) -> Path:
    envelope_id, _ = await completed(platform, caller)
    platform.pdf_verifier.report = VALID
    return await exported(platform, caller, envelope_id, tmp_path / "evidence.zip")


async def verdict_on(platform, path: Path):
    return await platform.verify_evidence_package(VerifyEvidencePackage(path=str(path)))


async def test_an_untouched_package_verifies(platform, package):
    verdict = await verdict_on(platform, package)
    assert verdict.valid and verdict.problems == [] and verdict.chain_valid and verdict.files_checked == len(NAMES) - 1
    assert set(verdict.reports) == {"documents/1-lease.pdf", "certificate-of-completion.pdf"}


async def test_a_changed_byte_anywhere_is_found_and_named(platform, package, tmp_path):
    with zipfile.ZipFile(package) as archive:
        names = [n for n in archive.namelist() if n != "SHA256SUMS"]
        originals = {name: archive.read(name) for name in names}
    for name in names:
        data = originals[name]
        changed = data[:-2] + bytes([data[-2] ^ 1]) + data[-1:]
        verdict = await verdict_on(platform, rewritten(package, tmp_path / "changed.zip", **{name: changed}))
        assert not verdict.valid and any(p.startswith(f"{name}: ") for p in verdict.problems), (name, verdict.problems)


async def test_a_missing_or_added_file_is_found(platform, package, tmp_path):
    missing = await verdict_on(platform, rewritten(package, tmp_path / "m.zip", **{"audit-trail.json": None}))
    added = await verdict_on(platform, rewritten(package, tmp_path / "a.zip", **{"documents/9-extra.pdf": b"%PDF"}))
    assert "audit-trail.json: listed in SHA256SUMS but missing from the ZIP" in missing.problems
    assert "documents/9-extra.pdf: in the ZIP but not in SHA256SUMS" in added.problems


async def test_a_rewritten_audit_trail_breaks_its_chain_even_with_fresh_sums(platform, package, tmp_path):
    with zipfile.ZipFile(package) as archive:
        trail = json.loads(archive.read("audit-trail.json"))
        files = {name: archive.read(name) for name in archive.namelist()}
    trail["events"][0]["actor"] = "someone else"
    files["audit-trail.json"] = json.dumps(trail).encode()
    manifest = json.loads(files["manifest.json"])
    for f in manifest["files"]:
        f["sha256"] = hashlib.sha256(files[f["name"]]).hexdigest()
    files["manifest.json"] = json.dumps(manifest).encode()
    files["SHA256SUMS"] = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files.items() if name != "SHA256SUMS"
    ).encode()
    verdict = await verdict_on(platform, rewritten(package, tmp_path / "forged.zip", **files))
    assert verdict.problems == ["audit-trail.json: the hash chain is broken"] and not verdict.chain_valid


async def test_a_pdf_that_does_not_verify_fails_the_package(platform, package):
    platform.pdf_verifier.report = replace(VALID, signatures=(replace(SEAL, intact=False, valid=False),))
    verdict = await verdict_on(platform, package)
    assert not verdict.valid and [p.split(":")[0] for p in verdict.problems] == [
        "documents/1-lease.pdf", "certificate-of-completion.pdf"
    ]


@pytest.mark.parametrize("name", ["../evil.pdf", "/etc/evil.pdf", "documents/../../evil.pdf", "a\\b.pdf"])
async def test_a_zip_with_a_path_outside_its_folder_is_refused_unread(platform, package, tmp_path, name):
    verdict = await verdict_on(platform, rewritten(package, tmp_path / "hostile.zip", **{name: b"x"}))
    assert verdict.problems == [f"{name!r} is not a file name an evidence package holds"] and verdict.reports == {}


async def test_a_zip_with_too_many_entries_is_refused_unread(platform, package, tmp_path):
    extra = {f"documents/{n}-x.pdf": b"x" for n in range(MAX_ENTRIES)}
    verdict = await verdict_on(platform, rewritten(package, tmp_path / "many.zip", **extra))
    assert len(verdict.problems) == 1 and "at most" in verdict.problems[0]
    assert len(platform.pdf_verifier.calls) == 2  # the export's two, none for the hostile ZIP


async def test_a_file_that_only_starts_like_a_zip_is_refused_as_no_package(platform, tmp_path):
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK\x03\x04 and then nothing a ZIP holds")
    with pytest.raises(InvalidDocument, match="not an evidence package"):
        await verdict_on(platform, fake)


async def test_json_nested_beyond_reason_is_a_problem_not_a_crash(platform, package, tmp_path):
    deep = b"[" * 100_000 + b"]" * 100_000
    verdict = await verdict_on(platform, rewritten(package, tmp_path / "deep.zip", **{"manifest.json": deep}))
    assert "manifest.json is not JSON an evidence package holds" in verdict.problems and not verdict.valid


async def test_a_document_deleted_while_its_package_is_made_is_gone_not_a_crash(platform, caller, tmp_path):
    envelope_id, document_id = await completed(platform, caller)
    del platform.blob_store.blobs[platform.db.documents[document_id].current.blob_key]

    with pytest.raises(ContentPurged):
        await exported(platform, caller, envelope_id, tmp_path / "evidence.zip")
    assert platform.blob_store.open_files == set()


async def test_an_envelope_whose_documents_were_purged_has_no_package(platform, caller, tmp_path):
    envelope_id, _ = await completed(platform, caller)
    platform.db.envelopes[envelope_id].purge_started_at = platform.clock.now()

    with pytest.raises(ContentPurged) as gone:
        await exported(platform, caller, envelope_id, tmp_path / "evidence.zip")
    assert gone.value.code == "documents_purged" and platform.pdf_verifier.calls == []
