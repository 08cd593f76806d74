"""A speed-up of asn1crypto 1.5.1: a value built in memory is encoded once per dump, not three times per level.

asn1crypto keeps no encoding of a SEQUENCE, SET or SEQUENCE OF that it built or that was
changed: such a value stays "mutated", and every read of its `contents` encodes its children
again. `dump()` reads `contents` up to three times (for the header's length, for an explicit
tag's, and for the bytes it returns), and each of those encodes every child, which reads its
own `contents` three times in turn: a value built N levels deep was encoded ~3^N times.
pyHanko builds each signature's CMS structures in memory; its signed attributes (~250 bytes)
took ~4 ms to dump, and such encoding was about a third of a signature's time.

Here, while a value is being dumped, its contents are encoded once and that encoding answers
the reads of its own dump(). Nothing else changes: an encoding is a function of the value's
children, which nothing alters while it is being dumped, and a value changed afterwards is
encoded anew at its next dump, as before. Kept per thread: PDF work runs in threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

from asn1crypto import core

# SET and SET OF are a SEQUENCE and a SEQUENCE OF to asn1crypto: these two classes cover all four.
_CONSTRUCTED = (core.Sequence, core.SequenceOf)
_PATCHED = "_undersign_contents_once"


class _BeingDumped(threading.local):
    """Per thread: {id(value): its encoding}, for the values being dumped now."""

    def __init__(self) -> None:
        self.contents: dict[int, bytes] = {}


_dumping = _BeingDumped()


def encode_contents_once() -> None:
    """Patch the `contents` and `dump` of asn1crypto's constructed types; idempotent."""
    for cls in _CONSTRUCTED:
        contents = cls.__dict__["contents"]
        if not getattr(contents.fget, _PATCHED, False):
            cls.contents = property(_answered_while_dumping(contents.fget), contents.fset)
        dump = cls.__dict__["dump"]
        if not getattr(dump, _PATCHED, False):
            cls.dump = _encoding_once(dump)


def _answered_while_dumping(read: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    @wraps(read)
    def contents(self: Any) -> bytes:
        encoded = _dumping.contents.get(id(self))
        return read(self) if encoded is None else encoded

    setattr(contents, _PATCHED, True)
    return contents


def _encoding_once(dump: Callable[..., bytes]) -> Callable[..., bytes]:
    @wraps(dump)
    def dumped(self: Any, force: bool = False) -> bytes:
        being_dumped, key = _dumping.contents, id(self)
        header = self._header
        # Left to asn1crypto: force, and a header whose length may be indefinite (ending in 0x80),
        # which makes dump() re-encode the contents from scratch (BER to DER) after reading them.
        if force or key in being_dumped or (header is not None and header[-1:] == b"\x80"):
            return dump(self, force)
        being_dumped[key] = self.contents  # the one encoding (the value is alive, so its id is its own)
        try:
            return dump(self, force)
        finally:
            del being_dumped[key]

    setattr(dumped, _PATCHED, True)
    return dumped
