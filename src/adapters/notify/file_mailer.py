"""Mail written to a directory as .eml files: the default when no mail server is configured.

An installation that tries Undersign out, or runs its tests, sends nothing anywhere; each
message can be opened with any mail program. A message is named after its Message-ID, so
a notification sent again (at-least-once jobs) replaces its earlier copy.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from pathlib import Path

from undersign.adapters.notify.message import message_bytes
from undersign.application.shared.errors import MailUnavailable
from undersign.application.shared.messages import EmailMessage

DEFAULT_FROM_ADDRESS = "undersign@localhost"
UNSAFE = re.compile(r"[^A-Za-z0-9._@+=-]")
MAX_NAME = 150


def eml_name(message_id: str) -> str:
    """A file name for the message: its Message-ID without brackets when that is a safe name.

    Anything else (odd characters, a leading dot, great length) is replaced and suffixed
    with a hash of the whole Message-ID, so two different ids never share a file.
    """
    bare = message_id.strip().removeprefix("<").removesuffix(">")
    safe = UNSAFE.sub("_", bare)[:MAX_NAME]
    if safe != bare or not safe or safe.startswith("."):
        digest = hashlib.sha256(message_id.strip().encode()).hexdigest()[:16]
        safe = f"{safe.lstrip('.')}-{digest}" if safe.lstrip(".") else digest
    return f"{safe}.eml"


class FileMailer:
    def __init__(self, directory: Path, from_address: str = DEFAULT_FROM_ADDRESS) -> None:
        self._directory, self._from_address = directory, from_address

    @property
    def directory(self) -> Path:
        return self._directory

    async def send(self, message: EmailMessage) -> None:
        data = message_bytes(message, from_address=self._from_address)
        path = self._directory / eml_name(message.message_id)
        try:
            await asyncio.to_thread(_write_atomically, path, data)
        except OSError as error:
            detail = error.strerror or str(error)
            raise MailUnavailable(f"could not write the message to {self._directory}: {detail}") from error


def _write_atomically(path: Path, data: bytes) -> None:
    """Written beside its final name, flushed, then renamed: a reader never sees half a message."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
