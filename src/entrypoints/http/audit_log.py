"""REST v1: the tenant audit log of administrative acts (owners and auditors): its entries a page at a
time, oldest first, and the verdict on its hash chain."""

from __future__ import annotations

import re
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from undersign.application.access.audit_log import MAX_PAGE_SIZE, TenantAuditQueries
from undersign.application.access.permissions import Caller, Permission
from undersign.domain.audit import TenantAuditEntry
from undersign.domain.errors import InvalidInput
from undersign.entrypoints.http.guards import requires
from undersign.entrypoints.http.schemas import AuditEventOut

MAX_CURSOR_LENGTH = 20  # a sequence number in decimal
_CURSOR = re.compile(r"[0-9]{1,18}")


class TenantAuditLogOut(msgspec.Struct, kw_only=True):
    items: list[AuditEventOut]  # oldest first, in chain order
    next_cursor: str | None


class TenantAuditVerificationOut(msgspec.Struct, kw_only=True):
    chain_valid: bool
    entries: int  # how many entries were checked
    last_hash: str | None  # the last entry's hash, when the chain is valid


class TenantAuditLogController(Controller):
    path = "/v1/audit-log"
    tags = ["audit log"]

    @get("/", **requires(Permission.READ_TENANT_AUDIT))
    async def list_audit_log(
        self,
        caller: NamedDependency[Caller],
        tenant_audit: NamedDependency[TenantAuditQueries],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = 50,
        cursor: Annotated[str | None, QueryParameter(max_length=MAX_CURSOR_LENGTH)] = None,
    ) -> TenantAuditLogOut:
        """The tenant's administrative acts (API keys created and revoked), oldest first, each with the hash of
        the one before and its own."""
        page = await tenant_audit.page(caller, limit=limit, after=_decode_cursor(cursor))
        return TenantAuditLogOut(
            items=[_entry_out(e) for e in page.items],
            next_cursor=str(page.next_cursor) if page.next_cursor is not None else None,
        )

    @get("/verification", **requires(Permission.READ_TENANT_AUDIT))
    async def verify_audit_log(
        self, caller: NamedDependency[Caller], tenant_audit: NamedDependency[TenantAuditQueries]
    ) -> TenantAuditVerificationOut:
        """Whether the tenant's whole chain is unbroken: every entry's hash recomputed, every link checked."""
        verdict = await tenant_audit.verify(caller)
        return TenantAuditVerificationOut(
            chain_valid=verdict.chain_valid, entries=verdict.entries, last_hash=verdict.last_hash
        )


def _entry_out(entry: TenantAuditEntry) -> AuditEventOut:
    return AuditEventOut(
        seq=entry.seq, type=entry.type, at=entry.at, actor=entry.actor, data=entry.data,
        prev_hash=entry.prev_hash, hash=entry.hash,
    )


def _decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not _CURSOR.fullmatch(cursor):
        raise InvalidInput("the cursor is not one this API returned")
    return int(cursor)
