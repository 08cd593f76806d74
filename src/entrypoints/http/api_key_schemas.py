"""What goes over the wire for API keys: never a secret's hash, and the key itself only once, when it is made."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from undersign.application.access.api_keys import IssuedApiKey
from undersign.domain.tenant import MAX_KEY_DESCRIPTION_LENGTH, AccessRole, ApiKey
from undersign.entrypoints.http.schemas import Request


class CreateApiKeyIn(Request):
    role: AccessRole
    expires_at: datetime | None = None  # RFC 3339 with an offset; in the future, within ten years
    description: Annotated[str, Meta(max_length=MAX_KEY_DESCRIPTION_LENGTH)] = ""
    team_id: Annotated[str, Meta(min_length=1, max_length=64)] | None = None  # scope the key to this team


class ApiKeyOut(msgspec.Struct, kw_only=True):
    id: str
    role: str
    description: str
    created_at: datetime
    created_by: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None  # to within a minute
    team_id: str | None  # the team the key is scoped to, if any


class ApiKeyWithSecretOut(ApiKeyOut, kw_only=True):
    key: str  # usk_<id>_<secret>: shown now and never again


class ApiKeyListOut(msgspec.Struct, kw_only=True):
    items: list[ApiKeyOut]
    next_cursor: str | None


def api_key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id, role=key.role.value, description=key.description, created_at=key.created_at,
        created_by=key.created_by, expires_at=key.expires_at, revoked_at=key.revoked_at, last_used_at=key.last_used_at,
        team_id=key.team_id,
    )


def api_key_with_secret_out(issued: IssuedApiKey) -> ApiKeyWithSecretOut:
    return ApiKeyWithSecretOut(**msgspec.structs.asdict(api_key_out(issued.api_key)), key=issued.key)
