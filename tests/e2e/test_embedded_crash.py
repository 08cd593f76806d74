"""The embedded default killed mid-seal: restarted, it seals what was running within seconds, each once.

`undersign serve` (SQLite, jobs in the server) is killed with SIGKILL while seal jobs are
running (they are leased in its job table at that moment), and started again on the same
data directory. The seals it held come back when their lease ends, seconds later, not after
the job timeout (UNDERSIGN_JOB_TIMEOUT_SECONDS, five minutes by default, is left as it is).
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from pathlib import Path

import httpx

from tests.e2e.api import ready_to_complete, sign
from tests.e2e.served import installation, serving
from tests.stack import Stack, settings_for

ENVELOPES = 12
RECOVERY_SECONDS = 30


def running_seals(database: Path) -> set[str]:
    """The envelopes whose seal a runner holds now: the lease of its job has not ended."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT id FROM jobs WHERE id LIKE 'seal:%' AND leased_until > datetime('now')").fetchall()
    return {job_id.removeprefix("seal:") for (job_id,) in rows}


async def sealed(stack: Stack, envelope_id: str) -> bool:
    envelope = (await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)).json()
    return bool(envelope["documents"]) and all(d["status"] == "sealed" for d in envelope["documents"])


async def test_a_killed_server_restarted_seals_what_it_was_sealing_within_seconds_and_once(tmp_path: Path) -> None:
    env, key = installation(tmp_path)
    headers = {"Authorization": f"Bearer {key}"}
    database = tmp_path / "undersign.db"
    with serving(env, tmp_path / "serve.log") as (server, url):
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            stack = Stack(client=client, settings=settings_for(tmp_path), headers=headers)
            ready = [await ready_to_complete(stack) for _ in range(ENVELOPES)]
            for _, token in ready:
                await sign(stack, token, "Ada Lovelace")
            while not (held := running_seals(database)):
                assert server.poll() is None
                await asyncio.sleep(0.02)
            server.send_signal(signal.SIGKILL)
            server.wait()
    envelope_ids = [envelope_id for envelope_id, _ in ready]

    with serving(env, tmp_path / "serve.log") as (_, url):
        restarted = time.monotonic()
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            stack = Stack(client=client, settings=settings_for(tmp_path), headers=headers)
            while not all([await sealed(stack, envelope_id) for envelope_id in held]):
                assert time.monotonic() - restarted < RECOVERY_SECONDS, "the seals held at the kill did not come back"
                await asyncio.sleep(0.2)
            for envelope_id in envelope_ids:
                while not await sealed(stack, envelope_id):
                    assert time.monotonic() - restarted < 120, f"{envelope_id} was never sealed"
                    await asyncio.sleep(0.2)
                audit = (await client.get(f"/v1/envelopes/{envelope_id}/audit", headers=headers)).json()
                types = [e["type"] for e in audit["events"]]
                assert types.count("DocumentSealed") == 1 and types.count("EnvelopeSealed") == 1, types
