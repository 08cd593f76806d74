"""Resident memory of the API process while a 50 MB PDF is uploaded, signed twice, sealed and downloaded.

Issue 16's target: the process grows by less than 20 MB, which it can only if uploads,
signatures, the seal and downloads go through the blob store and temporary files, never the
whole document in memory. `undersign serve` runs in its own process (embedded default: SQLite, and the seal and
the certificate of completion made by its own background loop) on a fresh data directory, with
documents on the file system (`file`) or on S3 (`s3`: moto's server on loopback).

One small envelope goes the whole way first, so imports and first-use set-up are not charged
to the large one; then, once the server is idle, the baseline: VmRSS from /proc/<pid>/status,
and the peak (VmHWM) reset to it (`5` into /proc/<pid>/clear_refs). The large envelope then
goes the whole way over HTTP, as in server_cost.py: create, upload (multipart, streamed from a
file), two recipients with a signature field each, send, a signing link each, both sign in
turn, wait until its document is sealed, download the sealed PDF, then the certificate of
completion. After each step VmRSS and VmHWM are read and the peak is reset again, so each step
shows its own peak ("send" covers the recipients, their fields and the send, which adds the
form fields to the document). The PDF sandbox's children (forked from its fork server, under
the API process) live for a moment only: a thread samples the VmHWM of every process under the
server that was not there at the baseline (so not the fork server) every 50 ms, and the highest
seen during a step is printed beside it.

Per store one JSON line: the PDF's size, the baseline, each step's RSS and peak, the growth of
the peak over the baseline (the figure the target is about) and whether it is under 20 MiB,
and the load average (1, 5, 15 min). Asserts nothing.

    python bench/storage_memory.py [--size-mb 50] [--stores file,s3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from _stack import api_key, database_server, environment, served_process

from tests.pdf_samples import make_pdf_of_size
from tests.servers import MotoS3Server, free_port

TARGET_MIB = 20
IDLE_SECONDS = 3.0
SAMPLE_SECONDS = 0.05
KIB_PER_MIB = 1024


def status_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of `pid` in KiB (empty if it has gone)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {key: int(value.split()[0]) for key, _, value in (line.partition(":") for line in lines)
            if key in ("VmRSS", "VmHWM")}  # fmt: skip


def reset_peak(pid: int) -> None:
    """VmHWM back to the current VmRSS, so the next reading is the peak since now."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    tree, grew = {root}, True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= below
        grew = bool(below)
    return tree - {root}


class ChildPeaks:
    """The highest VmHWM of any process started under the server since it was made (the sandbox's
    children, not its fork server) seen since the last `take()`, sampled in a thread."""

    def __init__(self, root: int) -> None:
        self._root, self._peak, self._lock, self._stop = root, 0, threading.Lock(), threading.Event()
        self._long_lived = descendants(root)
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            children = descendants(self._root) - self._long_lived
            seen = max((status_kib(pid).get("VmHWM", 0) for pid in children), default=0)
            with self._lock:
                self._peak = max(self._peak, seen)

    def take(self) -> int:
        with self._lock:
            peak, self._peak = self._peak, 0
        return peak

    @contextmanager
    def running(self) -> Iterator[ChildPeaks]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


class Steps:
    """Each step's RSS, peak and children's peak, read when it ends; the peaks reset for the next."""

    def __init__(self, server: int, children: ChildPeaks) -> None:
        self.server, self.children = server, children
        self.figures: dict[str, dict[str, float]] = {}
        self._started = time.perf_counter()

    def baseline(self) -> dict[str, float]:
        before = status_kib(self.server)
        reset_peak(self.server)
        self.children.take()
        self._started = time.perf_counter()
        return {"baseline_rss_mib": mib(before["VmRSS"]), "startup_hwm_mib": mib(before["VmHWM"])}

    def done(self, step: str) -> None:
        now = status_kib(self.server)
        reset_peak(self.server)
        self.figures[step] = {"rss_mib": mib(now["VmRSS"]), "hwm_mib": mib(now["VmHWM"]),
                              "children_hwm_mib": mib(self.children.take()),
                              "seconds": round(time.perf_counter() - self._started, 2)}  # fmt: skip
        self._started = time.perf_counter()


def mib(kib: int) -> float:
    return round(kib / KIB_PER_MIB, 1)


