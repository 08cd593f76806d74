"""Throwaway servers for the tests: a PostgreSQL cluster, a MariaDB server, Redis, and S3 (moto).

Each lives in a temporary directory (data, log and unix socket), listens on 127.0.0.1 on
a free port, trusts local connections without a password, is tuned for speed rather than
durability (nothing here must survive a crash), and is stopped with its own shutdown
command before the directory is removed. As root, PostgreSQL runs as the `postgres`
system user (it refuses to run as root) and MariaDB as root (`--user=root`).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Protocol, TypeVar

import pytest
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.prerequisites import missing

START_TIMEOUT = 60


class ServerMissing(RuntimeError):
    """The server's programs are not installed; the message names the Debian package."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(command: list[str], *, log: Path | None = None, timeout: float = START_TIMEOUT) -> None:
    # A session of its own: a Ctrl-C in the terminal reaches pytest, whose teardown then
    # stops the servers in order, and not the servers themselves.
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, start_new_session=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}{result.stderr}{_tail(log)}")


def _tail(log: Path | None) -> str:
    return log.read_text(errors="replace")[-3000:] if log and log.exists() else ""


def _as_root() -> bool:
    return os.geteuid() == 0


@contextmanager
def removed_on_failure(directory: Path) -> Iterator[None]:
    """`directory` is removed if the block fails: a server that could not be made leaves nothing behind."""
    try:
        yield
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def answers_in_time(
    answers: Callable[[], bool], process: subprocess.Popen, *, timeout: float = START_TIMEOUT, interval: float = 0.1
) -> bool:
    """Polls `answers` until it says yes (True), or until `process` exits or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not answers():
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


class ChildServer:
    """A test server in a child process, with a temporary directory of its own: `stop()` ends the
    process by its pid, `remove()` also deletes the directory. Subclasses set both when they start."""

    directory: Path
    _process: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        if self._process is None:
            return
        stop_child(self._process)
        self._process = None

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def url_answers(url: str) -> bool:
    """Whether GET `url` answers 200 within a second (a server coming up)."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


class _Service(Protocol):
    def start(self) -> None: ...
    def remove(self) -> None: ...


Server = TypeVar("Server", bound=_Service)


@contextmanager
def running(kind: type[Server]) -> Iterator[Server]:
    """A started server of `kind`, stopped and removed afterwards, whatever happens.

    Missing programs (`ServerMissing` from the constructor) fail the test (a test must never
    pass without its server); the message names the Debian package.
    """
    try:
        server = kind()
    except ServerMissing as error:
        missing(str(error))
    try:
        server.start()
        yield server
    finally:
        server.remove()


# -- PostgreSQL -----------------------------------------------------------------------------------


def postgresql_bin_dir() -> Path:
    """The newest installed PostgreSQL's programs (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise ServerMissing("PostgreSQL's initdb is not installed (Debian: apt-get install -y postgresql)")


class PostgreSQLServer:
    """A cluster in its own directory; `start()` and `stop()` may alternate (same port, same data)."""

    def __init__(self) -> None:
        self.bin_dir = postgresql_bin_dir()
        self.directory = Path(tempfile.mkdtemp(prefix="undersign-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.port = free_port()
        if _as_root():
            shutil.chown(self.directory, "postgres", "postgres")
        with removed_on_failure(self.directory):
            self._as_owner([str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"])  # fmt: skip

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off " \
                  "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"  # fmt: skip
        self._as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                        "-w", "-t", str(START_TIMEOUT), "start"])  # fmt: skip

    def stop(self) -> None:
        """A fast shutdown: open sessions are ended, the server is gone when this returns."""
        self._as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def remove(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def _as_owner(self, command: list[str]) -> None:
        _run(["runuser", "-u", "postgres", "--", *command] if _as_root() else command, log=self.log)


# -- MariaDB --------------------------------------------------------------------------------------


def mariadb_programs() -> tuple[str, str, str]:
    """mariadb-install-db, mariadbd and mariadb-admin (mariadbd lives in /usr/sbin)."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
    programs = tuple(shutil.which(name, path=search) for name in ("mariadb-install-db", "mariadbd", "mariadb-admin"))
    if None in programs:
        raise ServerMissing(
            "MariaDB is not installed (Debian: apt-get install -y --no-install-recommends mariadb-server)"
        )
    return programs  # type: ignore[return-value]


def _mariadb_user() -> list[str]:
    """As root, the MariaDB programs are told to run as root (mariadbd refuses to otherwise)."""
    return ["--user=root"] if _as_root() else []


