"""Complete two-signer envelopes per second through the HTTP API, on SQLite and on PostgreSQL.

Each run starts `undersign serve` as its own process and drives it from another process
(bench/lifecycle_load.py): create, upload, two signers with a field each, send, both sign
at once, sealed. Prints one line of figures per engine; asserts nothing about speed.

    python bench/throughput.py [--envelopes 100] [--concurrency 8] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _stack import ROOT, api_key, database_server, environment, serving

from tests.servers import PostgreSQLServer, free_port


def measure(engine: str, database_url: str | None, envelopes: int, concurrency: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"undersign-bench-{engine}-") as directory:
        env = environment(Path(directory), database_url)
        key = api_key(env)
        with serving(env, free_port()) as url:
            load = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "lifecycle_load.py"), "--url", url, "--key", key,
                 "--envelopes", str(envelopes), "--concurrency", str(concurrency)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
    if load.returncode != 0:
        raise SystemExit(f"{engine}: the load generator failed: {load.stderr}")
    return {"engine": engine, **json.loads(load.stdout)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envelopes", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    for engine in args.engines.split(","):
        if engine == "sqlite":
            result = measure("sqlite", None, args.envelopes, args.concurrency)
        elif engine == "postgresql":
            with database_server(PostgreSQLServer) as server:
                result = measure("postgresql", server.url(), args.envelopes, args.concurrency)
        else:
            raise SystemExit(f"unknown engine {engine!r}")
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
