"""Idempotency keys: a creating request sent again with the same key is answered, not redone.

The first request under a key claims it, in a short transaction of its own, so that a
concurrent duplicate finds the claim and is refused (IdempotencyKeyInProgress) instead of
doing the work too. The work then runs in its own unit of work, and its response is
recorded under the key afterwards; a repeat with the same fingerprint gets that response
back, a different request under the same key is refused (IdempotencyKeyReused). A request
that fails gives the key up again: nothing was done, so it may be retried under that key.

Keys are scoped to the caller's credential (its API key, session or signing link, in its
tenant: KeyOwner): a response is only ever replayed to the credential that made the request, so another key, even an admin's, replaying one cannot
pick up a signing token or a webhook secret. They expire KEY_LIFETIME after they were
claimed; expired records are purged lazily, whenever the tenant claims a new key.

The window accepted: the response is recorded in a transaction after the work's own (the
HTTP edge renders a response only once its use case has committed). If the process dies or
the database goes away in between, the key stays claimed: repeats are refused until the
claim's lease (CLAIM_LEASE) runs out, and after that a repeat is taken as a new request
and does the work again.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import timedelta

from undersign.application.access.permissions import Caller
from undersign.application.access.ports import IdempotencyKeys, IdempotencyRecord, StoredResponse
from undersign.application.shared.errors import IdempotencyKeyInProgress, IdempotencyKeyReused, InvalidIdempotencyKey
from undersign.application.shared.ports import Clock, IdGenerator

KEY_LIFETIME = timedelta(hours=24)


# Longer than any request should take: a claim older than this belongs to a request that died.
CLAIM_LEASE = timedelta(minutes=5)


MAX_KEY_LENGTH = 255


# Each round loses only to a request that changed the record meanwhile; three are plenty.
MAX_ROUNDS = 3


def fingerprint(method: str, path: str, body: bytes, *, secret: bytes = b"") -> str:
    """What makes two requests the same one: HMAC-SHA256 over the method, the path and the body bytes.

    Keyed with the caller's own secret (the one their stored responses are sealed with): bodies can
    carry secrets (a recipient's access code), and a stored fingerprint must not let whoever reads
    the table try guesses against it.
    """
    digest = hmac.new(secret, f"{method.upper()} {path}\n".encode(), hashlib.sha256)
    digest.update(body)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyOwner:
    """Whose idempotency keys these are: one credential of a tenant (an API key, a session, a signing link)."""

    tenant_id: str
    credential_id: str

    @classmethod
    def of(cls, caller: Caller) -> KeyOwner:
        return cls(tenant_id=caller.tenant_id, credential_id=caller.credential_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotentRequest:
    owner: KeyOwner
    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """The right to do a request's work under its key; complete it or release it."""

    record: IdempotencyRecord


class Idempotency:
    def __init__(self, keys: IdempotencyKeys, clock: Clock, ids: IdGenerator) -> None:
        self._keys, self._clock, self._ids = keys, clock, ids

    async def begin(self, request: IdempotentRequest) -> Claim | StoredResponse:
        """A claim to go ahead with the work, or the response to answer a repeat with.

        Raises IdempotencyKeyReused if the key was first used for another request, and
        IdempotencyKeyInProgress while the first request under it is still running.
        """
        _check(request.key)
        tenant_id, credential_id = request.owner.tenant_id, request.owner.credential_id
        for _ in range(MAX_ROUNDS):
            now = self._clock.now()
            mine = IdempotencyRecord(
                tenant_id=tenant_id, credential_id=credential_id, key=request.key, fingerprint=request.fingerprint,
                claim=self._ids.new_id(), created_at=now, expires_at=now + KEY_LIFETIME,
            )
            existing = await self._keys.get(tenant_id, credential_id, request.key)
            if existing is None or existing.expires_at <= now:
                await self._keys.purge(tenant_id, expired_at=now)
                if await self._keys.add(mine):
                    return Claim(record=mine)
                continue
            if existing.fingerprint != request.fingerprint:
                raise IdempotencyKeyReused(
                    f"idempotency key {request.key!r} was used for another request; use a new key for this one"
                )
            if existing.response is not None:
                return existing.response
            if existing.created_at + CLAIM_LEASE > now:
                raise IdempotencyKeyInProgress(
                    f"a request with idempotency key {request.key!r} is still in progress; ask again shortly"
                )
            # The request that claimed the key died without answering: this one takes over.
            if await self._keys.replace(mine, held_by=existing.claim):
                return Claim(record=mine)
        raise IdempotencyKeyInProgress(f"requests with idempotency key {request.key!r} are racing; ask again shortly")

    async def complete(self, claim: Claim, response: StoredResponse) -> bool:
        """Record the response for repeats; False if the claim was lost (its lease ran out) meanwhile."""
        return await self._keys.replace(replace(claim.record, response=response), held_by=claim.record.claim)

    async def release(self, claim: Claim) -> None:
        """Give the key up after the work failed (and so did nothing): it may be used again."""
        record = claim.record
        await self._keys.delete(record.tenant_id, record.credential_id, record.key, held_by=record.claim)


def _check(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all("!" <= c <= "~" for c in key):
        raise InvalidIdempotencyKey(
            f"an idempotency key is 1 to {MAX_KEY_LENGTH} visible ASCII characters (a UUID, say)"
        )
