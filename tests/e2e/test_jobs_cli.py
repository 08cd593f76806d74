"""Operators and failed jobs: `undersign jobs dead-letters` lists them, `undersign jobs replay` queues them again."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from tests.e2e.test_cli import run
from tests.stack import settings_for
from undersign.application.background.ports import DeadLetter
from undersign.application.shared.jobs import Job
from undersign.entrypoints.container import build_container, shutdown


async def _bury(data_dir: Path, *letters: DeadLetter) -> None:
    container = build_container(settings_for(data_dir))
    try:
        async with container.gateways.unit_of_work()() as uow:
            for letter in letters:
                await uow.dead_letters.add(letter)
            await uow.commit()
    finally:
        await shutdown(container)


def letter(n: int) -> DeadLetter:
    job = Job(id=f"webhook:msg_{n}", name="deliver_webhook", args={"tenant_id": "t1", "delivery_id": f"msg_{n}"})
    return DeadLetter(id=job.id, job=job, attempts=10, error="WebhookFailed: https://hooks.example/x answered 503",
                      failed_at=datetime(2026, 11, 1, 9, n, tzinfo=UTC))


def test_dead_letters_are_listed_most_recent_first_and_replayed_as_new_jobs(tmp_path):
    run(tmp_path, "db", "upgrade")
    asyncio.run(_bury(tmp_path, letter(1), letter(2)))

    listed = json.loads(run(tmp_path, "jobs", "dead-letters", "--json").stdout)["dead_letters"]
    assert [(d["id"], d["job"], d["attempts"]) for d in listed] == [
        ("webhook:msg_2", "deliver_webhook", 10), ("webhook:msg_1", "deliver_webhook", 10),
    ]
    assert "answered 503" in listed[0]["error"]
    text = run(tmp_path, "jobs", "dead-letters").stdout
    assert "webhook:msg_2  deliver_webhook  10 attempts" in text

    replayed = json.loads(run(tmp_path, "jobs", "replay", "webhook:msg_1", "--json").stdout)["replayed"]
    assert len(replayed) == 1 and replayed[0].startswith("webhook:msg_1:replay:")
    database = sqlite3.connect(tmp_path / "undersign.db")
    queued = database.execute("SELECT id, name, args, attempt FROM jobs").fetchall()
    assert [(q[0], q[1], json.loads(q[2]), q[3]) for q in queued] == [
        (replayed[0], "deliver_webhook", {"tenant_id": "t1", "delivery_id": "msg_1"}, 0),
    ]
    remaining = json.loads(run(tmp_path, "jobs", "dead-letters", "--json").stdout)["dead_letters"]
    assert [d["id"] for d in remaining] == ["webhook:msg_2"]

    everything = json.loads(run(tmp_path, "jobs", "replay", "--all", "--json").stdout)["replayed"]
    assert len(everything) == 1 and json.loads(run(tmp_path, "jobs", "dead-letters", "--json").stdout)["dead_letters"] == []


def test_replay_needs_ids_or_all_and_names_an_unknown_letter(tmp_path):
    run(tmp_path, "db", "upgrade")
    neither = run(tmp_path, "jobs", "replay", check=False)
    assert neither.returncode != 0 and "name the dead letters to replay, or pass --all" in neither.stderr
    unknown = run(tmp_path, "jobs", "replay", "nope", check=False)
    assert unknown.returncode != 0 and "no dead letter nope" in unknown.stderr


def test_the_worker_needs_redis(tmp_path):
    refused = run(tmp_path, "worker", check=False)
    assert refused.returncode != 0 and "UNDERSIGN_REDIS_URL is not set" in refused.stderr
