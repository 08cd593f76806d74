"""Identifiers and secrets from the operating system's random source."""

import secrets
import uuid


class UuidGenerator:
    def new_id(self) -> str:
        return uuid.uuid4().hex


class TokenGenerator:
    def new_secret(self) -> str:
        return secrets.token_urlsafe(32)

    def new_code(self, digits: int) -> str:
        return "".join(secrets.choice("0123456789") for _ in range(digits))
