"""The end-to-end tests' stack (tests/stack.py): SQLite and files in a fresh data directory per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.stack import serve, settings_for


@pytest.fixture
async def stack(tmp_path: Path):
    async with serve(settings_for(tmp_path / "data")) as stack:
        yield stack
