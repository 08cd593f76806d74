"""A real stack, driven in process over HTTP: the Litestar app, the real PDF signer, files in
a data directory and, unless the settings name another database, SQLite in it.

The app runs on the test's own event loop (httpx's ASGI transport), so requests started
together really run together. (Litestar's AsyncTestClient runs the app on a thread of its
own and blocks the caller's loop for each request: gathered requests would go one by one.)
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from dependency_injector import providers
from litestar import Litestar

from undersign.adapters.sql import migrate
from undersign.application.shared.ports import Clock
from undersign.domain.tenant import AccessRole
from undersign.entrypoints.container import build_container
from undersign.entrypoints.http.app import create_app
from undersign.entrypoints.settings import Settings


@dataclass
class Stack:
    client: httpx.AsyncClient
    settings: Settings
    headers: dict[str, str]

    @property
    def trust_root(self) -> Path:
        return self.settings.pki_dir / "root-ca.pem"


def settings_for(data_dir: Path, **env: str) -> Settings:
    """Settings of a test installation; `env` adds UNDERSIGN_* variables (a database URL, say)."""
    return Settings.from_env(
        {"UNDERSIGN_DATA_DIR": str(data_dir), "UNDERSIGN_PUBLIC_URL": "https://sign.example.test", **env}
    )


@asynccontextmanager
async def serve(settings: Settings, clock: Clock | None = None) -> AsyncIterator[Stack]:
    """The whole app on `settings`: the database migrated, a tenant and its admin key made.

    With `clock`, the app (and its embedded runner) read the time from it instead of the system's."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url)
    container = build_container(settings)
    if clock is not None:
        container.core.clock.override(providers.Object(clock))
    tenants = container.use_cases().tenants
    await tenants.create("acme")
    issued = await tenants.create_api_key("acme", AccessRole.ADMIN)
    app = create_app(container)
    transport = httpx.ASGITransport(app=app)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        yield Stack(client=client, settings=settings, headers={"Authorization": f"Bearer {issued.key}"})


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[None]:
    """The app's startup and shutdown, in a task of their own: Litestar's lifespan holds an
    anyio task group, which must be left by the task that entered it (a pytest-asyncio
    fixture's setup and teardown are different tasks)."""
    started, stopping = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stopping.wait()

    before = set(threading.enumerate())
    task, waiter = asyncio.create_task(lifespan()), asyncio.create_task(started.wait())
    await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task.done():
        await task  # startup failed: raise its error
    try:
        yield
    finally:
        stopping.set()
        await task
        await _database_threads_ended(set(threading.enumerate()) - before)


async def _database_threads_ended(threads: set[threading.Thread], timeout: float = 5) -> None:
    """Wait for the SQLite connection threads the app started to end.

    aiosqlite runs each connection in a thread that answers on the event loop. A connection closed
    by a task cancelled at shutdown (a background job, say) is closed by its thread later, and if
    the test's loop has closed by then, that thread raises, and pytest reports it as the next test's
    error. Once its connection is closed a thread ends, so this waits at most as long as a close."""
    deadline = asyncio.get_running_loop().time() + timeout
    while any(t.is_alive() and "_connection_worker_thread" in t.name for t in threads):
        if asyncio.get_running_loop().time() > deadline:
            return
        await asyncio.sleep(0.01)
