"""The installation's secret: what the server seals the things it hands out to keep with.

UNDERSIGN_SECRET_KEY when it is set (every process of an installation must share it); else a
random one made once under the data directory (readable by its owner only), which is right for
the embedded default, one process or several on one machine.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_NAME = "secret.key"


def secret_key(configured: str | None, data_dir: Path) -> bytes:
    if configured is not None:
        return configured.encode()
    path = data_dir / FILE_NAME
    if path.exists():
        return path.read_bytes().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    # Written whole under another name, then linked into place: of processes starting together,
    # the first link wins, and nobody ever reads a half-written key.
    draft = data_dir / f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(48))
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_bytes().strip()
