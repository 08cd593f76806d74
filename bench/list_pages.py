"""Listing page 1 and page 10,000 of a tenant's envelopes on PostgreSQL, with 1,000,000 envelopes.

Seeds the envelopes (one recipient each) straight into a throwaway PostgreSQL, starts
`undersign serve` as its own process and times GET /v1/envelopes from this process:
the first page, and the page that starts after 9,999 pages of `limit` envelopes (its
cursor is computed from the data, as a client that had walked there would hold it).
Prints the medians and their ratio; asserts nothing about speed.

    python bench/list_pages.py [--envelopes 1000000] [--limit 20] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from _stack import api_key, database_server, environment, serving
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.servers import PostgreSQLServer, free_port
from undersign.application.envelopes.ports import EnvelopeCursor
from undersign.entrypoints.http.envelopes import encode_cursor

SEED = """
INSERT INTO envelopes (id, tenant_id, version, status, subject, message, routing, document_ids, policy,
                       created_at, updated_at, sent_at, expires_at, completed_at, voided_reason)
SELECT md5('envelope' || g), :tenant, 1, (ARRAY['draft', 'sent', 'completed'])[1 + g % 3], 'Agreement ' || g, '',
       'sequential', '[]', NULL, CAST(:start AS timestamptz) + g * interval '1 second', CAST(:start AS timestamptz) + g * interval '1 second',
       NULL, NULL, NULL, NULL
FROM generate_series(1, :count) AS g;
INSERT INTO signers (id, tenant_id, envelope_id, position, name, email, role, routing_order, status)
SELECT md5('signer' || g), :tenant, md5('envelope' || g), 0, 'Signer ' || g, 'signer' || g || '@example.com',
       'signer', 1, 'pending'
FROM generate_series(1, :count) AS g;
"""


async def seed(url: str, count: int) -> str:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        tenant = (await connection.execute(text("SELECT id FROM tenants WHERE slug = 'bench'"))).scalar_one()
        started = time.perf_counter()
        for statement in filter(str.strip, SEED.split(";")):
            await connection.execute(text(statement), {"tenant": tenant, "count": count, "start": datetime(2026, 1, 1, tzinfo=UTC)})
        print(json.dumps({"seeded_envelopes": count, "seconds": round(time.perf_counter() - started, 1)}), flush=True)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("ANALYZE"))
    await engine.dispose()
    return tenant


async def cursor_after(url: str, tenant: str, pages: int, limit: int) -> str:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        row = (await connection.execute(
            text("SELECT created_at, id FROM envelopes WHERE tenant_id = :tenant "
                 "ORDER BY created_at DESC, id DESC OFFSET :skip LIMIT 1"),
            {"tenant": tenant, "skip": pages * limit - 1},
        )).one()  # fmt: skip
    await engine.dispose()
    return encode_cursor(EnvelopeCursor(created_at=row.created_at, id=row.id))


def timed_get(client: httpx.Client, params: dict) -> float:
    started = time.perf_counter()
    response = client.get("/v1/envelopes", params=params)
    elapsed = time.perf_counter() - started
    if response.status_code != 200 or not response.json()["items"]:
        raise SystemExit(f"unexpected answer: {response.status_code} {response.text[:200]}")
    return elapsed


def medians_ms(client: httpx.Client, pages: list[dict], requests: int) -> list[float]:
    """Requests alternate between the pages, so drift in the machine's load hits them alike."""
    timings: list[list[float]] = [[] for _ in pages]
    for _ in range(requests):
        for page, samples in zip(pages, timings):
            samples.append(timed_get(client, page))
    return [statistics.median(samples) * 1000 for samples in timings]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envelopes", type=int, default=1_000_000)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--page", type=int, default=10_000)
    args = parser.parse_args()
    with database_server(PostgreSQLServer) as server, tempfile.TemporaryDirectory(prefix="undersign-bench-") as directory:
        env = environment(Path(directory), server.url())
        key = api_key(env)
        tenant = asyncio.run(seed(server.url(), args.envelopes))
        deep = asyncio.run(cursor_after(server.url(), tenant, args.page - 1, args.limit))
        with serving(env, free_port()) as url, httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as client:
            pages = [{"limit": args.limit}, {"limit": args.limit, "cursor": deep}]
            medians_ms(client, pages, 20)  # warm the caches and the connection pool
            first, deep_page = medians_ms(client, pages, args.requests)
    print(json.dumps({
        "engine": "postgresql", "envelopes": args.envelopes, "limit": args.limit, "requests": args.requests,
        "page_1_median_ms": round(first, 2), f"page_{args.page}_median_ms": round(deep_page, 2),
        "ratio": round(deep_page / first, 3),
    }), flush=True)


if __name__ == "__main__":
    main()
