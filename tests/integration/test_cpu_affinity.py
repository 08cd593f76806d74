"""A server process's threads on one CPU, each process of an installation on another, its PDF readers on every CPU.

Each check pins a process of its own: the test process keeps every CPU.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Pins itself, starts a thread after, then reports every thread's CPUs; holds its claim until stdin closes.
_PIN = """
import json, os, sys, threading
from pathlib import Path
from undersign.adapters.system.cpu_affinity import pin_to_one_cpu

if len(sys.argv) > 2:  # allowed this CPU only, as by taskset
    os.sched_setaffinity(0, {int(sys.argv[2])})
before = threading.Thread(target=threading.Event().wait, daemon=True)
before.start()
cpu = pin_to_one_cpu(Path(sys.argv[1]))
assert pin_to_one_cpu(Path(sys.argv[1])) == cpu  # asked again: the CPU it holds
after = threading.Thread(target=threading.Event().wait, daemon=True)
after.start()
threads = {int(t): sorted(os.sched_getaffinity(int(t))) for t in os.listdir("/proc/self/task")}
print(json.dumps({"cpu": cpu, "threads": list(threads.values())}), flush=True)
sys.stdin.read()
"""

_SANDBOX_CHILD = """
import asyncio, json, sys
from pathlib import Path
from undersign.adapters.signing.sandbox import PdfLimits, PdfSandbox
from undersign.adapters.system import cpu_affinity
from tests import sandbox_tasks

pinned = cpu_affinity.pin_to_one_cpu(Path(sys.argv[1]))
sandbox = PdfSandbox(PdfLimits(), cpu_affinity.unpin_child)
child = asyncio.run(sandbox.run(sandbox_tasks.allowed_cpus, b""))
print(json.dumps({"pinned": pinned, "child": child}))
"""

ALLOWED = sorted(os.sched_getaffinity(0))


@pytest.fixture(autouse=True)
def _two_cpus_or_more() -> None:
    assert len(ALLOWED) >= 2, "these tests need a machine with two CPUs or more"


def _pinned(claims: Path, *only_cpu: str) -> tuple[subprocess.Popen[str], dict]:
    process = subprocess.Popen(
        [sys.executable, "-c", _PIN, str(claims), *only_cpu], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())


def test_every_thread_of_a_pinned_process_runs_on_its_one_cpu(tmp_path: Path) -> None:
    process, report = _pinned(tmp_path)
    process.communicate("")
    assert report["cpu"] in ALLOWED
    assert len(report["threads"]) >= 3  # the main thread, one started before, one after
    assert all(cpus == [report["cpu"]] for cpus in report["threads"])


def test_a_process_allowed_one_cpu_only_claims_none(tmp_path: Path) -> None:
    process, report = _pinned(tmp_path, str(ALLOWED[-1]))
    process.communicate("")
    assert report["cpu"] is None
    assert not list(tmp_path.iterdir())  # no claim left to keep another process off that CPU


def test_a_process_that_cannot_make_its_claim_runs_unpinned(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the data directory should be")
    process, report = _pinned(tmp_path / "data" / "cpus")
    process.communicate("")
    assert report["cpu"] is None
    assert all(cpus == ALLOWED for cpus in report["threads"])


def test_the_processes_of_one_installation_claim_different_cpus_and_the_rest_stay_free(tmp_path: Path) -> None:
    processes = [_pinned(tmp_path) for _ in range(len(ALLOWED) + 1)]
    try:
        claimed = [report["cpu"] for _, report in processes]
        assert sorted(claimed[:-1]) == ALLOWED  # one CPU each
        assert claimed[-1] is None  # every CPU taken: left where the scheduler puts it
        assert all(cpus == ALLOWED for cpus in processes[-1][1]["threads"])
    finally:
        for process, _ in processes:
            process.communicate("")


def test_a_cpu_is_claimed_again_once_its_process_has_ended(tmp_path: Path) -> None:
    first, report = _pinned(tmp_path)
    first.kill()  # however it ends, the kernel lets go of its claim
    first.wait()
    others = [_pinned(tmp_path) for _ in ALLOWED]
    try:
        assert sorted(other["cpu"] for _, other in others) == ALLOWED
        assert report["cpu"] in ALLOWED
    finally:
        for process, _ in others:
            process.communicate("")


def test_the_pdf_readers_of_a_pinned_process_run_on_every_cpu_it_was_allowed(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", _SANDBOX_CHILD, str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["pinned"] in ALLOWED
    assert report["child"] == ALLOWED
