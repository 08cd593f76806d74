"""Background work under load: webhook deliveries per second, and last signature to sealed document.

For each shape, `undersign serve` (embedded: jobs in the server, on SQLite; redis: PostgreSQL,
jobs on Redis run by `undersign worker` processes) and a loopback receiver that verifies each
delivery's Standard Webhooks signature. Steady state: the load generator (bench/lifecycle_load.py,
its own process) completes two-signer envelopes while the background work keeps up. Backlog
drain (redis only): the workers are stopped while a batch completes, then started. Prints one
line of figures per shape and phase; asserts nothing about speed.

    python bench/background.py [--shapes embedded,redis] [--envelopes 100] [--concurrency 4] [--workers 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from _stack import ROOT, api_key, cli, database_server, environment

from tests.servers import PostgreSQLServer, RedisServer, answers_in_time, free_port, undersign_process
from tests.webhook_receiver import WebhookReceiver
from undersign.domain.events import EVENTS as EVENT_TYPES

EVENTS = ["envelope.sent", "recipient.notified", "recipient.signed", "envelope.completed", "envelope.sealed"]
DELIVERED_TYPES = {name for name, event in EVENT_TYPES.items() if event.webhook in EVENTS}  # audit types that make a delivery


class TimedReceiver(WebhookReceiver):
    """The test receiver, also noting when each message (webhook-id) first arrived and what it was about."""

    def __init__(self) -> None:
        super().__init__("whsec_placeholder", fail_first=0, redirect_to=None, delay_seconds=0)
        self.arrivals: dict[str | None, tuple[float, str, str]] = {}  # id -> (monotonic time, envelope id, type)
        self._server.handle_error = self._unless_closed  # a sender closing a kept-alive connection is no error

    def _unless_closed(self, request: object, address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            type(self._server).handle_error(self._server, request, address)

    def _receive(self, body: bytes, headers: dict[str, str]) -> int:
        arrived, event = time.monotonic(), json.loads(body)
        with self._changed:
            self.arrivals.setdefault(headers.get("webhook-id"), (arrived, event["data"]["envelope_id"], event["type"]))
        return super()._receive(body, headers)

    def of(self, envelope_ids: set[str]) -> list[tuple[float, str, str]]:
        with self._changed:
            return sorted(a for a in self.arrivals.values() if a[1] in envelope_ids)


@dataclass(frozen=True, slots=True)
class Run:
    env: dict[str, str]
    directory: Path  # data dir and logs
    url: str
    key: str
    client: httpx.Client
    receiver: TimedReceiver


@contextmanager
def workers(run: Run, count: int) -> Iterator[None]:
    with ExitStack() as stack:
        for n in range(count):
            stack.enter_context(undersign_process(run.env, run.directory / f"worker-{n}.log", "worker"))
        yield


@contextmanager
def started(env: dict[str, str], directory: Path) -> Iterator[Run]:
    """The server, a receiver and a webhook subscribed to EVENTS."""
    key, port = api_key(env), free_port()
    with (
        undersign_process(env, directory / "serve.log", "serve", "--port", str(port)) as server,
        httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}, timeout=60) as client,
    ):  # fmt: skip
        if not answers_in_time(lambda: _ready(client), server, interval=0.2):
            raise SystemExit(f"the server did not start:\n{problems(directory)}")
        receiver = TimedReceiver()
        receiver.start()
        try:
            hook = client.post("/v1/webhooks", json={"url": receiver.url, "events": EVENTS}).raise_for_status().json()
            receiver.set_secret(hook["secret"])
            yield Run(env, directory, str(client.base_url), key, client, receiver)
        finally:
            receiver.stop()


def _ready(client: httpx.Client) -> bool:
    try:
        return client.get("/ready").status_code == 200
    except httpx.TransportError:
        return False


def complete(run: Run, envelopes: int, concurrency: int) -> tuple[dict, set[str]]:
    """The load generator's figures and the ids of the envelopes it completed."""
    before = envelope_ids(run)
    load = subprocess.run([sys.executable, str(ROOT / "bench" / "lifecycle_load.py"), "--url", run.url, "--key", run.key,
                           "--envelopes", str(envelopes), "--concurrency", str(concurrency)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if load.returncode != 0:
        raise SystemExit(f"the load generator failed: {load.stderr}\n{problems(run.directory)}")
    return json.loads(load.stdout), envelope_ids(run) - before


def envelope_ids(run: Run) -> set[str]:
    ids, cursor = set(), None
    while True:
        page = run.client.get("/v1/envelopes", params={"limit": 100, **({"cursor": cursor} if cursor else {})}).json()
        ids |= {item["id"] for item in page["items"]}
        if not (cursor := page["next_cursor"]):
            return ids


def delivered(run: Run, batch: set[str], timeout: float) -> tuple[list[tuple[float, str, str]], dict[str, list[dict]]]:
    """Once every envelope of `batch` is sealed and every delivery its audit trail calls for arrived:
    the arrivals and the audit trails. SystemExit after `timeout` seconds."""
    deadline = time.monotonic() + timeout

    def until(done: Callable[[], bool], what: Callable[[], str]) -> None:
        while not done():
            if time.monotonic() > deadline:
                raise SystemExit(f"not done in {timeout:.0f} s: {what()}\n{problems(run.directory)}")
            time.sleep(0.1)

    def sealed() -> set[str]:
        return {envelope for _, envelope, kind in run.receiver.of(batch) if kind == "envelope.sealed"}

    until(lambda: sealed() >= batch, lambda: f"{len(sealed())} of {len(batch)} envelopes sealed (webhook)")
    audits = {e: run.client.get(f"/v1/envelopes/{e}/audit").json()["events"] for e in batch}
    expected = sum(event["type"] in DELIVERED_TYPES for events in audits.values() for event in events)
    until(lambda: len(run.receiver.of(batch)) >= expected,
          lambda: f"{len(run.receiver.of(batch))} of {expected} deliveries arrived")  # fmt: skip
    return run.receiver.of(batch), audits


def at(events: list[dict], kind: str) -> datetime:
    return datetime.fromisoformat(next(e["at"] for e in events if e["type"] == kind))


def seal_latency(audits: dict[str, list[dict]]) -> dict:
    """p50/p95/max of EnvelopeSealed.at - EnvelopeCompleted.at (the last signature), in ms."""
    ms = sorted((at(ev, "EnvelopeSealed") - at(ev, "EnvelopeCompleted")).total_seconds() * 1000 for ev in audits.values())
    return {"seal_p50_ms": round(statistics.median(ms)), "seal_p95_ms": round(ms[int(0.95 * (len(ms) - 1))]),
            "seal_max_ms": round(ms[-1])}  # fmt: skip


def steady_state(run: Run, args: argparse.Namespace) -> dict:
    load, batch = complete(run, args.envelopes, args.concurrency)
    arrivals, audits = delivered(run, batch, timeout=120 + 3 * args.envelopes)
    spread = arrivals[-1][0] - arrivals[0][0]
    return {"phase": "steady", "envelopes": len(batch), "envelopes_per_second": load["envelopes_per_second"],
            "deliveries": len(arrivals), "deliveries_per_second": round(len(arrivals) / spread, 1),
            **seal_latency(audits)}  # fmt: skip


def backlog_drain(run: Run, args: argparse.Namespace) -> dict:
    """With no worker running, a batch completes; then the workers start and work off the backlog."""
    load, batch = complete(run, args.envelopes, args.concurrency)
    time.sleep(1)  # anything the API itself sent would show up by now
    early = len(run.receiver.of(batch))
    started_wall, started_at = time.time(), time.monotonic()
    with workers(run, args.workers):
        arrivals, audits = delivered(run, batch, timeout=120 + 3 * args.envelopes)
    last_seal = max(at(events, "EnvelopeSealed") for events in audits.values()).timestamp()
    return {"phase": "drain", "envelopes": len(batch), "deliveries": len(arrivals), "before_workers": early,
            "first_delivery_s": round(arrivals[0][0] - started_at, 2),
            "deliveries_per_second": round(len(arrivals) / (arrivals[-1][0] - started_at), 1),
            "all_sealed_s": round(last_seal - started_wall, 2)}  # fmt: skip


def problems(directory: Path) -> str:
    """Warnings, errors and lines that are not JSON log records, from every log, counted by kind."""
    kinds: dict[str, int] = {}
    for log in sorted(directory.glob("*.log")):
        for line in filter(str.strip, log.read_text(errors="replace").splitlines()):
            with suppress(ValueError):
                record = json.loads(line)
                if record.get("level") not in ("warning", "error", "critical"):
                    continue
                cause = re.search(r"\w+(Error|Exception): .*", record.get("exception", ""))
                line = " ".join(str(x) for x in (record["level"], record.get("event"), record.get("error", ""),
                                                 cause[0] if cause else ""))  # fmt: skip
            kind = f"{log.name.split('-')[0]}: {re.sub(r'[0-9a-f]{8,}|[0-9]+', '#', line)[:160]}"
            kinds[kind] = kinds.get(kind, 0) + 1
    return "\n".join(f"  {count:5} x {kind}" for kind, count in kinds.items())


def shape(name: str, args: argparse.Namespace) -> list[dict]:
    if name not in ("embedded", "redis"):
        raise SystemExit(f"unknown shape {name!r}")
    with tempfile.TemporaryDirectory(prefix=f"undersign-bench-{name}-") as data:
        directory = Path(data)
        with ExitStack() as stack:
            env = {**environment(directory, None), "UNDERSIGN_WEBHOOK_ALLOW_PRIVATE": "true"}  # the receiver is on loopback
            if name == "redis":
                env["UNDERSIGN_DATABASE_URL"] = stack.enter_context(database_server(PostgreSQLServer)).url()
                env["UNDERSIGN_REDIS_URL"] = stack.enter_context(database_server(RedisServer)).url()
            run = stack.enter_context(started(env, directory))
            with workers(run, args.workers if name == "redis" else 0):
                results = [steady_state(run, args)]
            if name == "redis":
                results.append(backlog_drain(run, args))
            requests = run.receiver.requests
            checks = {"unverified": sum(not r.verified for r in requests), "repeated": len(requests) - len(run.receiver.arrivals),
                      "dead_letters": len(cli(env, "jobs", "dead-letters")["dead_letters"])}  # fmt: skip
        report = problems(directory)  # once the server and workers stopped: their logs are complete
    if report:
        print(f"{name}: from the logs:\n{report}", file=sys.stderr)
    return [{"shape": name, **result, **checks} for result in results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="embedded,redis")
    parser.add_argument("--envelopes", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="`undersign worker` processes (redis shape)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for name in args.shapes.split(","):
        for result in shape(name, args):
            print(json.dumps(result) if args.json else "  ".join(f"{k}={v}" for k, v in result.items()), flush=True)


if __name__ == "__main__":
    main()
