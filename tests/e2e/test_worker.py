"""The production shape: API on PostgreSQL, jobs on a real Redis, `undersign worker` processes.

The API runs in this process (tests/stack.py) with UNDERSIGN_REDIS_URL set, so it runs no
jobs itself; every seal, email and webhook is done by worker processes started here, one
of which is killed (SIGKILL) in the middle of a batch.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from arq.constants import in_progress_key_prefix
from redis import Redis

from tests.e2e.api import post, ready_to_complete, sign, until_sealed
from tests.servers import RedisServer, empty_database, undersign_process
from tests.stack import Stack, serve, settings_for
from tests.webhook_receiver import ReceivedRequest, webhook_receiver

UNDERSIGN = str(Path(sys.executable).parent / "undersign")  # for one-off commands
BATCH = 40
RECOVERY_SECONDS = 30


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with empty_database("postgresql", request, tmp_path) as url:
        yield url


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.flush()
    return redis_server.url()


def worker_env(data_dir: Path, database_url: str, redis_url: str) -> dict[str, str]:
    return {
        "UNDERSIGN_DATA_DIR": str(data_dir),
        "UNDERSIGN_PUBLIC_URL": "https://sign.example.test",
        "UNDERSIGN_DATABASE_URL": database_url,
        "UNDERSIGN_REDIS_URL": redis_url,
        "UNDERSIGN_WEBHOOK_ALLOW_PRIVATE": "true",  # the receiver is on loopback
        "UNDERSIGN_JOB_RETRY_BASE_SECONDS": "0.2",
        # UNDERSIGN_JOB_TIMEOUT_SECONDS left at its five minutes: a killed worker's job comes back when
        # its lease ends, seconds later (its heartbeat stopped), not when the timeout would.
        "UNDERSIGN_LOG_FORMAT": "json",
    }


def worker(env: dict[str, str], log: Path) -> AbstractContextManager[subprocess.Popen[bytes]]:
    return undersign_process(env, log, "worker")


async def sealed_count(stack: Stack, envelope_ids: list[str]) -> int:
    count = 0
    for envelope_id in envelope_ids:
        envelope = (await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)).json()
        count += all(d["status"] == "sealed" for d in envelope["documents"])
    return count


async def audit_types(stack: Stack, envelope_id: str) -> list[str]:
    response = await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers)
    return [e["type"] for e in response.json()["events"]]


async def test_a_failing_receiver_gets_the_delivery_on_the_third_attempt_signed(tmp_path, database_url, redis_url):
    env = worker_env(tmp_path / "data", database_url, redis_url)
    async with serve(settings_for(tmp_path / "data", **env)) as stack:
        with webhook_receiver("whsec_placeholder", fail_first=2) as receiver:
            hook = await post(stack, "/v1/webhooks", {"url": receiver.url, "events": ["envelope.sealed"]})
            receiver.set_secret(hook["secret"])
            envelope_id, token = await ready_to_complete(stack)
            with worker(env, tmp_path / "worker.log"):
                await sign(stack, token, "Ada Lovelace")
                await until_sealed(stack, envelope_id)
                assert await asyncio.to_thread(receiver.wait_for, lambda r: any(x.status == 200 for x in r), 30)
                delivery = await until_delivered(stack, hook["id"])  # recorded by the worker, after the answer
            answered = [(r.status, r.verified) for r in receiver.requests]
            assert answered == [(500, True), (500, True), (200, True)]
            assert len({r.webhook_id for r in receiver.requests}) == 1  # one message, three attempts
            assert delivery["id"] == receiver.requests[0].webhook_id
            assert delivery["status"] == "succeeded"
            assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]
            assert delivery["payload"]["data"]["envelope_id"] == envelope_id


async def test_a_worker_killed_mid_batch_loses_nothing_and_seals_nothing_twice(tmp_path, database_url, redis_url):
    env = worker_env(tmp_path / "data", database_url, redis_url)
    async with serve(settings_for(tmp_path / "data", **env)) as stack:
        with webhook_receiver("whsec_placeholder", fail_first=0) as receiver:
            hook = await post(stack, "/v1/webhooks", {"url": receiver.url, "events": ["envelope.sealed", "envelope.completed"]})
            receiver.set_secret(hook["secret"])
            ready = [await ready_to_complete(stack) for _ in range(BATCH)]
            envelope_ids = [envelope_id for envelope_id, _ in ready]
            for _, token in ready:  # 100 completions, queued for the worker as they happen
                await sign(stack, token, "Ada Lovelace")

            with worker(env, tmp_path / "worker.log") as first:
                while (done := await sealed_count(stack, envelope_ids)) < 10 or not (held := running_seals(redis_url)):
                    assert first.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
                    await asyncio.sleep(0.05)
                first.send_signal(signal.SIGKILL)
                first.wait()
            assert done < BATCH, "the worker finished the batch before it could be killed"

            with worker(env, tmp_path / "worker.log"):
                loop = asyncio.get_running_loop()
                restarted = loop.time()
                while await sealed_count(stack, sorted(held)) < len(held):  # what the killed worker was running
                    assert loop.time() - restarted < RECOVERY_SECONDS, "the seals running at the kill did not come back"
                    await asyncio.sleep(0.2)
                while await sealed_count(stack, envelope_ids) < BATCH:
                    assert loop.time() - restarted < 180, "not every envelope was sealed"
                    await asyncio.sleep(0.5)
                wanted = {(e, t) for e in envelope_ids for t in ("envelope.sealed", "envelope.completed")}
                assert await asyncio.to_thread(
                    receiver.wait_for, lambda requests: wanted <= {_event(r) for r in requests if r.status == 200}, 60
                )

            for envelope_id in envelope_ids:
                types = await audit_types(stack, envelope_id)
                assert types.count("DocumentSealed") == 1 and types.count("EnvelopeSealed") == 1, types
            assert all(r.verified for r in receiver.requests)
            letters = subprocess.run([UNDERSIGN, "jobs", "dead-letters", "--json"], env={**os.environ, **env},
                                     capture_output=True, text=True, check=True)
            assert '"dead_letters": []' in letters.stdout


def running_seals(redis_url: str) -> set[str]:
    """The envelopes whose seal a worker is running now: arq marks each running job in progress."""
    with Redis.from_url(redis_url) as redis:
        keys = redis.keys(f"{in_progress_key_prefix}seal:*")
    return {key.decode().removeprefix(f"{in_progress_key_prefix}seal:") for key in keys}


async def until_delivered(stack: Stack, webhook_id: str, timeout: float = 30) -> dict:
    """The webhook's one delivery once the worker has recorded its success (just after the receiver answered)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await stack.client.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=stack.headers)
        (delivery,) = response.json()["items"]
        if delivery["status"] == "succeeded" or asyncio.get_running_loop().time() > deadline:
            return delivery
        await asyncio.sleep(0.1)


def _event(request: ReceivedRequest) -> tuple[str, str]:
    body = json.loads(request.body)
    return body["data"]["envelope_id"], body["type"]
