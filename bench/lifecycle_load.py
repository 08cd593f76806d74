"""Load generator: complete two-signer envelopes through the HTTP API, as fast as it can.

Run as its own process against a running server, so the load does not share a process
or an event loop with what it measures. Prints one JSON object with its figures.

    python bench/lifecycle_load.py --url http://127.0.0.1:8000 --key usk_... --envelopes 100 --concurrency 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import httpx

CONTRACT = (Path(__file__).resolve().parent.parent / "examples" / "contract.pdf").read_bytes()


async def complete_one(client: httpx.AsyncClient, n: int) -> float:
    """create, upload, two signers with a field each, send, both sign; returns seconds taken."""
    started = time.perf_counter()

    async def post(path: str, **kwargs: object) -> dict:
        response = await client.post(path, **kwargs)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{path}: {response.status_code} {response.text}")
        return response.json()

    envelope = await post("/v1/envelopes", json={"subject": f"Bench {n}", "routing": "parallel"})
    base = f"/v1/envelopes/{envelope['id']}"
    document = await post(f"{base}/documents", files={"file": ("contract.pdf", CONTRACT, "application/pdf")})
    tokens = []
    for who, y in (("ada", 600), ("bob", 700)):
        signer = await post(f"{base}/signers", json={"name": who.title(), "email": f"{who}.{n}@example.com"})
        await post(f"{base}/fields", json={"document_id": document["id"], "signer_id": signer["id"], "kind": "signature",
                                           "page": 2, "x": 72, "y": y, "width": 180, "height": 40})
        tokens.append(signer["id"])
    await post(f"{base}/send")
    links = [await post(f"{base}/signers/{signer_id}/signing-link") for signer_id in tokens]
    results = await asyncio.gather(*(
        post(f"/v1/signing/{link['token']}/sign", json={"signature": {"kind": "typed", "text": "Signed"}, "consent": True})
        for link in links
    ))
    if "completed" not in {r["envelope_status"] for r in results}:
        raise RuntimeError(f"envelope {envelope['id']} did not complete")
    return time.perf_counter() - started


async def run(url: str, key: str, envelopes: int, concurrency: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(envelopes):
        queue.put_nowait(n)
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency * 2)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120, limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                latencies.append(await complete_one(client, queue.get_nowait()))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "envelopes": envelopes,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "envelopes_per_second": round(envelopes / elapsed, 2),
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "latency_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--envelopes", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    json.dump(asyncio.run(run(args.url, args.key, args.envelopes, args.concurrency)), sys.stdout)
    print()


if __name__ == "__main__":
    main()