class MariaDBServer:
    """A server in its own directory, with a root account that needs no password."""

    def __init__(self) -> None:
        self.install_db, self.mariadbd, self.admin = mariadb_programs()
        self.directory = Path(tempfile.mkdtemp(prefix="undersign-mariadb-"))
        self.data = self.directory / "data"
        self.socket = self.directory / "mariadb.sock"
        self.log = self.directory / "server.log"
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        with removed_on_failure(self.directory):
            _run([self.install_db, "--no-defaults", f"--datadir={self.data}", *_mariadb_user(), "--skip-test-db",
                  "--auth-root-authentication-method=normal", "--skip-name-resolve",
                  "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0"])  # fmt: skip

    def url(self, database: str = "mysql") -> str:
        return f"mysql+asyncmy://root@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        command = [
            self.mariadbd, "--no-defaults", f"--datadir={self.data}", *_mariadb_user(),
            "--bind-address=127.0.0.1", f"--port={self.port}", f"--socket={self.socket}",
            f"--pid-file={self.directory / 'mariadbd.pid'}", f"--log-error={self.log}",
            "--skip-name-resolve", "--skip-log-bin", "--max-connections=200",
            "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0", "--innodb-buffer-pool-size=64M",
            "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
        ]  # fmt: skip
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        if not answers_in_time(self._answers, self._process):
            self.stop()
            raise RuntimeError(f"mariadbd did not start:\n{_tail(self.log)}")

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            subprocess.run(self._admin("shutdown"), capture_output=True, timeout=START_TIMEOUT, check=False)
            try:
                self._process.wait(timeout=START_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()  # our own child, by its pid
                self._process.wait()
        self._process = None

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def _answers(self) -> bool:
        ping = subprocess.run(self._admin("--connect-timeout=1", "ping"), capture_output=True, timeout=10, check=False)
        return ping.returncode == 0

    def _admin(self, *args: str) -> list[str]:
        """mariadb-admin as the server's root account, over its unix socket."""
        return [self.admin, "--no-defaults", f"--socket={self.socket}", "--user=root", *args]


# -- a fresh database per test ---------------------------------------------------------------------


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """The URL of a new, empty database on the server at `server_url`, dropped afterwards.

    `server_url` names a user who may create databases (any database it names is only
    used to connect).
    """
    server = make_url(server_url)
    database = f"undersign_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f"CREATE DATABASE {database}")
        yield server.set(database=database).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            force = " WITH (FORCE)" if server.get_backend_name() == "postgresql" else ""
            await connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {database}{force}")
        await admin.dispose()


@asynccontextmanager
async def empty_database(engine: str, request: pytest.FixtureRequest, directory: Path) -> AsyncIterator[str]:
    """The URL of an empty database for one test: a SQLite file in `directory` for "sqlite",
    else a `fresh_database` on the session's "postgresql" or "mariadb" server (its `<engine>_url` fixture)."""
    if engine == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / 'undersign.db'}"
        return
    async with fresh_database(request.getfixturevalue(f"{engine}_url")) as url:
        yield url


# -- Redis ----------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server on loopback that keeps nothing on disk; stopped with its own shutdown command."""

    def __init__(self) -> None:
        self.server, self.cli = shutil.which("redis-server"), shutil.which("redis-cli")
        if self.server is None or self.cli is None:
            raise ServerMissing("Redis is not installed (Debian: apt-get install -y --no-install-recommends redis-server)")
        self.directory = Path(tempfile.mkdtemp(prefix="undersign-redis-"))
        self.log = self.directory / "server.log"
        self.port = free_port()

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _run([self.server, "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
              "--appendonly", "no", "--dir", str(self.directory), "--pidfile", str(self.directory / "redis.pid"),
              "--logfile", str(self.log)], log=self.log)  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer on port {self.port}:\n{_tail(self.log)}")
            time.sleep(0.05)

    def flush(self) -> None:
        _run([self.cli, "-p", str(self.port), "flushall"])

    def remove(self) -> None:
        try:
            if self._answers():
                _run([self.cli, "-p", str(self.port), "shutdown", "nosave"])
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def _answers(self) -> bool:
        result = subprocess.run([self.cli, "-p", str(self.port), "ping"], capture_output=True, text=True, check=False)
        return result.stdout.strip() == "PONG"


# -- S3 (moto) -------------------------------------------------------------------------------------


class MotoS3Server(ChildServer):
    """moto's server (`moto_server`, installed into the venv with the `test` extra) on loopback: it
    speaks S3 over HTTP, keeps everything in memory, and takes any credentials without checking
    their signatures (so signing is not what the tests against it show)."""

    def __init__(self) -> None:
        self.program = Path(sys.executable).parent / "moto_server"
        if not self.program.exists():
            raise ServerMissing(f"{self.program} is not installed (pip install -e '.[test]': moto[server])")
        self.directory = Path(tempfile.mkdtemp(prefix="undersign-moto-"))
        self.log = self.directory / "server.log"
        self.port = free_port()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as output:  # a file, not a pipe nobody reads
            self._process = subprocess.Popen(
                [str(self.program), "-H", "127.0.0.1", "-p", str(self.port)], stdin=subprocess.DEVNULL,
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        if not answers_in_time(lambda: url_answers(f"{self.endpoint}/moto-api/"), self._process):
            self.stop()
            raise RuntimeError(f"moto_server did not answer on port {self.port}:\n{_tail(self.log)}")


# -- Undersign's own processes ----------------------------------------------------------------------


@contextmanager
def undersign_process(env: dict[str, str], log: Path, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """`undersign ARGS` as its own process (env added to this one's), its output appended to `log`.

    A file, not a pipe: nobody reads a pipe while a test or benchmark runs, and a full one
    would stall the process. Stopped with SIGTERM at the end (killed if it does not stop).
    """
    program = str(Path(sys.executable).parent / "undersign")
    with log.open("ab") as output:
        process = subprocess.Popen([program, *args], env={**os.environ, **env}, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        yield process
    finally:
        stop_child(process, timeout=30)


@contextmanager
def serving_undersign(env: dict[str, str], log: Path, port: int) -> Iterator[str]:
    """`undersign serve` on 127.0.0.1:`port` (env added), its base URL once /ready answers; the test
    fails with the log's tail if it does not come up within a minute."""
    url = f"http://127.0.0.1:{port}"
    with undersign_process(env, log, "serve", "--port", str(port)) as process:
        if not answers_in_time(lambda: _ready(url), process, timeout=60, interval=0.2):
            pytest.fail(f"undersign serve did not come up:\n{log.read_text(errors='replace')[-3000:]}")
        yield url


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ready", timeout=2) as response:
            return response.status == 200
    except OSError:  # refused while it starts, or a 503 (HTTPError) while it gets ready
        return False


def stop_child(process: subprocess.Popen, *, timeout: float = 10) -> None:
    """SIGTERM to our own child, by its pid; killed if it has not stopped within `timeout` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
