"""A real SMTP server for the tests: aiosmtpd's command line, in a process of its own, on loopback.

It stores every message it accepts in a maildir (aiosmtpd's Mailbox handler), which the
test reads back. The server is a separate process, not a thread in the test's event loop,
so the mailer talks to it over a real socket exactly as it would to a relay, and a stopped
server is really gone.
"""

from __future__ import annotations

import email.policy
import mailbox
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from tests.servers import answers_in_time, free_port

HOST = "127.0.0.1"
START_TIMEOUT = 20
STOP_TIMEOUT = 5


class SmtpServer:
    """`python -m aiosmtpd` on 127.0.0.1 and a free port; `start()` and `stop()` may alternate (same port)."""

    def __init__(self, directory: Path) -> None:
        self.host = HOST
        self.port = free_port()  # aiosmtpd cannot listen on port 0 and tell which port it got
        self.maildir = directory / "maildir"
        self.log = directory / "aiosmtpd.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "aiosmtpd",
            "-n",  # as root it would otherwise switch to `nobody`, who cannot write the maildir
            "-l", f"{self.host}:{self.port}",
            "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir),
        ]  # fmt: skip
        with self.log.open("ab") as log:
            # A session of its own: a Ctrl-C reaches pytest, whose teardown stops the server.
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )
        if not answers_in_time(self._greets, self._process, timeout=START_TIMEOUT):
            self.stop()
            raise RuntimeError(f"aiosmtpd did not start:\n{self.log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        """Terminate the server (our own child, by its pid), killing it if it does not go in time."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def received(self) -> list[EmailMessage]:
        """Every message the server took so far, oldest first, as the mail program would parse it.

        aiosmtpd writes a message into the maildir before it answers 250, so a message the
        mailer sent successfully is here.
        """
        if not self.maildir.exists():
            return []
        box = mailbox.Maildir(self.maildir, factory=None, create=False)
        parser = BytesParser(policy=email.policy.default)
        # Maildir names begin with the delivery time, so their order is the order of arrival.
        return [parser.parsebytes(box.get_bytes(key)) for key in sorted(box.keys())]  # type: ignore[misc]

    def _greets(self) -> bool:
        """Whether the server accepts a connection and says 220, as a client would first see it."""
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as connection:
                return connection.recv(3) == b"220"
        except OSError:
            return False


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """A started SmtpServer in a temporary directory, stopped and removed afterwards, whatever happens."""
    with tempfile.TemporaryDirectory(prefix="undersign-smtp-") as directory:
        server = SmtpServer(Path(directory))
        try:
            server.start()
            yield server
        finally:
            server.stop()


@contextmanager
def silent_server() -> Iterator[tuple[str, int]]:
    """A port that accepts connections but never says a word: a hung mail server.

    The kernel completes the TCP handshake for the listening socket's backlog; nothing ever
    reads or writes, so a client waits for the greeting until its timeout.
    """
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(8)
        yield listener.getsockname()

