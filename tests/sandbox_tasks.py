"""Work for the PDF sandbox's tests to run in its children (module-level: a child gets it by name)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from undersign.application.shared.errors import PdfActiveContent

# Each takes the document the sandbox sends down its pipe first.


def echo(document: bytes) -> bytes:
    return document


def sleep_and_note(_: bytes, pid_file: str, seconds: float) -> None:
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(seconds)


def allocate(_: bytes, megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def die(_: bytes) -> None:
    os._exit(3)


def refuse(_: bytes) -> None:
    raise PdfActiveContent("a refusal made in the child")


def recurse(_: bytes, depth: int = 0) -> int:
    return recurse(_, depth + 1)


def log_overlap(_: bytes, log: str, seconds: float) -> None:
    """Write when this child starts and ends, so the test can tell how many ran at once."""
    with open(log, "a") as file:
        file.write(f"start {os.getpid()}\n")
    time.sleep(seconds)
    with open(log, "a") as file:
        file.write(f"end {os.getpid()}\n")


def niceness(_: bytes) -> int:
    return os.getpriority(os.PRIO_PROCESS, 0)


def allowed_cpus(_: bytes) -> list[int]:
    return sorted(os.sched_getaffinity(0))
