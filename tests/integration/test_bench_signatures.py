"""bench/signatures.py still runs against the signing adapter as it is (it broke once, unnoticed, when
`prepare` moved to files): one small run, its table checked for a row per size. No figure is judged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_signature_benchmark_runs_and_prints_a_row_per_size() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "signatures.py"), "--runs", "1", "--sizes", "100K,1M"],
        capture_output=True, text=True, timeout=300, check=False,
    )

    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.split()[:1] in (["100K"], ["1M"])]
    assert [row[0] for row in rows] == ["100K", "1M"], result.stdout
    assert all(row.count("ms") == 4 for row in rows), result.stdout  # raw pyHanko (twice), B-B and B-LTA timed
