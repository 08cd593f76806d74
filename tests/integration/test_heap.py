"""A serving process's start-up objects are kept out of the garbage collector's walks (later garbage is still collected), and its threads on one CPU.

Each check runs in a process of its own: frozen objects are never collected, so the test
process must not freeze its heap.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

_SETTLE = """
import gc, json, weakref
from undersign.adapters.system.heap import settle_heap

class Node:
    pass

def cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)

before = cycle()  # garbage left by start-up
settle_heap()
after = cycle()  # garbage made while serving
frozen, walked = gc.get_freeze_count(), len(gc.get_objects())
gc.collect()
print(json.dumps({"frozen": frozen, "walked": walked, "threshold": gc.get_threshold(),
                  "before_collected": before() is None, "after_collected": after() is None}))
"""

# The command runs as far as handing its app (or container) over; what it hands it to reports instead of serving.
_ENTRY_POINT = """
import gc, json, os, sys
from click.testing import CliRunner
import uvicorn
from undersign.entrypoints.cli.main import cli
import undersign.entrypoints.worker.arq_worker as arq_worker

def report(*args, **kwargs):
    print(json.dumps({"frozen": gc.get_freeze_count(), "youngest_threshold": gc.get_threshold()[0],
                      "cpus": sorted(os.sched_getaffinity(0))}))

uvicorn.run = arq_worker.run_workers = report
result = CliRunner().invoke(cli, sys.argv[1:], catch_exceptions=False)
assert result.exit_code == 0, result.output
print(result.output.splitlines()[-1])
"""


def _run(code: str, *args: str, env: dict[str, str] | None = None) -> dict:
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_settling_freezes_what_exists_and_still_collects_what_comes_later() -> None:
    settled = _run(_SETTLE)
    assert settled["frozen"] > 5_000  # the modules and objects start-up made
    assert settled["walked"] < 100  # what a collection still walks: made since
    assert settled["threshold"][0] == 10_000
    assert settled["before_collected"], "start-up's garbage was frozen instead of collected"
    assert settled["after_collected"], "garbage made after settling was not collected"


@pytest.mark.parametrize("command", [["serve"], ["worker"]])
def test_the_long_running_commands_settle_the_heap_before_they_serve(command: list[str], tmp_path) -> None:
    env = {**os.environ, "UNDERSIGN_DATA_DIR": str(tmp_path), "UNDERSIGN_LOG_FORMAT": "json"}
    if command == ["worker"]:
        env["UNDERSIGN_REDIS_URL"] = "redis://127.0.0.1:1/0"  # never reached: the worker is not started
    reported = _run(_ENTRY_POINT, *command, env=env)
    assert reported["frozen"] > 100_000  # the app, the container, the libraries
    assert reported["youngest_threshold"] == 10_000
    assert len(reported["cpus"]) == 1  # its threads on one CPU (tests/integration/test_cpu_affinity.py)


def test_a_long_running_command_leaves_its_threads_where_the_scheduler_puts_them_if_told_to(tmp_path) -> None:
    env = {**os.environ, "UNDERSIGN_DATA_DIR": str(tmp_path), "UNDERSIGN_LOG_FORMAT": "json", "UNDERSIGN_PIN_CPU": "false"}
    assert _run(_ENTRY_POINT, "serve", env=env)["cpus"] == sorted(os.sched_getaffinity(0))
