"""What a test needs from the machine: missing, it fails the test, naming what to install.

The README's test command installs and starts everything the tests use, so a missing
program means a broken install; a test never passes, or skips, without what it checks with.
"""

from __future__ import annotations

import shutil
from typing import NoReturn

import pytest


def missing(message: str) -> NoReturn:
    pytest.fail(message)


def require_program(name: str, package: str) -> str:
    """The program's path on PATH, or a failure naming the Debian package that has it."""
    path = shutil.which(name)
    if path is None:
        missing(f"`{name}` is not installed (Debian: apt-get install -y {package})")
    return path
