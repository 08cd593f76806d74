"""Work for the PDF sandbox's tests to run in its children (module-level: a child gets it by name)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from application.errors import PdfActiveContent


def echo(value: bytes) -> bytes:
    return value


def sleep_and_note(pid_file: str, seconds: float) -> None:
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(seconds)


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def die() -> None:
    os._exit(3)


def refuse() -> None:
    raise PdfActiveContent("a refusal made in the child")


def recurse(depth: int = 0) -> int:
    return recurse(depth + 1)


def log_overlap(log: str, seconds: float) -> None:
    """Write when this child starts and ends, so the test can tell how many ran at once."""
    with open(log, "a") as file:
        file.write(f"start {os.getpid()}\n")
    time.sleep(seconds)
    with open(log, "a") as file:
        file.write(f"end {os.getpid()}\n")
