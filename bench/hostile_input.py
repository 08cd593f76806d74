"""Hostile uploads against `undersign serve`: does /health stay quick, and does the server's memory stay put?

One `undersign serve` on the embedded default (SQLite, files). While a client process
uploads the heaviest entries of the hostile corpus (tests/hostile_pdf_corpus.py: the 48 MB
last lines, 50,000 pages, decompression bombs, deep nesting) and ordinary 10 MB PDFs, in
rounds, to upload and to verify, a prober in a process of its own asks /health every 20 ms. Printed: /health
latencies while the uploads run, each kind's answers and durations, and the server's
resident memory (VmRSS, from /proc) before, at its peak and after.

    python bench/hostile_input.py [--rounds 3] [--concurrency 2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
from _stack import api_key, environment, serving

from tests.hostile_pdf_corpus import BY_ID
from tests.pdf_samples import make_pdf, make_pdf_of_size
from tests.servers import free_port

MAX_PAGES = 2000  # UNDERSIGN_PDF_MAX_PAGES's default
HEAVY = (
    "huge-comment-instead-of-eof", "huge-comment-before-eof", "huge-comment-after-eof", "fifty-thousand-pages",
    "object-stream-bomb", "content-stream-bomb", "nested-arrays-in-catalog", "deep-page-tree", "many-objects",
    "xref-stream-million-entries",
)


def server_pid(port: int) -> int:
    """The pid of the process listening on `port` (the `undersign serve` just started)."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # LISTEN
                inode = fields[9]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]" for fd in os.listdir(f"/proc/{pid}/fd")):
                return int(pid)
        except OSError:
            continue
    raise SystemExit(f"no process listens on port {port}")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def probe(url: str, stop: Connection) -> None:
    """Ask /health every 20 ms until told to stop, then send the latencies (ms) back.

    In a process of its own: in the uploader's, sending 48 MB bodies would delay the probe's
    own requests and count the client's stalls as the server's.
    """
    latencies = []
    with httpx.Client(base_url=url, timeout=30) as client:
        while not stop.poll(0.02):
            started = time.perf_counter()
            client.get("/health")
            latencies.append((time.perf_counter() - started) * 1000)
    stop.send(latencies)


@contextmanager
def probing(url: str) -> Iterator[list[float]]:
    """/health latencies measured from another process while the block runs (filled in at its end)."""
    latencies: list[float] = []
    ours, theirs = multiprocessing.Pipe()
    prober = multiprocessing.get_context("spawn").Process(target=probe, args=(url, theirs))
    prober.start()
    try:
        yield latencies
    finally:
        ours.send("stop")
        latencies.extend(ours.recv())
        prober.join()


async def watch_memory(pid: int, stop: asyncio.Event, samples: list[float]) -> None:
    while not stop.is_set():
        samples.append(rss_mib(pid))
        await asyncio.sleep(0.1)


async def upload_all(url: str, key: str, files: list[tuple[str, bytes]], rounds: int, concurrency: int) -> dict[str, list[tuple[int, str, float]]]:
    answers: dict[str, list[tuple[int, str, float]]] = {}
    slots = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, timeout=300, headers=headers) as client:

        async def one(name: str, pdf: bytes, path: str) -> None:
            async with slots:
                started = time.perf_counter()
                response = await client.post(path, files={"file": (f"{name}.pdf", pdf, "application/pdf")})
                code = response.json().get("code", "") if response.status_code >= 400 else ""
                answers.setdefault(f"{name} {path.rsplit('/', 1)[-1]}", []).append(
                    (response.status_code, code, time.perf_counter() - started)
                )

        jobs = []
        for _ in range(rounds):
            envelope = (await client.post("/v1/envelopes", json={"subject": "Hostile"})).json()["id"]
            for name, pdf in files:
                jobs.append(one(name, pdf, f"/v1/envelopes/{envelope}/documents"))
                jobs.append(one(name, pdf, "/v1/verify"))
        await asyncio.gather(*jobs)
    return answers


