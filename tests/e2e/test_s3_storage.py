"""The platform with its documents in S3 (a moto server on loopback): an envelope made, signed,
sealed and downloaded; the store checked and moved to the file system with the CLI; a tampered
object refused."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.api import completed_envelope, problem
from tests.e2e.test_cli import run
from tests.servers import free_port
from tests.stack import serve, settings_for

PREFIX = "undersign/blobs"


def objects(s3_client: Any, bucket: str) -> dict[str, bytes]:
    listed = s3_client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: s3_client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


async def test_documents_live_in_s3_are_checked_there_and_move_to_the_file_system(
    tmp_path: Path, s3_endpoint: str, s3_client: Any, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"s3://{s3_bucket}/{PREFIX}?endpoint_url={s3_endpoint}&addressing_style=path"
    monkeypatch.setenv("UNDERSIGN_BLOB_URL", url)  # for the CLI's processes too
    settings = settings_for(tmp_path / "data", UNDERSIGN_BLOB_URL=url)
    async with serve(settings) as stack:
        envelope_id, document_id, sealed = await completed_envelope(stack)
        content = f"/v1/envelopes/{envelope_id}/documents/{document_id}/content"
        certificate = await stack.client.get(f"/v1/envelopes/{envelope_id}/certificate", headers=stack.headers)
        assert certificate.status_code == 200  # made now if its job has not run yet: every blob is stored

        stored = objects(s3_client, s3_bucket)
        sealed_key = next(key for key, data in stored.items() if data == sealed)
        assert all(key.startswith(f"{PREFIX}/") for key in stored) and len(stored) >= 4
        assert not (settings.data_dir / "blobs").exists()  # nothing kept on the local disk
        part = await stack.client.get(content, headers={**stack.headers, "Range": "bytes=0-7"})
        assert part.status_code == 206 and part.content == sealed[:8] == b"%PDF-1." + sealed[7:8]

        check = json.loads((await asyncio.to_thread(run, settings.data_dir, "storage", "check", "--json")).stdout)
        assert (check["sound"], check["checked"], check["stored"]) == (True, len(stored), len(stored))

        moved = tmp_path / "moved"
        migrated = await asyncio.to_thread(
            run, settings.data_dir, "storage", "migrate", "--to", moved.as_uri(), "--json"
        )
        assert json.loads(migrated.stdout) == {"copied": len(stored), "already_there": 0, "complete": True, "failed": []}
        on_disk = {p.relative_to(moved).as_posix(): p.read_bytes() for p in moved.rglob("*") if p.is_file()}
        assert on_disk == {key.removeprefix(f"{PREFIX}/"): data for key, data in stored.items()}
        again = await asyncio.to_thread(run, settings.data_dir, "storage", "migrate", "--to", moved.as_uri(), "--json")
        assert json.loads(again.stdout)["already_there"] == len(stored)

        s3_client.put_object(Bucket=s3_bucket, Key=sealed_key, Body=sealed.replace(b"/Type", b"/Tipe", 1))
        problem(await stack.client.get(content, headers=stack.headers), 500, "stored_document_corrupted")

    assert list(settings.scratch_dir.iterdir()) == []  # the server stopped: no local copy left behind
    monkeypatch.setenv("UNDERSIGN_BLOB_URL", moved.as_uri())  # the switch: the moved copy is intact
    switched = json.loads((await asyncio.to_thread(run, settings.data_dir, "storage", "check", "--json")).stdout)
    assert switched["sound"] is True and switched["checked"] == len(stored)
    assert hashlib.sha256(on_disk[sealed_key.removeprefix(f"{PREFIX}/")]).digest() == hashlib.sha256(sealed).digest()


async def test_ready_says_so_when_the_bucket_does_not_answer(
    tmp_path: Path, s3_endpoint: str, s3_bucket: str, aws_environment: None
) -> None:
    working = f"s3://{s3_bucket}/{PREFIX}?endpoint_url={s3_endpoint}&addressing_style=path"
    dead = f"s3://{s3_bucket}/{PREFIX}?endpoint_url=http://127.0.0.1:{free_port()}&addressing_style=path"
    missing = f"s3://undersign-no-such-bucket/{PREFIX}?endpoint_url={s3_endpoint}&addressing_style=path"
    for url, expected in ((working, 200), (dead, 503), (missing, 503)):
        async with serve(settings_for(tmp_path / f"data-{expected}-{len(url)}", UNDERSIGN_BLOB_URL=url)) as stack:
            ready = await stack.client.get("/ready")
            assert ready.status_code == expected, (url, ready.text)
            if expected == 503:
                assert problem(ready, 503, "not_ready")["detail"] == "the document store does not answer"
