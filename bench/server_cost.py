"""Server CPU and SQL statements per completed two-signer B-LTA envelope, on SQLite and on PostgreSQL.

Each envelope goes the whole way over HTTP: create, upload, two recipients, a signature field
each, send, a signing link each, both sign (in turn), then, once the background jobs have
sealed it and made its certificate of completion, the sealed PDF and the certificate are
downloaded. The tenant's default policy signs at PAdES B-LTA.

Each figure is measured where it can be measured honestly, so each engine runs twice:
- CPU: `undersign serve` in its own process (embedded default: the seal, the certificate and
  the notices run in its own event loop). The user plus system CPU of that process and of
  every process under it (live ones, and reaped ones through the parent's cutime/cstime) is
  read from /proc/<pid>/stat before the first request and after the last download; divided
  by the envelopes. The client runs in this process, not in the server's. Once per concurrency
  (default 1 and 4): one envelope at a time gives an envelope's own cost; four at a time add
  what threads sharing one interpreter's lock cost (PDF work runs in threads), which varies
  from run to run by a fifth or more.
- statements: the same app in this process (httpx's ASGI transport) on a fresh database, with
  a `before_cursor_execute` listener counting what reaches the driver (BEGIN and COMMIT are
  not statements the driver is handed, and are not counted). A context variable set around
  each request names the request type its statements belong to; statements of the
  background loops and jobs count as "background", less what those loops issue when idle
  (measured for a few seconds before the run). Each envelope is also read once after it is
  sent ("read_envelope"), and polls for a certificate not made yet are counted ("waiting"):
  both are given per request and left out of the per-envelope total (the CPU figure, which is
  the server's whole, includes them and the background loops' polling).

Prints one JSON line per engine; asserts nothing about speed.

    python bench/server_cost.py [--envelopes 20] [--concurrency 1,4] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import json
import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from _stack import ROOT, api_key, cpu_seconds, database_server, environment, load_average, served_process
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.servers import PostgreSQLServer, free_port, fresh_database
from tests.stack import serve, settings_for
from undersign.adapters.system.logging import configure_logging

CONTRACT = (ROOT / "examples" / "contract.pdf").read_bytes()
IDLE_SECONDS = 3.0
# The steps the budget names: every statement of these (and of the background) is the envelope's.
ENVELOPE_STEPS = ("create", "upload", "add_recipient", "add_field", "send", "signing_link", "sign", "download_pdf",
                  "download_certificate")  # fmt: skip

@dataclass
class Request:
    """What a request is counted as; a certificate poll answered 409 is "waiting", not a download."""

    step: str
    statements: int = 0


Label = Callable[[str], AbstractContextManager[Request]]


def no_label(step: str) -> AbstractContextManager[Request]:
    return nullcontext(Request(step))


async def complete_one(client: httpx.AsyncClient, n: int, label: Label) -> tuple[str, str]:
    """One envelope from creation to both signatures; returns its id and its document's."""

    async def post(step: str, path: str, **kwargs: Any) -> dict[str, Any]:
        with label(step):
            response = await client.post(path, **kwargs)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{step} {path}: {response.status_code} {response.text}")
        return response.json()

    envelope = await post("create", "/v1/envelopes", json={"subject": f"Bench {n}"})
    base = f"/v1/envelopes/{envelope['id']}"
    document = await post("upload", f"{base}/documents", files={"file": ("contract.pdf", CONTRACT, "application/pdf")})
    signers = []
    for who, y in (("ada", 600), ("bob", 700)):
        signer = await post("add_recipient", f"{base}/signers", json={"name": who.title(), "email": f"{who}.{n}@example.com"})
        await post("add_field", f"{base}/fields", json={"document_id": document["id"], "signer_id": signer["id"],
                                                        "kind": "signature", "page": 2, "x": 72, "y": y, "width": 180,
                                                        "height": 40})  # fmt: skip
        signers.append(signer["id"])
    await post("send", f"{base}/send")
    with label("read_envelope"):
        read = await client.get(base)
    assert read.status_code == 200, read.text
    for signer_id in signers:
        link = await post("signing_link", f"{base}/signers/{signer_id}/signing-link")
        signed = await post("sign", f"/v1/signing/{link['token']}/sign",
                            json={"signature": {"kind": "typed", "text": "Signed"}, "consent": True})  # fmt: skip
    if signed["envelope_status"] != "completed":
        raise RuntimeError(f"envelope {envelope['id']} did not complete: {signed}")
    return envelope["id"], document["id"]


async def download_when_done(client: httpx.AsyncClient, envelopes: list[tuple[str, str]], label: Label) -> int:
    """Each envelope's certificate of completion once made (409 until then), then its sealed PDF; returns the polls."""
    waiting, polls = list(envelopes), 0
    deadline = time.monotonic() + 60 + 10 * len(envelopes)
    while waiting:
        for envelope_id, document_id in list(waiting):
            with label("download_certificate") as request:
                certificate = await client.get(f"/v1/envelopes/{envelope_id}/certificate")
                if certificate.status_code == 409:
                    request.step = "waiting"
            if certificate.status_code == 409:
                polls += 1
                continue
            assert certificate.status_code == 200, certificate.text
            with label("download_pdf"):
                pdf = await client.get(f"/v1/envelopes/{envelope_id}/documents/{document_id}/content")
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text
            waiting.remove((envelope_id, document_id))
        if waiting:
            if time.monotonic() > deadline:
                raise RuntimeError(f"not sealed and certified in time: {waiting}")
            await asyncio.sleep(0.2)
    return polls


