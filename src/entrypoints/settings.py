"""Configuration from the environment (UNDERSIGN_*), twelve-factor style."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    data_dir: Path
    database_url: str
    public_url: str
    signing_link_ttl: timedelta
    max_upload_bytes: int
    log_json: bool | None
    log_level: str

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def pki_dir(self) -> Path:
        return self.data_dir / "pki"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("UNDERSIGN_DATA_DIR", ".undersign")).resolve()
        return cls(
            data_dir=data_dir,
            database_url=env.get("UNDERSIGN_DATABASE_URL", f"sqlite+aiosqlite:///{data_dir / 'undersign.db'}"),
            public_url=env.get("UNDERSIGN_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            signing_link_ttl=timedelta(hours=_number(env, "UNDERSIGN_SIGNING_LINK_TTL_HOURS", 72)),
            max_upload_bytes=_number(env, "UNDERSIGN_MAX_UPLOAD_MB", 50) * 1024 * 1024,
            log_json={"json": True, "console": False}.get(env.get("UNDERSIGN_LOG_FORMAT", "")),
            log_level=env.get("UNDERSIGN_LOG_LEVEL", "INFO"),
        )


def _number(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise SettingsError(f"{name} must be at least 1")
    return value
