"""Stored documents that change behind the platform's back are never served: over HTTP, a 500
problem and an entry in the tenant's audit log; from the CLI, `undersign storage check` names
them. Downloads stream with one byte range."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

from tests.e2e.api import api_key, bearer, completed_envelope, problem
from tests.e2e.test_cli import run
from tests.stack import Stack, serve, settings_for
from undersign.domain.tenant import AccessRole


def content_path(envelope_id: str, document_id: str) -> str:
    return f"/v1/envelopes/{envelope_id}/documents/{document_id}/content"


async def test_a_download_streams_whole_or_one_range_and_answers_if_none_match(stack: Stack) -> None:
    envelope_id, document_id, sealed = await completed_envelope(stack)
    path, etag = content_path(envelope_id, document_id), f'"{hashlib.sha256(sealed).hexdigest()}"'

    whole = await stack.client.get(path, headers=stack.headers)
    part = await stack.client.get(path, headers={**stack.headers, "Range": "bytes=100-1099"})
    tail = await stack.client.get(path, headers={**stack.headers, "Range": "bytes=-10"})
    past = await stack.client.get(path, headers={**stack.headers, "Range": f"bytes={len(sealed)}-"})
    held = await stack.client.get(path, headers={**stack.headers, "If-None-Match": etag})
    stale = await stack.client.get(path, headers={**stack.headers, "Range": "bytes=0-9", "If-Range": '"old"'})

    assert whole.status_code == 200 and whole.content == sealed and whole.headers["etag"] == etag
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-length"] == str(len(sealed))
    assert part.status_code == 206 and part.content == sealed[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(sealed)}"
    assert tail.status_code == 206 and tail.content == sealed[-10:]
    problem(past, 416, "range_not_satisfiable")
    assert past.headers["content-range"] == f"bytes */{len(sealed)}"
    assert held.status_code == 304 and held.content == b""
    assert stale.status_code == 200 and stale.content == sealed


async def test_a_tampered_document_is_a_500_an_audit_entry_and_a_failed_storage_check(stack: Stack) -> None:
    envelope_id, document_id, sealed = await completed_envelope(stack)
    data_dir = stack.settings.data_dir
    sound = json.loads((await asyncio.to_thread(run, data_dir, "storage", "check", "--json")).stdout)
    assert sound["sound"] is True and sound["checked"] >= 4 and sound["findings"] == []

    [stored] = [p for p in stack.settings.blob_dir.rglob("*.pdf") if p.read_bytes() == sealed]
    stored.write_bytes(sealed.replace(b"/Type", b"/Tipe", 1))  # one byte changed, same length
    key = stored.relative_to(stack.settings.blob_dir).as_posix()

    for _ in range(2):  # a client retrying: refused each time, recorded once
        refused = await stack.client.get(content_path(envelope_id, document_id), headers=stack.headers)
        body = problem(refused, 500, "stored_document_corrupted")
        assert key not in refused.text and "sha256" not in body["detail"].lower()
    auditor = bearer(await api_key(stack, AccessRole.OWNER))
    answer = await stack.client.get("/v1/audit-log", params={"limit": 100}, headers=auditor)
    assert answer.status_code == 200, answer.text
    log = answer.json()
    found = [e for e in log["items"] if e["type"] == "StoredDocumentCorrupted"]
    assert len(found) == 1 and found[0]["data"]["blob_key"] == key
    assert found[0]["data"]["expected_sha256"] == hashlib.sha256(sealed).hexdigest()

    check = await asyncio.to_thread(run, data_dir, "storage", "check", "--json", check=False)
    assert check.returncode == 1
    report = json.loads(check.stdout)
    assert report["corrupted"] == 1 and report["missing"] == 0 and report["sound"] is False
    assert [f["key"] for f in report["findings"]] == [key]

    stored.unlink()
    missing = json.loads((await asyncio.to_thread(run, data_dir, "storage", "check", "--json", check=False)).stdout)
    assert (missing["corrupted"], missing["missing"]) == (0, 1)


async def test_metrics_count_refused_reads_for_the_scraper_that_holds_the_token(tmp_path: Path) -> None:
    token = "scraper-" + "x" * 40
    async with serve(settings_for(tmp_path / "data", UNDERSIGN_METRICS_TOKEN=token)) as stack:
        envelope_id, document_id, sealed = await completed_envelope(stack)
        scrape = {"Authorization": f"Bearer {token}"}
        before = counted((await stack.client.get("/metrics", headers=scrape)).text)
        [stored] = [p for p in stack.settings.blob_dir.rglob("*.pdf") if p.read_bytes() == sealed]
        stored.write_bytes(sealed.replace(b"/Type", b"/Tipe", 1))
        problem(await stack.client.get(content_path(envelope_id, document_id), headers=stack.headers), 500)

        scraped = await stack.client.get("/metrics", headers=scrape)
        assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
        assert counted(scraped.text) == before + 1
        problem(await stack.client.get("/metrics"), 401, "unauthenticated")
        problem(await stack.client.get("/metrics", headers={"Authorization": f"Bearer {token}x"}), 401)
        problem(await stack.client.get("/metrics", headers=stack.headers), 401)  # an API key is not the token


async def test_metrics_are_not_served_without_a_token(stack: Stack) -> None:
    problem(await stack.client.get("/metrics", headers=stack.headers), 404, "not_found")


def counted(exposition: str) -> float:
    [line] = [line for line in exposition.splitlines() if line.startswith("undersign_blobs_corrupted_total ")]
    return float(line.split()[1])
