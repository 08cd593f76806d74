"""Running Undersign as separate processes for benchmarks: the CLI, `undersign serve`, a load process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.servers starts throwaway database servers


def environment(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "UNDERSIGN_DATA_DIR": str(data_dir), "UNDERSIGN_LOG_LEVEL": "WARNING", "UNDERSIGN_LOG_FORMAT": "json"}
    if database_url:
        env["UNDERSIGN_DATABASE_URL"] = database_url
    return env


def cli(env: dict[str, str], *args: str) -> dict:
    result = subprocess.run([str(BIN / "undersign"), *args, "--json"], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"undersign {' '.join(args)} failed: {result.stderr}")
    return json.loads(result.stdout)


def api_key(env: dict[str, str], tenant: str = "bench") -> str:
    cli(env, "db", "upgrade")
    cli(env, "tenant", "create", tenant)
    return cli(env, "apikey", "create", "--tenant", tenant)["key"]


@contextmanager
def serving(env: dict[str, str], port: int) -> Iterator[str]:
    """`undersign serve` in its own process until the block ends."""
    server = subprocess.Popen([str(BIN / "undersign"), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/ready", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the server did not start: {server.stderr.read() if server.stderr else ''}")
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
