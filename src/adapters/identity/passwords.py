"""Local users' passwords hashed with Argon2id (argon2-cffi), the `PasswordHasher` port."""

from __future__ import annotations

import unicodedata

import argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2PasswordHasher:
    """Argon2id with argon2-cffi's default parameters: RFC 9106's second recommended option
    (the low-memory one: t=3, m=64 MiB, p=4, 16-byte salt, 32-byte tag).

    Slow and memory-hard on purpose: each `hash` or `verify` takes tens of milliseconds of CPU
    and 64 MiB. Running it off the event loop (`asyncio.to_thread`) is the caller's business;
    this class does no I/O and holds no state beyond its parameters, so it is safe to share
    between threads.

    Passwords are NFKC-normalised before hashing, as NIST SP 800-63B asks: the same password
    typed on another keyboard (a composed "é" or an "e" and a combining accent) still matches.
    Changing that later would lock out everyone whose password it touches, so it is fixed here.
    """

    def __init__(self, hasher: argon2.PasswordHasher | None = None) -> None:
        # A hasher of other parameters is for tests that need it fast; production takes the defaults.
        self._hasher = hasher or argon2.PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(_normalised(password))

    def verify(self, password_hash: str, password: str) -> bool:
        """True for the right password; False for a wrong one or a hash that is not Argon2's."""
        try:
            return self._hasher.verify(password_hash, _normalised(password))
        except (VerificationError, InvalidHashError):  # VerifyMismatchError is a VerificationError
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters (or another Argon2 variant)."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True  # unreadable: verify() never accepts it, and a new hash is what it needs


def _normalised(password: str) -> str:
    return unicodedata.normalize("NFKC", password)