async def largest_accepted_through_signing(url: str, key: str) -> list[tuple[str, float]]:
    """A document of the most pages accepted, uploaded, sent and signed (signing reads it in the
    API process, where it is trusted: it passed the inspector): how long each step takes."""
    steps: list[tuple[str, float]] = []
    async with httpx.AsyncClient(base_url=url, timeout=300, headers={"Authorization": f"Bearer {key}"}) as client:
        envelope = (await client.post("/v1/envelopes", json={"subject": "Largest"})).json()["id"]

        async def timed(step: str, request) -> httpx.Response:
            started = time.perf_counter()
            response = await request
            assert response.status_code < 300, response.text
            steps.append((step, time.perf_counter() - started))
            return response

        files = {"file": ("largest.pdf", make_pdf(pages=MAX_PAGES), "application/pdf")}
        document = (await timed("upload", client.post(f"/v1/envelopes/{envelope}/documents", files=files))).json()["id"]
        signer = (await client.post(f"/v1/envelopes/{envelope}/signers", json={"name": "Ada", "email": "ada@example.com"})).json()["id"]
        field = {"document_id": document, "signer_id": signer, "kind": "signature", "page": MAX_PAGES,
                 "x": 72, "y": 600, "width": 180, "height": 40}  # fmt: skip
        await client.post(f"/v1/envelopes/{envelope}/fields", json=field)
        await timed("send", client.post(f"/v1/envelopes/{envelope}/send"))
        token = (await client.post(f"/v1/envelopes/{envelope}/signers/{signer}/signing-link")).json()["token"]
        body = {"signature": {"kind": "typed", "text": "Ada"}, "consent": True}
        await timed("sign (B-LTA)", client.post(f"/v1/signing/{token}/sign", json=body))
    return steps


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    files = [(name, BY_ID[name].make()) for name in HEAVY] + [("ordinary-10MB", make_pdf_of_size(10 * 1024 * 1024))]
    with tempfile.TemporaryDirectory() as directory:
        env = environment(Path(directory) / "data", None)
        key = api_key(env)
        port = free_port()
        with serving(env, port) as url:
            pid = server_pid(port)
            async with httpx.AsyncClient(base_url=url) as client:  # warm up: the fork server, the first sandbox child
                await client.post("/v1/verify", files={"file": ("w.pdf", make_pdf(), "application/pdf")},
                                  headers={"Authorization": f"Bearer {key}"})
            before = rss_mib(pid)
            with probing(url) as quiet:
                await asyncio.sleep(2)

            memory: list[float] = []
            stop = asyncio.Event()
            watcher = asyncio.create_task(watch_memory(pid, stop, memory))
            with probing(url) as busy:
                started = time.perf_counter()
                answers = await upload_all(url, key, files, args.rounds, args.concurrency)
                elapsed = time.perf_counter() - started
            stop.set()
            await watcher
            await asyncio.sleep(1)
            after = rss_mib(pid)
            with probing(url) as signing:
                signed = await largest_accepted_through_signing(url, key)

    print(f"load average at the start: {load_before:.2f}, at the end: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    print(f"{len(files)} files x {args.rounds} rounds, upload and verify, {args.concurrency} at a time: {elapsed:.1f} s")
    print(f"/health quiet: p50 {statistics.median(quiet):.1f} ms, max {max(quiet):.1f} ms ({len(quiet)} probes)")
    print(f"/health under hostile uploads: p50 {statistics.median(busy):.1f} ms, p95 {percentile(busy, 0.95):.1f} ms, "
          f"p99 {percentile(busy, 0.99):.1f} ms, max {max(busy):.1f} ms ({len(busy)} probes)")
    print(f"server RSS: {before:.0f} MiB before, {max(memory, default=before):.0f} MiB peak, {after:.0f} MiB after")
    print(f"the largest document accepted ({MAX_PAGES} pages): " + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in signed))
    print(f"/health meanwhile: p50 {statistics.median(signing):.1f} ms, p99 {percentile(signing, 0.99):.1f} ms, "
          f"max {max(signing):.1f} ms ({len(signing)} probes)")
    for name, results in sorted(answers.items()):
        outcomes = sorted({f"{status} {code}".strip() for status, code, _ in results})
        print(f"  {name:45} {', '.join(outcomes):35} max {max(seconds for *_, seconds in results):.2f} s")


if __name__ == "__main__":
    asyncio.run(main())
