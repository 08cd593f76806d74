"""Operator use cases: tenants and their API keys, and authenticating a key."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from undersign.application.access.permissions import Caller
from undersign.application.shared.errors import AlreadyExists, Unauthenticated
from undersign.application.shared.loading import hash_token
from undersign.application.shared.ports import Clock, IdGenerator, SecretGenerator
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.domain.errors import NotFound
from undersign.domain.policy import default_policy
from undersign.domain.tenant import ApiKey, ApiKeyRole, Tenant

KEY_PREFIX = "usk"


KEY_ID = re.compile(r"[0-9A-Za-z]{1,64}")  # the ids the platform makes are a UUID's hex


def split_api_key(presented: str) -> tuple[str, str] | None:
    """The id and the secret of a presented `usk_<id>_<secret>` key; None if it is not shaped like one."""
    prefix, _, rest = presented.strip().partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or not secret or not KEY_ID.fullmatch(key_id):
        return None
    return key_id, secret


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedApiKey:
    key: str
    api_key: ApiKey
    tenant: Tenant


class Tenants:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, secrets: SecretGenerator) -> None:
        self._uow, self._clock, self._ids, self._secrets = uow, clock, ids, secrets

    async def create(self, slug: str, *, sender_name: str | None = None) -> Tenant:
        """A new tenant, with the default policy its envelopes follow; `sender_name` signs its emails."""
        tenant = Tenant(id=self._ids.new_id(), slug=slug, created_at=self._clock.now(), sender_name=sender_name)
        async with self._uow() as uow:
            if await uow.tenants.by_slug(slug) is not None:
                raise AlreadyExists(f"tenant {slug!r} already exists")
            await uow.tenants.add(tenant)
            await uow.policies.add(default_policy(policy_id=self._ids.new_id(), tenant_id=tenant.id))
            await uow.commit()
        return tenant

    async def create_api_key(self, slug: str, role: ApiKeyRole) -> IssuedApiKey:
        """The key is `usk_<id>_<secret>`; it is shown once and only the secret's hash is kept."""
        async with self._uow() as uow:
            tenant = await uow.tenants.by_slug(slug)
            if tenant is None:
                raise NotFound(f"no tenant {slug!r}")
            key_id, secret = self._ids.new_id(), self._secrets.new_secret()
            api_key = ApiKey(
                id=key_id, tenant_id=tenant.id, role=role,
                secret_hash=hash_token(secret), created_at=self._clock.now(),
            )
            await uow.api_keys.add(api_key)
            await uow.commit()
        return IssuedApiKey(key=f"{KEY_PREFIX}_{key_id}_{secret}", api_key=api_key, tenant=tenant)

    async def authenticate(self, presented: str) -> Caller:
        parts = split_api_key(presented)
        if parts is None:
            raise Unauthenticated("the API key is malformed")
        key_id, secret = parts
        async with self._uow() as uow:
            api_key = await uow.api_keys.get(key_id)
        if api_key is None or api_key.revoked_at is not None or not hmac.compare_digest(
            api_key.secret_hash, hash_token(secret)
        ):
            raise Unauthenticated("the API key is not valid")
        return Caller(tenant_id=api_key.tenant_id, api_key_id=api_key.id, role=api_key.role)
