"""Sessions: `nox -s tests` (everything CI runs), `nox -s bench`, `nox -s mutation`.

The tests session installs what the tests need that pip cannot (poppler's pdfsig, SoftHSM2
for throwaway PKCS#11 tokens, faketime to move a process's clock, Node.js and npm for the
OpenID Provider the identity tests run, and the PostgreSQL, MariaDB and Redis servers the
tests start for themselves) with the system's package manager, so a fresh machine with only
Python 3.11 runs it as it is.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests"]

CONSTRAINTS = ("-c", "constraints.txt")
MUTATION_SAMPLE = 40  # CI tries 1 mutant in this many
# The suite on every core, up to 4 processes (each starts the servers its tests need); whole
# files per process, so a module's fixtures are made once. On 2 cores: 15 minutes, not 30.
IN_PARALLEL = ("-n", "auto", "--maxprocesses", "4", "--dist", "loadfile")
BENCHMARKS = [
    "bench/signatures.py", "bench/server_cost.py", "bench/paired.py", "bench/throughput.py", "bench/background.py",
    "bench/list_pages.py", "bench/seal_keys.py", "bench/hostile_input.py", "bench/storage_memory.py",
]
# A program on PATH, or a path pattern: Debian keeps PostgreSQL's programs in a directory
# per major version, whichever version the distribution ships.
SYSTEM_TOOLS = {
    "pdfsig": "poppler-utils",
    "openssl": "openssl",
    "/usr/lib/postgresql/*/bin/initdb": "postgresql",
    "mariadb-install-db": "mariadb-server",
    "softhsm2-util": "softhsm2",  # a throwaway PKCS#11 token for the seal key tests
    "redis-server": "redis-server",  # the job queue of the worker tests
    "faketime": "faketime",  # archive renewal years from now, with the clock moved
    "node": "nodejs",  # the OpenID Provider of the identity tests (npm oidc-provider, tests/oidc_provider/)
    "npm": "npm",  # installs it from its lock file
    "xmlsec1": "xmlsec1",  # pysaml2 checks SAML signatures with it (the service provider, and the test IdP)
    "chromium": "chromium",  # the headless browser of the sign-in tests (Playwright drives it; never `playwright install`)
}


def _installed(tool: str) -> bool:
    return bool(glob.glob(tool)) if tool.startswith("/") else shutil.which(tool) is not None


def install_system_tools(session: nox.Session) -> None:
    missing = sorted({package for tool, package in SYSTEM_TOOLS.items() if not _installed(tool)})
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    session.log(f"installing {', '.join(missing)} with apt-get")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run(*sudo, "apt-get", "update", "-qq", external=True, env=env)
    session.run(*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, external=True, env=env)


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Import contracts, then every test: unit, specs, integration, end to end; beside them, 1 in
    MUTATION_SAMPLE of the mutation testing (tools/mutation.py), which fails under its floors."""
    install_system_tools(session)
    session.install(*CONSTRAINTS, "-e", ".[test]")
    session.run("lint-imports")
    if session.posargs:  # a part of the suite, chosen by hand: no mutation sample
        session.run("pytest", *session.posargs)
        return
    with _beside_the_tests(session, "tools/mutation.py", "--sample", str(MUTATION_SAMPLE), "--max-children", "1"):
        session.run("pytest", *IN_PARALLEL)


@contextmanager
def _beside_the_tests(session: nox.Session, script: str, *args: str) -> Iterator[None]:
    """Run `script` at a low priority while the block runs, then print its output and fail if it
    failed. On 2 cores it still slows pytest (1 mutant in 20 added minutes), so keep it small."""
    log = Path(session.create_tmp()) / f"{Path(script).stem}.log"
    python = str(Path(session.bin) / "python")
    with log.open("w") as out:
        beside = subprocess.Popen(  # a process group of its own, so that stopping it stops its children too
            ["nice", "-n", "10", python, script, *args], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield
    except BaseException:
        os.killpg(beside.pid, signal.SIGKILL)
        raise
    finally:
        code = beside.wait()
        session.log(log.read_text())
    if code != 0:
        session.error(f"{script} failed (exit {code})")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Benchmarks print their figures; they assert nothing about speed. Each takes minutes."""
    install_system_tools(session)
    session.install(*CONSTRAINTS, "-e", ".[test]")
    for script in BENCHMARKS:
        session.run("python", script)


@nox.session(python="3.11")
def mutation(session: nox.Session) -> None:
    """Every mutant of the domain, the use cases and the security adapters against their tests
    (about 2 hours on 2 cores), scored against the floors (tools/mutation.py)."""
    session.install(*CONSTRAINTS, "-e", ".[test]")
    session.run("python", "tools/mutation.py", *session.posargs)
