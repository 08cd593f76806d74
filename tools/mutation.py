"""Mutation testing, scored against a floor: `python tools/mutation.py [--sample N]`.

mutmut changes the code one small mutation at a time (the domain, the use cases and the
adapters that hold security rules: [tool.mutmut] in pyproject.toml) and runs the tests that
reach each change; a mutant no test notices is a rule nothing checks. This runs mutmut,
prints the score of each area (killed / tried, timeouts counting as killed) and exits 1 when
an area scores under its floor in FLOORS.

--sample N tries only the mutants whose name hashes to 0 modulo N: the same ones on every
run of the same code, so a red sample stays red when run again. CI tries 1 in 40 (a few
minutes, beside the other tests); `nox -s mutation` tries them all (about 2 hours on 2
cores). The verdicts stay in .mutation/mutants/: `cd .mutation && mutmut show <name>` shows
what a survivor changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

# Set from the full runs in the README's "Mutation testing" (96 % and 81 %, the adapters before
# their new tests; CI's sample 96 % and 92 %), a few points under, so that a change that leaves
# a rule untested fails; raise them as the tests improve.
FLOORS = {"domain and use cases": 90.0, "security adapters": 85.0}
AREAS = {
    "domain and use cases": ("undersign.domain.", "undersign.application."),
    "security adapters": ("undersign.adapters.", "undersign.entrypoints."),
}
# mutmut's own names for its exit codes (mutmut.stats.status_by_exit_code), by what they count as here.
KILLED = {"killed", "timeout"}
SKIPPED = {"skipped", "caught by type check"}
NOT_TRIED = {"not checked", "check was interrupted by user"}  # the run is incomplete

SURVIVORS_SHOWN = 40

# mutmut names a module by its path, so it runs in a directory of its own where undersign/ is
# a link to src/ (src/domain/envelope.py is then undersign.domain.envelope, the name the tests
# import), beside links to what the tests need. Never such a link in the project itself: a
# pytest running there at the same time would import undersign through it.
PROJECT = Path(__file__).resolve().parent.parent
WORKDIR = PROJECT / ".mutation"
LINKS = {"undersign": "src", "tests": "tests", "features": "features", "pyproject.toml": "pyproject.toml"}

RUN_LOG = Path("mutants/run.log")
MUTMUT = str(Path(sys.executable).parent / "mutmut")  # this environment's, whatever PATH says

GENERATE = """
from mutmut.__main__ import copy_also_copy_files, copy_src_dir, create_mutants, setup_source_paths
from mutmut.mutation.trampoline import set_mutant_under_test
set_mutant_under_test("mutant_generation")
copy_src_dir(); copy_also_copy_files(); setup_source_paths(); create_mutants(2)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=1, help="try 1 mutant in N (default: all)")
    parser.add_argument("--max-children", type=int, default=2, help="mutants tried at once")
    args = parser.parse_args()
    enter_workdir()
    names = mutants_sampled(args.sample)
    run = [MUTMUT, "run", "--max-children", str(args.max_children), *(names if args.sample > 1 else [])]
    with RUN_LOG.open("w") as log:
        ran = subprocess.run(run, check=False, stdout=log, stderr=subprocess.STDOUT,
                             env=os.environ | {"PYTEST_DEBUG_TEMPROOT": temp_root()})
    verdicts = verdicts_of(names)
    if ran.returncode != 0:  # mutmut could not run the clean tests, say: its own words
        print(RUN_LOG.read_text(errors="replace")[-3000:])
    return report(verdicts, sample=args.sample)


def enter_workdir() -> None:
    """Into .mutation/ (its links made once; mutmut keeps its verdicts there, in mutants/)."""
    WORKDIR.mkdir(exist_ok=True)
    for name, target in LINKS.items():
        if not (WORKDIR / name).is_symlink():
            (WORKDIR / name).symlink_to(PROJECT / target)
    os.chdir(WORKDIR)


def mutants_sampled(n: int) -> list[str]:
    """Every mutant's name (mutmut writes them on generating), or 1 in `n` by hash."""
    subprocess.run([sys.executable, "-c", GENERATE], check=True, stdout=subprocess.DEVNULL)
    names = sorted(verdicts_of(None))
    return [name for name in names if int(hashlib.sha256(name.encode()).hexdigest(), 16) % n == 0]


def temp_root() -> str:
    """pytest's temporary directories of the mutants' runs, apart from those of a suite running beside them."""
    root = Path(tempfile.gettempdir()) / "undersign-mutation"
    root.mkdir(exist_ok=True)
    return str(root)


def verdicts_of(names: list[str] | None) -> dict[str, int | None]:
    """mutmut's exit code of each mutant in `names` (all when None), from its mutants/**/*.meta files."""
    verdicts: dict[str, int | None] = {}
    for meta in Path("mutants").rglob("*.py.meta"):
        verdicts.update(json.loads(meta.read_text())["exit_code_by_key"])
    return verdicts if names is None else {name: verdicts.get(name) for name in names}


def report(verdicts: dict[str, int | None], *, sample: int) -> int:
    print(f"mutation testing: {len(verdicts)} mutants tried" + (f" (1 in {sample})" if sample > 1 else ""))
    failed = False
    for area, prefixes in AREAS.items():
        mine = Counter(_outcome(code) for name, code in verdicts.items() if name.startswith(prefixes))
        tried = mine["killed"] + mine["survived"]
        score = 100 * mine["killed"] / tried if tried else 0.0
        below = score < FLOORS[area] or mine["not tried"] > 0
        failed |= below
        print(
            f"  {area}: {score:.1f} % killed of {tried} (floor {FLOORS[area]:.0f} %); "
            f"{mine['survived']} survived, {mine['skipped']} skipped, {mine['not tried']} not tried"
            + ("  <- BELOW THE FLOOR" if below else "")
        )
    if failed:
        survivors = sorted(name for name, code in verdicts.items() if _outcome(code) == "survived")
        print("survivors:", *survivors[:SURVIVORS_SHOWN], sep="\n  ")
        print("see what one changed with `cd .mutation && mutmut show <name>`")
    return 1 if failed else 0


def _outcome(code: int | None) -> str:
    status = status_by_exit_code[code]
    if status in KILLED:
        return "killed"
    if status in SKIPPED:
        return "skipped"
    if status in NOT_TRIED:
        return "not tried"
    return "survived"  # survived, no test reaches it, suspicious, crashed


if __name__ == "__main__":
    raise SystemExit(main())
