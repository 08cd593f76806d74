"""Server CPU per envelope, one setting or version against another, measured paired: two servers taking turns.

This machine's speed moves by a fifth or more within minutes, so two runs of
bench/server_cost.py minutes apart cannot tell a 10 % change. Here two `undersign serve`
processes run side by side on the embedded default: A with the environment as it is, B with
the settings given (by default UNDERSIGN_PIN_CPU=false: the threads left to the scheduler).
With --a-bin, A is another installation's `undersign` (say an earlier commit's, in a worktree
with a virtual environment of its own), B this checkout's, and both keep the same settings
unless --b is given. Turn after turn, each completes the same envelopes as bench/server_cost.py
(two signers, B-LTA, sealed, both downloads), A first on even turns and B first on odd ones,
and its CPU (from /proc) is read around its turn. A turn's ratio B/A is taken between turns
seconds apart; the median of those ratios holds where the medians of each side drift.

Prints one JSON line; asserts nothing about speed.

    python bench/paired.py [--b UNDERSIGN_PIN_CPU=false] [--turns 10] [--envelopes 8] [--concurrency 4]
    git worktree add /tmp/before HEAD~3 && python3 -m venv /tmp/before/.venv \
        && /tmp/before/.venv/bin/pip install -c constraints.txt -e /tmp/before \
        && python bench/paired.py --a-bin /tmp/before/.venv/bin
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from _stack import BIN, api_key, cpu_seconds, environment, load_average, served_process
from server_cost import run_against, warm_up

from tests.servers import free_port

SETTLE_SECONDS = 1.0  # after a turn: its background work (the last seal, the emails) is counted in it


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--b", action="append", default=[], metavar="NAME=VALUE", help="B's settings (repeatable)")
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--envelopes", type=int, default=8, help="envelopes per turn")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--a-bin", type=Path, default=None, metavar="DIR",
                        help="where A's `undersign` is installed (another version); default: this checkout's")
    args = parser.parse_args()
    # Two versions keep the same settings; one version against itself compares pinning unless told otherwise.
    default_b = ["UNDERSIGN_PIN_CPU=false"] if args.a_bin is None else []
    b_settings = dict(setting.split("=", 1) for setting in args.b or default_b)
    a_bin = args.a_bin or BIN

    with ExitStack() as stack:
        servers = {}
        for side, settings, bin_dir in (("a", {}, a_bin), ("b", b_settings, BIN)):
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"undersign-paired-{side}-")))
            env = {**environment(data_dir, None), **settings}
            key = api_key(env, bin_dir=bin_dir)  # each version makes its own database's schema
            url, pid = stack.enter_context(served_process(env, free_port(), bin_dir=bin_dir))
            asyncio.run(warm_up(url, key))
            servers[side] = (url, key, pid)
        cpu: dict[str, list[float]] = {"a": [], "b": []}
        for turn in range(args.turns):
            for side in ("a", "b") if turn % 2 == 0 else ("b", "a"):
                url, key, pid = servers[side]
                before = cpu_seconds(pid)
                asyncio.run(run_against(url, key, args.envelopes, args.concurrency))
                time.sleep(SETTLE_SECONDS)
                cpu[side].append((cpu_seconds(pid) - before) / args.envelopes)

    ratios = [b / a for a, b in zip(cpu["a"], cpu["b"], strict=True)]
    print(json.dumps({
        "a_bin": str(a_bin), "b_settings": b_settings, "turns": args.turns, "envelopes_per_turn": args.envelopes,
        "concurrency": args.concurrency, "load_average": load_average(),
        "a_cpu_s_per_envelope": round(statistics.median(cpu["a"]), 3),
        "b_cpu_s_per_envelope": round(statistics.median(cpu["b"]), 3),
        "b_over_a_median_ratio": round(statistics.median(ratios), 3),
        "ratios": [round(ratio, 2) for ratio in ratios],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
