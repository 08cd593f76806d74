"""Spies on the fakes, for what only the calls a use case makes can show."""

from __future__ import annotations

from typing import Any

import pytest


def limits_asked(monkeypatch: pytest.MonkeyPatch, store: type, method: str) -> list[int]:
    """The `limit` of every call of a fake repository's page read `store.method`, recorded as each goes through:
    how many rows a use case asks the store for is invisible in what it returns."""
    asked: list[int] = []
    read = getattr(store, method)

    async def counting(self: Any, tenant_id: str, *, limit: int, after: Any = None) -> Any:
        asked.append(limit)
        return await read(self, tenant_id, limit=limit, after=after)

    monkeypatch.setattr(store, method, counting)
    return asked


def envelopes_asked(monkeypatch: pytest.MonkeyPatch, store: type, method: str) -> list[str]:
    """The envelope id of every call of a fake repository's `store.method(tenant_id, envelope_id)`, recorded as
    each goes through: how often a use case reads what it needs is invisible in what it does."""
    asked: list[str] = []
    call = getattr(store, method)

    async def counting(self: Any, tenant_id: str, envelope_id: str) -> Any:
        asked.append(envelope_id)
        return await call(self, tenant_id, envelope_id)

    monkeypatch.setattr(store, method, counting)
    return asked
