"""Running Undersign as separate processes for benchmarks: the CLI, `undersign serve`, a load process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.servers starts throwaway database servers

from tests.servers import Server, answers_in_time, running  # noqa: E402 - needs ROOT on sys.path


def environment(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "UNDERSIGN_DATA_DIR": str(data_dir), "UNDERSIGN_LOG_LEVEL": "WARNING", "UNDERSIGN_LOG_FORMAT": "json"}
    if database_url:
        env["UNDERSIGN_DATABASE_URL"] = database_url
    return env


def cli(env: dict[str, str], *args: str, bin_dir: Path = BIN) -> dict:
    """`undersign ARGS --json`: this checkout's, or the one installed in `bin_dir`."""
    command = [str(bin_dir / "undersign"), *args, "--json"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"undersign {' '.join(args)} failed: {result.stderr}")
    return json.loads(result.stdout)


def api_key(env: dict[str, str], tenant: str = "bench", *, bin_dir: Path = BIN) -> str:
    cli(env, "db", "upgrade", bin_dir=bin_dir)
    cli(env, "tenant", "create", tenant, bin_dir=bin_dir)
    return cli(env, "apikey", "create", "--tenant", tenant, bin_dir=bin_dir)["key"]


@contextmanager
def serving(env: dict[str, str], port: int, *options: str) -> Iterator[str]:
    """`undersign serve` in its own process until the block ends; its URL."""
    with served_process(env, port, *options) as (url, _):
        yield url


@contextmanager
def served_process(env: dict[str, str], port: int, *options: str, bin_dir: Path = BIN) -> Iterator[tuple[str, int]]:
    """`undersign serve [options]` in its own process until the block ends; its URL and process id.
    `bin_dir`: where the `undersign` to run is installed (another checkout's, to compare two versions).

    Its log goes to a file, not a pipe: nobody reads a pipe while the benchmark runs, and a
    full one would stall the server mid-run.
    """
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen([str(bin_dir / "undersign"), "serve", "--port", str(port), *options], env=env,
                                  stdout=subprocess.DEVNULL, stderr=log, text=True)  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            started = answers_in_time(lambda: _ready(url), server, interval=0.2)
            if started:
                yield url, server.pid
        finally:
            server.terminate()
            server.wait(timeout=30)
        if not started:
            log.seek(0)
            raise SystemExit(f"the server did not start: {log.read()}")


def load_average() -> str:
    """The machine's load over 1, 5 and 15 minutes, printed beside every figure."""
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def cpu_seconds(root: int) -> float:
    """Seconds of CPU (user + system) used by `root` and every process under it, from /proc: live
    ones, and reaped ones through their parents' cutime and cstime (the PDF sandbox's children)."""
    stats: dict[int, list[str]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        stats[int(entry)] = text.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    tree, grew = {root}, True
    while grew:
        below = {pid for pid, fields in stats.items() if int(fields[1]) in tree} - tree
        tree |= below
        grew = bool(below)
    # Fields 14-17 of stat (utime, stime, cutime, cstime), counted from the state (field 3) here.
    ticks = sum(int(value) for pid in tree if pid in stats for value in stats[pid][11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ready", timeout=2):
            return True
    except OSError:
        return False


@contextmanager
def database_server(kind: type[Server]) -> Iterator[Server]:
    """tests.servers.running for a script: a server that is not installed ends the run with
    the message naming its package, where in a test it would fail the test."""
    try:
        with running(kind) as server:
            yield server
    except pytest.fail.Exception as missing:
        raise SystemExit(f"cannot run the benchmark: {missing}") from None
