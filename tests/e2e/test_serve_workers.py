"""`undersign serve --workers 2`: two processes on one port, sharing what must be shared.

The server runs as its own process tree on the embedded default (SQLite, jobs in the server).
Envelopes are completed through it, their signatures landing on either process; the seals
are run by whichever process claims them. A client that keeps failing to authenticate is
refused by both processes once the failures allowed to it are spent: counts are shared.
Each process keeps its threads on a CPU of its own.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.api import add_signer, create_envelope, place, send, sign, signing_token, until_sealed
from tests.e2e.served import installation, serving
from tests.stack import Stack, settings_for

AUTH_FAILURES = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """One server for the module (its start costs seconds): (url, API key, data directory)."""
    data_dir = tmp_path_factory.mktemp("serve-workers")
    env, key = installation(data_dir, UNDERSIGN_THROTTLE_AUTH_FAILURES=str(AUTH_FAILURES))
    with serving(env, data_dir / "serve.log", "--workers", "2") as (_, url):
        yield url, key, data_dir


@pytest.fixture
async def served(server: tuple[str, str, Path]) -> AsyncIterator[Stack]:
    url, key, data_dir = server
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        yield Stack(client=client, settings=settings_for(data_dir), headers={"Authorization": f"Bearer {key}"})


async def test_two_processes_complete_and_seal_envelopes_on_one_port(served: Stack) -> None:
    async def complete() -> str:
        envelope_id, document_id = await create_envelope(served, routing="parallel", pages=1)
        ada = await add_signer(served, envelope_id, "Ada Lovelace")
        bob = await add_signer(served, envelope_id, "Bob Babbage")
        await place(served, envelope_id, document_id, ada, "signature", 1, 72, 600)
        await place(served, envelope_id, document_id, bob, "signature", 1, 72, 500)
        await send(served, envelope_id)
        tokens = [await signing_token(served, envelope_id, signer) for signer in (ada, bob)]
        await asyncio.gather(*(sign(served, token, name) for token, name in zip(tokens, ("Ada", "Bob"), strict=True)))
        return envelope_id

    envelope_ids = await asyncio.gather(*(complete() for _ in range(4)))

    for envelope_id in envelope_ids:
        envelope = await until_sealed(served, envelope_id)
        assert envelope["status"] == "completed" and all(d["status"] == "sealed" for d in envelope["documents"])
        audit = (await served.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=served.headers)).json()
        assert [e["type"] for e in audit["events"]].count("EnvelopeSealed") == 1


async def test_failed_authentications_are_counted_across_both_processes(served: Stack) -> None:
    wrong = {"Authorization": "Bearer usk_0123456789abcdef_not-the-secret"}
    statuses = []
    for _ in range(AUTH_FAILURES + 8):
        # A connection of its own each time: either process may take it.
        async with httpx.AsyncClient(base_url=str(served.client.base_url), timeout=30) as fresh:
            statuses.append((await fresh.get("/v1/envelopes", headers=wrong)).status_code)

    assert statuses == [401] * AUTH_FAILURES + [429] * 8


def test_each_process_holds_a_cpu_of_its_own(server: tuple[str, str, Path]) -> None:
    _, _, data_dir = server
    claims = sorted((data_dir / "cpus").glob("cpu-*.lock"))
    held = []
    for claim in claims:
        with claim.open("rb") as file:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held.append(claim.name)
    assert len(os.sched_getaffinity(0)) >= 2
    assert len(held) == 2, f"claims held: {held} of {[c.name for c in claims]}"
