"""A correction to asn1crypto 1.5.1: a definite length ending in the byte 0x80 is not an indefinite one.

Before encoding a value it parsed, asn1crypto checks whether its length was indefinite
(BER, which DER must re-encode) by looking at the header's LAST byte: `header[-1:] ==
b'\\x80'`. But a definite length of 128, 384, 4224... ends in 0x80 too, so such a value
is re-encoded from scratch, and every value above it re-encodes it again, twice per level.
A signature whose SignedData happened to be 4,224 bytes long took 120 seconds to encode
instead of 0.2; about one signature in five hit some such length (wbond/asn1crypto#256).

The test it means to make is whether the value was parsed with an indefinite length,
which asn1crypto records as its end-of-contents trailer (b'\\x00\\x00'). Where the
trailer says definite, the cached header is dropped before the check: asn1crypto then
rebuilds the same header from the same contents, and nothing is re-encoded.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from asn1crypto import core

_INDEFINITE_TRAILER = b"\x00\x00"
_PATCHED = "_undersign_definite_lengths"


def correct_indefinite_length_check() -> None:
    """Patch the dump() of every asn1crypto class that makes the check; idempotent."""
    for cls in (core.Asn1Value, core.Choice, core.Primitive, core.Sequence, core.SequenceOf):
        dump = cls.__dict__["dump"]
        if not getattr(dump, _PATCHED, False):
            cls.dump = _definite_lengths_kept(dump)


def _definite_lengths_kept(dump: Callable[..., bytes]) -> Callable[..., bytes]:
    @wraps(dump)
    def checked(self: Any, force: bool = False) -> bytes:
        header = self._header
        if not force and header is not None and header[-1:] == b"\x80" and self._trailer != _INDEFINITE_TRAILER:
            self._header = None
        return dump(self, force)

    setattr(checked, _PATCHED, True)
    return checked