async def envelope(client: httpx.AsyncClient, pdf: Path, done: Callable[[str], None] = lambda step: None) -> None:
    """One envelope over HTTP from creation to its downloads; `done(step)` after each measured step."""

    async def post(path: str, **kwargs: Any) -> dict[str, Any]:
        response = await client.post(path, **kwargs)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{path}: {response.status_code} {response.text}")
        return response.json()

    base = f"/v1/envelopes/{(await post('/v1/envelopes', json={'subject': 'Storage memory'}))['id']}"
    with pdf.open("rb") as file:  # httpx streams a file object's multipart part in chunks
        document = await post(f"{base}/documents", files={"file": ("large.pdf", file, "application/pdf")})
    done("upload")
    signers = []
    for who, y in (("ada", 600), ("bob", 700)):
        signer = await post(f"{base}/signers", json={"name": who.title(), "email": f"{who}@example.com"})
        await post(f"{base}/fields", json={"document_id": document["id"], "signer_id": signer["id"], "kind": "signature",
                                           "page": 1, "x": 72, "y": y, "width": 180, "height": 40})  # fmt: skip
        signers.append(signer["id"])
    await post(f"{base}/send")  # the document's form fields are added here (its "prepared" revision)
    done("send")
    for n, signer_id in enumerate(signers, 1):
        link = await post(f"{base}/signers/{signer_id}/signing-link")
        await post(f"/v1/signing/{link['token']}/sign", json={"signature": {"kind": "typed", "text": "Signed"}, "consent": True})
        done(f"sign_{n}")
    deadline = time.monotonic() + 600
    while not all(d["status"] == "sealed" for d in (await client.get(base)).json()["documents"]):
        if time.monotonic() > deadline:
            raise RuntimeError("the document was not sealed in time")
        await asyncio.sleep(0.2)
    done("sealed")
    await download(client, f"{base}/documents/{document['id']}/content")
    done("download_pdf")
    while await download(client, f"{base}/certificate") == 0:  # 409 until it is made
        if time.monotonic() > deadline:
            raise RuntimeError("no certificate of completion in time")
        await asyncio.sleep(0.2)
    done("download_certificate")


async def download(client: httpx.AsyncClient, path: str) -> int:
    """Reads a PDF response to its end without keeping it; its size, or 0 when the server says 409 (not yet)."""
    async with client.stream("GET", path) as response:
        if response.status_code == 409:
            return 0
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {(await response.aread())[:500]!r}")
        size, first = 0, b""
        async for chunk in response.aiter_bytes():
            first, size = first or chunk[:5], size + len(chunk)
    if first != b"%PDF-":
        raise RuntimeError(f"{path} is not a PDF")
    return size


async def drive(url: str, key: str, server: int, small: Path, large: Path) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=600) as client:
        before = status_kib(server)["VmRSS"]
        await envelope(client, small)  # warm up: imports and first-use set-up
        await asyncio.sleep(IDLE_SECONDS)
        warm_up = {"warm_up_rss_growth_mib": mib(status_kib(server)["VmRSS"] - before)}
        with ChildPeaks(server).running() as children:
            steps = Steps(server, children)
            baseline = steps.baseline()
            await envelope(client, large, steps.done)
    base = baseline["baseline_rss_mib"]
    peak = max(step["hwm_mib"] for step in steps.figures.values())
    return {**warm_up, **baseline, "steps": steps.figures, "peak_growth_mib": round(peak - base, 1),
            "rss_growth_mib": round(steps.figures["download_certificate"]["rss_mib"] - base, 1),
            "children_hwm_mib": max(step["children_hwm_mib"] for step in steps.figures.values()),
            "target_mib": TARGET_MIB, "target_met": peak - base < TARGET_MIB}  # fmt: skip


def measure(store: str, blob_url: str | None, extra_env: dict[str, str], small: Path, large: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="undersign-bench-memory-") as directory:
        env = {**environment(Path(directory), None), **extra_env}
        # The default cap (50 MiB) takes a 50 MB PDF; a larger --size-mb needs a larger one.
        env["UNDERSIGN_MAX_UPLOAD_MB"] = str(max(50, large.stat().st_size // 2**20 + 2))
        if blob_url:
            env["UNDERSIGN_BLOB_URL"] = blob_url
        key = api_key(env)
        with served_process(env, free_port()) as (url, server):
            figures = asyncio.run(drive(url, key, server, small, large))
    return {"store": store, "pdf_bytes": large.stat().st_size, **figures,
            "load_average": [round(load, 2) for load in os.getloadavg()]}  # fmt: skip


def on_s3(small: Path, large: Path) -> dict[str, Any]:
    import boto3

    credentials = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    with database_server(MotoS3Server) as moto:
        boto3.client("s3", endpoint_url=moto.endpoint, aws_access_key_id="bench", aws_secret_access_key="bench",
                     region_name="us-east-1").create_bucket(Bucket="bench")  # fmt: skip
        url = f"s3://bench/documents?endpoint_url={moto.endpoint}&addressing_style=path"
        return measure("s3", url, credentials, small, large)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, default=50, help="size of the large PDF in MB (10^6 bytes)")
    parser.add_argument("--stores", default="file", help="file, s3 or both (file,s3)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="undersign-bench-pdf-") as directory:
        small, large = Path(directory) / "small.pdf", Path(directory) / "large.pdf"
        small.write_bytes(make_pdf_of_size(100_000))
        large.write_bytes(make_pdf_of_size(int(options.size_mb * 1_000_000)))
        for store in options.stores.split(","):
            if store == "file":
                result = measure("file", None, {}, small, large)
            elif store == "s3":
                result = on_s3(small, large)
            else:
                raise SystemExit(f"unknown store {store!r}")
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
