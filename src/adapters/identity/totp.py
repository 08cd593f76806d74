"""TOTP codes (RFC 6238) with pyotp, the `TotpCodes` port: six digits, SHA-1, 30-second steps."""

from __future__ import annotations

import base64
import hmac
import secrets
from datetime import datetime

import pyotp

DIGITS = 6
INTERVAL = 30  # seconds per step
SECRET_BYTES = 20  # 160 bits, RFC 4226's recommendation; 32 base32 characters without padding
WINDOW = 1  # steps accepted either side of the current one, for clocks that drift


class PyOtpTotpCodes:
    """Makes TOTP secrets and checks codes against a time the caller passes in (no clock here)."""

    def new_secret(self) -> str:
        # pyotp.random_base32 would do; the bytes from `secrets` say plainly where they come from.
        return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")

    def provisioning_uri(self, secret: str, account: str, issuer: str) -> str:
        return _totp(secret).provisioning_uri(name=account, issuer_name=issuer)

    def matching_step(self, secret: str, code: str, at: datetime) -> int | None:
        """The step within one of `at`'s whose code `code` is, or None.

        Every step of the window is compared, in constant time, whatever matched earlier, so
        the time taken says nothing about which step (if any) matched.
        """
        if at.utcoffset() is None:
            raise ValueError("a TOTP check needs a time with a UTC offset")  # pyotp would read it as local time
        code = code.strip()
        if len(code) != DIGITS or not code.isascii() or not code.isdigit():
            return None
        totp = _totp(secret)
        current = totp.timecode(at)
        matched: int | None = None
        for step in range(current - WINDOW, current + WINDOW + 1):
            if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()) and matched is None:
                matched = step
        return matched


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
