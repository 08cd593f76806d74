"""One log stream, one format: the libraries' records come out as ours do, from WARNING up unless debugging."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_LOG = """
import logging, sys
import structlog
from undersign.adapters.system.logging import configure_logging

configure_logging(json=True, level=sys.argv[1])
logging.getLogger("fontTools.subset").info("Glyph names: ['B', 'e', 'n']")
logging.getLogger("pyhanko.sign.validation").warning("a library's warning")
structlog.get_logger("undersign.signing").info("ours")
try:
    raise ValueError("the cause")
except ValueError:
    logging.getLogger("sqlalchemy.pool").exception("a library's error")
"""


def _logged(level: str) -> list[dict]:
    result = subprocess.run([sys.executable, "-c", _LOG, level], capture_output=True, text=True, check=True, timeout=60)
    return [json.loads(line) for line in result.stderr.splitlines()]


def test_library_records_are_json_lines_beside_ours_from_warning_up() -> None:
    logged = _logged("INFO")
    assert [(line["event"], line["level"]) for line in logged] == [
        ("a library's warning", "warning"), ("ours", "info"), ("a library's error", "error"),
    ]  # fmt: skip
    warning, _, error = logged
    assert warning["logger"] == "pyhanko.sign.validation" and warning["timestamp"].endswith("Z")
    assert "ValueError: the cause" in error["exception"]


@pytest.mark.parametrize(("level", "events"), [("DEBUG", 4), ("ERROR", 1)])
def test_the_configured_level_holds_for_library_records_too(level: str, events: int) -> None:
    assert len(_logged(level)) == events
