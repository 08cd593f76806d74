"""What every command shares: output (--json or text), failing with one line, settings, the database, the container."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

# A command imports what it needs when it runs: `undersign --help` and every `--help` answer
# at once, without loading the database layer, the PDF machinery or the web framework.
if TYPE_CHECKING:
    from undersign.entrypoints.container import Container
    from undersign.entrypoints.settings import Settings

T = TypeVar("T")

EXIT_FAILURE = 1


def emit(as_json: bool, payload: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(payload, default=str) if as_json else text)


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_FAILURE)


def operator(max_length: int = 100) -> str | None:
    """Who runs the command, as the system says (`cli:root`); None when it cannot say."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (a container's arbitrary uid)
        return None
    name = f"cli:{user}"
    return name if name.isprintable() and len(name) <= max_length else None


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")(command)


def load_settings() -> Settings:
    from undersign.adapters.system.logging import configure_logging
    from undersign.entrypoints.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as error:
        fail(str(error))
    configure_logging(json=settings.log_json, level=settings.log_level)
    return settings


def prepare_database(settings: Settings) -> None:
    """The embedded SQLite default migrates itself; a server database is migrated by `db upgrade`."""
    from undersign.adapters.sql import migrate

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.database_url.startswith("sqlite"):
        migrate.upgrade(settings.database_url)
        return
    current, head = migrate.current(settings.database_url), migrate.head()
    if current != head:
        fail(f"the database schema is at revision {current}, not {head}: run `undersign db upgrade` first")


def settle_server_process(settings: Settings) -> None:
    """Once a long-running process (serve, each of its workers, worker) has started, before it serves.

    Its start-up heap out of the garbage collector's walks, and its threads on one CPU of
    their own (see adapters/system/heap.py and cpu_affinity.py).
    """
    import structlog

    from undersign.adapters.system import cpu_affinity, heap

    heap.settle_heap()
    if not settings.pin_cpu:
        return
    log = structlog.get_logger("undersign.process")
    if (cpu := cpu_affinity.pin_to_one_cpu(settings.data_dir / "cpus")) is not None:
        log.info("threads pinned to one CPU", cpu=cpu)
    else:
        log.info("threads left to the scheduler: one CPU allowed, each claimed here already, or no claim possible")


def run_with_container(operation: Callable[[Container], Awaitable[T]], *, database: bool = True) -> T:
    """`operation` on a container built from the environment; `database=False` for work that never opens it."""
    from undersign.domain.errors import DomainError
    from undersign.entrypoints.container import build_container, shutdown

    settings = load_settings()
    if database:
        prepare_database(settings)
    container = build_container(settings)

    async def run() -> T:
        try:
            return await operation(container)
        finally:
            await shutdown(container)

    try:
        return asyncio.run(run())
    except DomainError as error:
        fail(error.detail)

