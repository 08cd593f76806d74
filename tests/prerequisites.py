"""What a test needs from the machine: missing, it fails the test in CI and skips it elsewhere.

In CI (CI=true) the test command has installed and started everything, so a missing
program means a broken install, and a test must never pass without what it checks with.
On a developer's machine a skip that names the Debian package is friendlier.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest


def missing(message: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def require_program(name: str, package: str) -> str:
    """The program's path on PATH, or `missing` naming the Debian package that has it."""
    path = shutil.which(name)
    if path is None:
        missing(f"`{name}` is not installed (Debian: apt-get install -y {package})")
    return path
