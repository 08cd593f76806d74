"""REST v1: a tenant's API keys: create (the key is shown once), list, read, revoke (keys that may manage keys only)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from undersign.application.access.api_keys import KEY_ID, ApiKeys, IssueApiKey
from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.ports import ApiKeyCursor
from undersign.domain.errors import InvalidInput
from undersign.entrypoints.http.api_key_schemas import (
    ApiKeyListOut,
    ApiKeyOut,
    ApiKeyWithSecretOut,
    CreateApiKeyIn,
    api_key_out,
    api_key_with_secret_out,
)
from undersign.entrypoints.http.guards import requires
from undersign.entrypoints.http.idempotency import IDEMPOTENT

MAX_CURSOR_LENGTH = 200  # ours are about 90 characters: a time and an id, base64


class ApiKeysController(Controller):
    path = "/v1/api-keys"
    tags = ["api keys"]

    @post("/", status_code=201, **requires(Permission.MANAGE_API_KEYS), **IDEMPOTENT)
    async def create(
        self, data: JSONBody[CreateApiKeyIn], caller: NamedDependency[Caller], api_keys: NamedDependency[ApiKeys]
    ) -> ApiKeyWithSecretOut:
        """A key of a role ranked at most the caller's (owner > admin > the rest); `key` is shown now, never again."""
        command = IssueApiKey(
            caller=caller, role=data.role, expires_at=data.expires_at, description=data.description, team_id=data.team_id
        )
        return api_key_with_secret_out(await api_keys.issue(command))

    @get("/", **requires(Permission.MANAGE_API_KEYS))
    async def list_api_keys(
        self,
        caller: NamedDependency[Caller],
        api_keys: NamedDependency[ApiKeys],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, QueryParameter(max_length=MAX_CURSOR_LENGTH)] = None,
    ) -> ApiKeyListOut:
        """The tenant's keys, newest first, revoked and expired ones included."""
        page = await api_keys.list(caller, limit=limit, after=decode_cursor(cursor))
        return ApiKeyListOut(
            items=[api_key_out(k) for k in page.items],
            next_cursor=encode_cursor(page.next_cursor) if page.next_cursor else None,
        )

    @get("/{api_key_id:str}", **requires(Permission.MANAGE_API_KEYS))
    async def get_api_key(
        self, api_key_id: FromPath[str], caller: NamedDependency[Caller], api_keys: NamedDependency[ApiKeys]
    ) -> ApiKeyOut:
        """The key's role, team, description and dates: made, last used, expiring, revoked (never the key itself)."""
        return api_key_out(await api_keys.get(caller, api_key_id))

    @post("/{api_key_id:str}/revoke", status_code=200, **requires(Permission.MANAGE_API_KEYS))
    async def revoke(
        self, api_key_id: FromPath[str], caller: NamedDependency[Caller], api_keys: NamedDependency[ApiKeys]
    ) -> ApiKeyOut:
        """Refused from the key's next request on, in every process; again, it keeps the first time. Only an
        owner revokes an owner key."""
        return api_key_out(await api_keys.revoke(caller, api_key_id))


def encode_cursor(cursor: ApiKeyCursor) -> str:
    raw = json.dumps([cursor.created_at.isoformat(), cursor.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> ApiKeyCursor | None:
    if cursor is None:
        return None
    try:
        created_at, key_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        decoded = ApiKeyCursor(created_at=datetime.fromisoformat(created_at), id=key_id)
    except (ValueError, TypeError, binascii.Error):
        decoded = None
    if decoded is None or not (isinstance(decoded.id, str) and KEY_ID.fullmatch(decoded.id)):
        raise InvalidInput("the cursor is not one this API returned")
    if decoded.created_at.utcoffset() is None:  # ours always carry one
        raise InvalidInput("the cursor is not one this API returned")
    return decoded