async def drive(client: httpx.AsyncClient, envelopes: int, concurrency: int, label: Label) -> int:
    """`envelopes` envelopes, `concurrency` at a time, then their downloads; returns the certificate polls."""
    queue = list(range(envelopes))
    done: list[tuple[str, str]] = []

    async def worker() -> None:
        while queue:
            done.append(await complete_one(client, queue.pop(), label))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return await download_when_done(client, done, label)


# -- CPU of `undersign serve` ------------------------------------------------------------------------


def measure_cpu(database_url: str | None, envelopes: int, concurrency: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="undersign-bench-cpu-") as directory:
        env = environment(Path(directory), database_url)
        key = api_key(env, tenant=f"bench-{concurrency}")  # a tenant per run: PostgreSQL's database is shared
        with served_process(env, free_port()) as (url, server):
            asyncio.run(warm_up(url, key))
            before, started = cpu_seconds(server), time.perf_counter()
            polls = asyncio.run(run_against(url, key, envelopes, concurrency))
            cpu, elapsed = cpu_seconds(server) - before, time.perf_counter() - started
    return {"cpu_s_per_envelope": round(cpu / envelopes, 3), "cpu_s": round(cpu, 2), "wall_s": round(elapsed, 1),
            "certificate_polls": polls}  # fmt: skip


async def warm_up(url: str, key: str) -> None:
    """One envelope first, so that imports and first-use set-up are not charged to the measured ones."""
    await run_against(url, key, 1, 1)


async def run_against(url: str, key: str, envelopes: int, concurrency: int) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
        return await drive(client, envelopes, concurrency, no_label)


# -- SQL statements, in process ------------------------------------------------------------------------

_request: contextvars.ContextVar[Request | None] = contextvars.ContextVar("request", default=None)


@contextmanager
def counting_statements() -> Iterator[tuple[Counter[str], Counter[str], Label]]:
    """Statements reaching any engine's driver and requests, by step; and the label that names a request's step."""
    statements: Counter[str] = Counter()
    requests: Counter[str] = Counter()

    def count(*_: object) -> None:
        request = _request.get()
        if request is None:
            statements["background"] += 1
        else:
            request.statements += 1

    @contextmanager
    def labelled(step: str) -> Iterator[Request]:
        request = Request(step)
        token = _request.set(request)
        try:
            yield request
        finally:
            _request.reset(token)
            statements[request.step] += request.statements
            requests[request.step] += 1

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements, requests, labelled
    finally:
        event.remove(Engine, "before_cursor_execute", count)


async def measure_statements(database_url: str | None, envelopes: int, concurrency: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="undersign-bench-sql-") as directory:
        extra = {"UNDERSIGN_DATABASE_URL": database_url} if database_url else {}
        settings = settings_for(Path(directory), UNDERSIGN_LOG_LEVEL="WARNING", **extra)
        async with serve(settings) as stack:
            stack.client.headers.update(stack.headers)
            await drive(stack.client, 1, 1, no_label)  # warm up, as for the CPU
            with counting_statements() as (idle, _, _):
                await asyncio.sleep(IDLE_SECONDS)
            with counting_statements() as (statements, requests, labelled):
                started = time.perf_counter()
                await drive(stack.client, envelopes, concurrency, labelled)
                elapsed = time.perf_counter() - started
    background = max(0.0, statements["background"] - idle["background"] * elapsed / IDLE_SECONDS)
    per_envelope = (sum(statements[step] for step in ENVELOPE_STEPS) + background) / envelopes
    return {
        "statements_per_envelope": round(per_envelope, 1),
        "background_statements_per_envelope": round(background / envelopes, 1),
        "idle_background_statements_per_s": round(idle["background"] / IDLE_SECONDS, 1),
        "statements_per_request": {step: round(statements[step] / count, 1) for step, count in sorted(requests.items())},
    }


def measure(engine: str, database_url: str | None, statements_url: str | None, envelopes: int, concurrency: list[int]) -> dict:
    """CPU at each concurrency (alone, an envelope's own cost; several at a time, with what sharing one
    interpreter's lock adds), on a fresh database each; statements at the highest."""
    cpu = {f"concurrency_{n}": measure_cpu(database_url, envelopes, n) for n in concurrency}
    statements = asyncio.run(measure_statements(statements_url, envelopes, max(concurrency)))
    return {"engine": engine, "envelopes": envelopes, "load_average": load_average(), "cpu": cpu, **statements}


async def _fresh_postgresql(server_url: str, envelopes: int, concurrency: list[int]) -> dict:
    async with fresh_database(server_url) as cpu_url, fresh_database(server_url) as statements_url:
        return await asyncio.to_thread(measure, "postgresql", cpu_url, statements_url, envelopes, concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envelopes", type=int, default=20)
    parser.add_argument("--concurrency", default="1,4", help="envelopes at a time: one CPU run for each")
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    args.concurrency = [int(n) for n in args.concurrency.split(",")]
    # The in-process app logs like the served one: warnings only (the served one has UNDERSIGN_LOG_LEVEL).
    configure_logging(json=True, level="WARNING")
    logging.disable(logging.INFO)
    for engine in args.engines.split(","):
        if engine == "sqlite":
            result = measure("sqlite", None, None, args.envelopes, args.concurrency)
        elif engine == "postgresql":
            with database_server(PostgreSQLServer) as server:
                result = asyncio.run(_fresh_postgresql(server.url(), args.envelopes, args.concurrency))
        else:
            raise SystemExit(f"unknown engine {engine!r}")
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
