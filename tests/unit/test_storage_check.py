"""`undersign storage check` and `migrate` on fakes: every recorded blob re-hashed, the missing and
the orphaned found, one tenant or all; every recorded blob copied and checked (application/storage/)."""

from __future__ import annotations

from tests.fakes.storage import FakeRecordedBlobs
from tests.fakes.system import FakeBlobStore
from tests.unit.flows import completed
from undersign.adapters.storage.migration import MigrateStorage
from undersign.application.storage.check import PAGE, CheckStorage, Finding, Problem


def check(platform) -> CheckStorage:
    return CheckStorage(FakeRecordedBlobs(platform.db), platform.blob_store)


def recorded_keys(platform) -> list[str]:
    keys = [r.blob_key for d in platform.db.documents.values() for r in d.revisions]
    keys += [e.completion_certificate.blob_key for e in platform.db.envelopes.values() if e.completion_certificate]
    return sorted(keys)


async def test_a_sound_store_reads_every_recorded_blob_and_finds_nothing(platform, caller):
    await completed(platform, caller)
    seen: list[int] = []

    report = await check(platform)(progress=seen.append)

    keys = recorded_keys(platform)
    assert len(keys) >= 4  # original, prepared or signed, sealed, and the certificate
    assert report.sound and report.findings == []
    assert report.checked == len(keys) == sum(seen) == await check(platform).total()
    assert report.stored == len(platform.blob_store.blobs)


async def test_a_changed_blob_and_a_missing_one_are_findings_and_the_store_is_not_sound(platform, caller):
    await completed(platform, caller)
    first, second, *_ = recorded_keys(platform)
    platform.blob_store.blobs[first] += b"%tampered"
    del platform.blob_store.blobs[second]

    report = await check(platform)()

    assert not report.sound
    corrupted, missing = sorted(report.findings, key=lambda f: f.key)
    assert (corrupted.problem, corrupted.key) == (Problem.CORRUPTED, first)
    assert corrupted.actual_sha256 != corrupted.expected_sha256 and corrupted.actual_sha256 is not None
    assert (missing.problem, missing.key, missing.actual_sha256) == (Problem.MISSING, second, None)
    assert platform.blob_store.open_files == set()


async def test_a_blob_no_record_names_is_an_orphan_which_loses_nothing(platform, caller):
    await completed(platform, caller)
    orphan = f"{caller.tenant_id}/documents/lost/0001-x.pdf"
    await platform.blob_store.put(orphan, b"%PDF-1.7 written, never committed")

    report = await check(platform)()

    assert report.findings == [Finding(problem=Problem.ORPHAN, key=orphan)]
    assert report.sound  # an orphan wastes space; every recorded document is intact


async def test_one_tenant_is_checked_alone(platform, caller):
    await completed(platform, caller)
    await platform.blob_store.put("other-tenant/documents/d/0001-x.pdf", b"%PDF")  # not theirs: not an orphan of theirs

    mine = await check(platform)(caller.tenant_id)
    nobody = await check(platform)("no-such-tenant")

    assert mine.findings == [] and mine.checked == len(recorded_keys(platform))
    assert (nobody.checked, nobody.stored, nobody.findings) == (0, 0, [])


async def test_more_blobs_than_a_page_are_all_read_and_all_looked_up(platform, caller):
    await completed(platform, caller)
    for n in range(PAGE + 3):
        await platform.blob_store.put(f"{caller.tenant_id}/documents/stray/{n:04d}.pdf", b"%PDF")
    seen: list[int] = []

    report = await check(platform)(progress=seen.append)

    assert len([f for f in report.findings if f.problem is Problem.ORPHAN]) == PAGE + 3
    assert report.checked == len(recorded_keys(platform)) == sum(seen)


async def test_records_are_read_a_page_at_a_time_and_none_is_skipped(platform, caller, monkeypatch):
    import undersign.application.storage.check as module

    monkeypatch.setattr(module, "PAGE", 2)
    await completed(platform, caller)
    await completed(platform, caller)
    platform.blob_store.blobs[recorded_keys(platform)[-1]] += b"!"  # the last one read
    seen: list[int] = []

    report = await check(platform)(progress=seen.append)

    assert report.checked == len(recorded_keys(platform)) == sum(seen) and set(seen) == {2} | {sum(seen) % 2 or 2}
    assert [f.key for f in report.findings] == [recorded_keys(platform)[-1]]


# -- migrate ---------------------------------------------------------------------------------------


async def test_a_migration_copies_every_recorded_blob_checked_and_a_second_run_copies_nothing(platform, caller):
    await completed(platform, caller)
    target = FakeBlobStore()
    migrate = MigrateStorage(FakeRecordedBlobs(platform.db), platform.blob_store, target)

    first = await migrate()
    second = await migrate()

    keys = recorded_keys(platform)
    assert (first.copied, first.already_there, first.complete) == (len(keys), 0, True)
    assert (second.copied, second.already_there) == (0, len(keys))
    assert {k: target.blobs[k] for k in keys} == {k: platform.blob_store.blobs[k] for k in keys}
    assert platform.blob_store.open_files == set() and target.open_files == set()


async def test_a_damaged_or_missing_source_blob_is_not_copied_and_a_damaged_copy_is_replaced(platform, caller):
    await completed(platform, caller)
    target = FakeBlobStore()
    migrate = MigrateStorage(FakeRecordedBlobs(platform.db), platform.blob_store, target)
    await migrate()
    first, second, third, *_ = recorded_keys(platform)
    target.blobs[first] = b"damaged at the target"
    platform.blob_store.blobs[second] += b"!"
    del target.blobs[second]
    del platform.blob_store.blobs[third], target.blobs[third]

    report = await migrate()

    assert report.copied == 1 and target.blobs[first] == platform.blob_store.blobs[first]
    assert [(f.problem, f.key) for f in report.failed] == [(Problem.CORRUPTED, second), (Problem.MISSING, third)]
    assert not report.complete and second not in target.blobs
