"""Undersign as real processes for end-to-end tests: an installation made with the CLI, `undersign serve` on a port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.servers import answers_in_time, free_port, undersign_process

UNDERSIGN = str(Path(sys.executable).parent / "undersign")


def installation(data_dir: Path, **settings: str) -> tuple[dict[str, str], str]:
    """The environment of an embedded installation in `data_dir` (its database migrated, tenant `acme` made)
    with `settings` (UNDERSIGN_* variables) added, and an admin API key of acme."""
    env = {**os.environ, "UNDERSIGN_DATA_DIR": str(data_dir), "UNDERSIGN_PUBLIC_URL": "https://sign.example.test",
           "UNDERSIGN_LOG_FORMAT": "json", **settings}
    for command in (["db", "upgrade"], ["tenant", "create", "acme"]):
        subprocess.run([UNDERSIGN, *command], env=env, capture_output=True, text=True, check=True)
    made = subprocess.run([UNDERSIGN, "apikey", "create", "--tenant", "acme", "--role", "admin", "--json"],
                          env=env, capture_output=True, text=True, check=True)  # fmt: skip
    return env, json.loads(made.stdout)["key"]


@contextmanager
def serving(env: dict[str, str], log: Path, *options: str, port: int | None = None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`undersign serve [options]` until the block ends (SIGTERM), once it answers /ready: the process and its URL."""
    port = port or free_port()
    with undersign_process(env, log, "serve", "--port", str(port), *options) as process:
        url = f"http://127.0.0.1:{port}"
        assert answers_in_time(lambda: _ready(url), process, interval=0.1), log.read_text()[-3000:]
        yield process, url


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ready", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
