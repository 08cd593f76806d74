"""Complete two-signer envelopes per second through the HTTP API: on SQLite and PostgreSQL, with 1 and 2 API processes.

Each run starts `undersign serve [--workers N]` as its own process and drives it from another
process (bench/lifecycle_load.py): create, upload, two signers with a field each, send, both
sign at once, completed. Prints one line of figures per engine and number of processes: envelopes
per second, and the server's CPU seconds per envelope (its processes' user + system time from
/proc, background jobs included: on the embedded default they run in the server). The load
average is printed beside them: on a machine with two cores the load generator takes a share of
what a second API process would use. Asserts nothing about speed.

    python bench/throughput.py [--envelopes 100] [--concurrency 8] [--engines sqlite,postgresql] [--processes 1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _stack import ROOT, api_key, cpu_seconds, database_server, environment, served_process

from tests.servers import PostgreSQLServer, free_port


def measure(engine: str, database_url: str | None, processes: int, envelopes: int, concurrency: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"undersign-bench-{engine}-") as directory:
        env = environment(Path(directory), database_url)
        key = api_key(env, tenant=f"bench-{processes}")  # a PostgreSQL server is shared by the runs
        with served_process(env, free_port(), "--workers", str(processes)) as (url, pid):
            before = cpu_seconds(pid)
            load = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "lifecycle_load.py"), "--url", url, "--key", key,
                 "--envelopes", str(envelopes), "--concurrency", str(concurrency)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            spent = cpu_seconds(pid) - before
    if load.returncode != 0:
        raise SystemExit(f"{engine}: the load generator failed: {load.stderr}")
    return {
        "engine": engine, "processes": processes, **json.loads(load.stdout),
        "server_cpu_seconds_per_envelope": round(spent / envelopes, 3),
        "cpus": os.cpu_count(), "load_average": [round(n, 2) for n in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envelopes", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--processes", default="1,2", help="API processes to compare, comma-separated")
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    for engine in args.engines.split(","):
        if engine == "sqlite":
            results = [measure("sqlite", None, n, args.envelopes, args.concurrency) for n in counts]
        elif engine == "postgresql":
            with database_server(PostgreSQLServer) as server:
                results = [measure("postgresql", server.url(), n, args.envelopes, args.concurrency) for n in counts]
        else:
            raise SystemExit(f"unknown engine {engine!r}")
        for result in results:
            result["speedup"] = round(result["envelopes_per_second"] / results[0]["envelopes_per_second"], 2)
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
