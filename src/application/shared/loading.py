"""Loading aggregates the way every use case needs them: scoped to a tenant, or not found."""

from __future__ import annotations

import hashlib
from datetime import datetime

from undersign.application.shared.errors import EnvelopeClosed, LinkExpired, LinkRevoked, PreconditionFailed
from undersign.application.shared.unit_of_work import UnitOfWork
from undersign.domain.document import Document
from undersign.domain.envelope import Envelope
from undersign.domain.errors import NotFound
from undersign.domain.signing_link import SigningLink


async def require_envelope(
    uow: UnitOfWork, tenant_id: str, envelope_id: str, *, expected_version: int | None = None
) -> Envelope:
    """The tenant's envelope; with `expected_version`, only if it is still at that version.

    That check is the caller's optimistic lock (HTTP If-Match): made after loading and
    before any change, so a stale expectation changes nothing. Without one, a writer that
    loses a race still gets ConcurrencyConflict from the repository's save.
    """
    envelope = await uow.envelopes.get(tenant_id, envelope_id)
    if envelope is None:
        raise NotFound(f"no envelope {envelope_id}")
    check_version(envelope, expected_version)
    return envelope


def check_version(envelope: Envelope, expected_version: int | None) -> None:
    """PreconditionFailed if `expected_version` is given and the envelope is at another."""
    if expected_version is not None and envelope.version != expected_version:
        raise PreconditionFailed(
            f"envelope {envelope.id} is at version {envelope.version}, not {expected_version}: read it again"
        )


async def require_document(uow: UnitOfWork, envelope: Envelope, document_id: str) -> Document:
    document = await uow.documents.get(envelope.tenant_id, document_id)
    if document is None or document.envelope_id != envelope.id:
        raise NotFound(f"no document {document_id} in envelope {envelope.id}")
    return document


def hash_token(token: str) -> str:
    """Tokens and API key secrets are random and long, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


async def require_signing_link(uow: UnitOfWork, token: str, now: datetime) -> SigningLink:
    """The link the token opens: not expired, and not replaced by a newer one for its recipient."""
    link = await uow.signing_links.by_token_hash(hash_token(token))
    if link is None:
        raise NotFound("no such signing link")
    if link.revoked_at is not None:
        raise LinkRevoked("a newer signing link was issued for you: use the latest one you received")
    if not link.is_unexpired_at(now):
        raise LinkExpired("this signing link has expired: ask the sender for a new one")
    return link


async def require_open_link(uow: UnitOfWork, token: str, now: datetime) -> tuple[SigningLink, Envelope]:
    """The link and its envelope, as long as the envelope is open to its recipients.

    A declined, voided or expired envelope closes every link to it at once: nothing can be
    read or done through them any more. A completed one stays readable by its recipients.
    """
    link, envelope = await require_link_and_envelope(uow, token, now)
    require_open(envelope, now)
    return link, envelope


async def require_link_and_envelope(uow: UnitOfWork, token: str, now: datetime) -> tuple[SigningLink, Envelope]:
    """The link and its envelope, open or not: for what a recipient may still be told once it closed
    (that their own decline went through, when they ask again)."""
    link = await require_signing_link(uow, token, now)
    return link, await require_envelope(uow, link.tenant_id, link.envelope_id)


def require_open(envelope: Envelope, now: datetime) -> None:
    """EnvelopeClosed once the envelope is declined, voided or expired."""
    closed = envelope.closed_to_recipients(now)
    if closed:
        raise EnvelopeClosed(f"this envelope is {closed}: its signing links no longer work")
