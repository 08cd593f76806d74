"""A server process's threads kept on one CPU, each process of an installation on its own.

A server process runs Python in several threads: the event loop, the signing and rendering
threads, one thread per SQLite connection. They take turns holding the interpreter lock, and
the turn passes many times a millisecond. Left to the scheduler, the threads run on whichever
CPU is free, so the objects the next holder touches are in another core's cache, and every
reference count it writes moves a cache line across. It gains nothing, since one thread runs
Python at a time. On 2 cores, two servers taking turns (bench/paired.py): CPU per envelope
0.82 times as much pinned, four at a time, and 0.96 times one at a time; on PostgreSQL, eight
at a time, 3.61 envelopes/s at 0.28 s of CPU each against 2.31 at 0.46 (bench/throughput.py).

So `undersign serve` (each of its processes) and `undersign worker` pin all their threads to
one CPU. Each process claims its CPU with an advisory lock on a file under the data directory,
held as long as it runs (the kernel lets go of it when the process ends, however it ends), so
the processes of one installation take different CPUs. A process that finds every CPU
claimed, that may run on one CPU only, or that cannot claim or pin (a read-only data
directory, a sandbox that forbids it) stays where the scheduler places it: pinning saves CPU,
it is never a reason not to serve. UNDERSIGN_PIN_CPU=false turns it off, for a machine where
something else decides where processes run.

The processes a pinned one starts (the PDF sandbox's readers) get back every CPU it was
allowed (`unpin_child`): a hostile PDF's reader must not compete with the API on its CPU
while the others are free.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

# What the process was allowed before it pinned itself, for the processes it starts.
ALLOWED_CPUS_VARIABLE = "UNDERSIGN_ALLOWED_CPUS"

_claimed: list[tuple[int, int]] = []  # (the lock file, open for the life of the process; its CPU)


def pin_to_one_cpu(claims_dir: Path) -> int | None:
    """Pin this process's threads, and those it starts later, to a CPU no other process here claimed.

    The CPU pinned to, or None where there is nothing to gain or nothing left to claim.
    """
    if _claimed:
        return _claimed[0][1]
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None
    # From the CPU the process runs on: installations that do not share a data directory
    # then spread as the scheduler spread them, instead of all claiming the first CPU.
    current = _current_cpu()
    here = allowed.index(current) if current in allowed else 0
    try:
        claims_dir.mkdir(parents=True, exist_ok=True)
        for cpu in allowed[here:] + allowed[:here]:
            if _claim(claims_dir / f"cpu-{cpu}.lock", cpu, allowed):
                return cpu
    except OSError:
        pass
    return None


def _claim(path: Path, cpu: int, allowed: list[int]) -> bool:
    """Whether `cpu` was free and this process now holds it, its threads pinned to it."""
    lock = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # another process holds it
        os.close(lock)
        return False
    try:
        _pin_threads({cpu})
    except OSError:  # pinning forbidden: let go of the claim, another process may manage
        os.close(lock)
        raise
    _claimed.append((lock, cpu))
    os.environ[ALLOWED_CPUS_VARIABLE] = ",".join(map(str, allowed))
    return True


def unpin_child() -> None:
    """In a process started by a pinned one: run on every CPU the parent was allowed before it pinned."""
    allowed = os.environ.get(ALLOWED_CPUS_VARIABLE)
    if not allowed or not hasattr(os, "sched_setaffinity"):
        return
    try:
        os.sched_setaffinity(0, {int(cpu) for cpu in allowed.split(",")})
    except (OSError, ValueError):
        pass  # those CPUs are gone (a cpuset changed): it runs where its parent does, which still works


def _current_cpu() -> int | None:
    try:
        # /proc/self/stat: the 39th field is the CPU the process last ran on (after the
        # command name, which may hold spaces and parentheses).
        return int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[36])
    except (OSError, IndexError, ValueError):
        return None


def _pin_threads(cpus: set[int]) -> None:
    # sched_setaffinity(0) sets the calling thread only; threads started later inherit from
    # the thread that starts them. Those running already are set one by one.
    for thread in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(thread), cpus)
        except ProcessLookupError:  # ended meanwhile
            continue
