"""Text messages written to a directory as JSON files: the default when no SMS gateway is configured.

The twin of file_mailer.py: an installation that tries Undersign out sends nothing anywhere,
and whoever runs it reads the code in $UNDERSIGN_DATA_DIR/sms/<message id>.json. Each file
holds what the gateway would have been sent ({"to", "text", "message_id"}); a message sent
again (at-least-once jobs) replaces its earlier copy.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from undersign.adapters.notify.file_mailer import _write_atomically, eml_name
from undersign.application.shared.errors import SmsUnavailable
from undersign.application.shared.messages import SmsMessage


def sms_name(message_id: str) -> str:
    """A file name for the message, made as the file mailer makes one (a safe id, or its hash)."""
    return f"{eml_name(message_id).removesuffix('.eml')}.json"


class FileSmsSender:
    def __init__(self, directory: Path) -> None:
        self._directory = directory

    @property
    def directory(self) -> Path:
        return self._directory

    async def send(self, message: SmsMessage) -> None:
        body = {"to": message.to, "text": message.text, "message_id": message.message_id}
        data = (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode()
        path = self._directory / sms_name(message.message_id)
        try:
            await asyncio.to_thread(_write_atomically, path, data)
        except OSError as error:
            detail = error.strerror or str(error)
            raise SmsUnavailable(f"could not write the text message to {self._directory}: {detail}") from error
