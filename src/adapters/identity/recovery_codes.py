"""Recovery codes, the `RecoveryCodes` port: ten one-use codes like `7hqx-2m0c-kd9v`."""

from __future__ import annotations

import hashlib
import secrets

# Crockford's base32: digits and lowercase letters without i, l, o and u, so nothing on paper
# reads as two characters. Five bits a character; twelve characters make 60 bits.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
GROUPS = 3
GROUP_LENGTH = 4
DEFAULT_COUNT = 10

# What a person may type for a character of the alphabet: the letters Crockford reads as digits.
_LOOKALIKES = str.maketrans({"o": "0", "i": "1", "l": "1"})
_IGNORED = str.maketrans("", "", " -_\t")


class Sha256RecoveryCodes:
    """Makes recovery codes and hashes them for storage.

    A fast hash (SHA-256, no salt) is the right one here, unlike for passwords: a code is 60
    random bits from `secrets`, not something a person chose, so there is no dictionary to try
    and a stolen table of hashes would take some 2^59 SHA-256s per code to reverse, while each
    sign-in stays cheap. Salt would buy nothing against a search of that size.
    """

    def new_codes(self, n: int = DEFAULT_COUNT) -> list[str]:
        codes: set[str] = set()
        while len(codes) < n:  # a repeat at 60 bits is all but impossible; the set makes it impossible
            codes.add("".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH)))
        return ["-".join(code[i : i + GROUP_LENGTH] for i in range(0, len(code), GROUP_LENGTH)) for code in codes]

    def normalise(self, code: str) -> str:
        """Lowercase, without spaces, dashes or underscores, lookalike letters read as digits."""
        return code.strip().lower().translate(_IGNORED).translate(_LOOKALIKES)

    def hash(self, code: str) -> str:
        return hashlib.sha256(self.normalise(code).encode("utf-8")).hexdigest()
