"""Background jobs: `undersign worker` runs them, `undersign jobs` lists and replays those that failed for good."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from undersign.entrypoints.cli.common import (
    emit,
    fail,
    json_option,
    load_settings,
    prepare_database,
    run_with_container,
    settle_server_process,
)

if TYPE_CHECKING:
    from undersign.entrypoints.container import Container


@click.command()
@click.option("--burst", is_flag=True, help="Stop once the queue is empty (for scripts and tests).")
def worker(burst: bool) -> None:
    """Run background jobs from Redis (UNDERSIGN_REDIS_URL): seals, emails, webhooks, reminders, expiry."""
    from undersign.entrypoints.container import build_container, ready_to_sign
    from undersign.entrypoints.settings import SettingsError
    from undersign.entrypoints.worker.arq_worker import run_workers

    settings = load_settings()
    if settings.embedded_jobs:
        fail("UNDERSIGN_REDIS_URL is not set: without Redis, `undersign serve` runs the jobs itself")
    prepare_database(settings)
    container = build_container(settings)
    try:
        ready_to_sign(container)  # a wrong seal key stops the worker here, not at its first seal
    except SettingsError as error:
        fail(str(error))
    settle_server_process(settings)
    run_workers(container, burst=burst)


@click.group()
def jobs() -> None:
    """Background jobs that failed for good (dead letters): list and replay them."""


@jobs.command("dead-letters")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@json_option
def jobs_dead_letters(limit: int, as_json: bool) -> None:
    """The jobs that failed their last attempt, most recent first."""
    letters = run_with_container(lambda c: c.use_cases().dead_letters.list(limit=limit))
    items = [
        {"id": d.id, "job": d.job.name, "args": d.job.args, "attempts": d.attempts, "error": d.error,
         "failed_at": d.failed_at.isoformat()}
        for d in letters
    ]  # fmt: skip
    lines = [f"{d['id']}  {d['job']}  {d['attempts']} attempts, last {d['failed_at']}: {d['error']}" for d in items]
    emit(as_json, {"dead_letters": items}, "\n".join(lines) or "no dead letters")


@jobs.command("replay")
@click.argument("letter_ids", nargs=-1)
@click.option("--all", "replay_all", is_flag=True, help="Replay every dead letter.")
@json_option
def jobs_replay(letter_ids: tuple[str, ...], replay_all: bool, as_json: bool) -> None:
    """Queue dead-lettered jobs again (LETTER_IDS, or --all), each with a fresh set of attempts."""
    if bool(letter_ids) == replay_all:
        fail("name the dead letters to replay, or pass --all")

    async def replay(c: Container) -> list[str]:
        office = c.use_cases().dead_letters
        jobs = await office.replay_all() if replay_all else [await office.replay(letter_id) for letter_id in letter_ids]
        return [job.id for job in jobs]

    queued = run_with_container(replay)
    emit(as_json, {"replayed": queued}, f"{len(queued)} jobs queued again")
