"""Retention and legal hold: when an ended envelope's documents go, and what keeps them.

An envelope that ends (completed, declined, voided, expired) is due for purge the number of
days its policy snapshot's `retention_days` says after it ended. Purging deletes the stored
bytes of its documents (every revision) and of its certificate of completion, and leaves a
tombstone: the envelope, its recipients, the documents' records with every revision's
SHA-256 and size, the certificate's SHA-256, and the whole audit chain, so the chain still
verifies and anyone holding a copy of a PDF can still prove it is the one signed.

A legal hold, set by an admin with a reason, keeps the documents whatever the date, until
it is released. Purge runs in two steps (begun, then finished), so that a purge cut short
is finished by the next run, and a hold cannot be set on documents already half deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from undersign.domain.errors import DomainError, InvalidState


class ContentPurged(DomainError):
    """The envelope's documents were purged under its retention policy (or are being purged): their
    bytes are gone for good, only their hashes remain (HTTP 410)."""

    code = "documents_purged"


class NoLegalHold(InvalidState):
    code = "no_legal_hold"


class UnderLegalHold(InvalidState):
    """The envelope is on legal hold: its documents are kept until the hold is released."""

    code = "legal_hold"


@dataclass(frozen=True, slots=True, kw_only=True)
class LegalHold:
    """Why the envelope's documents are kept past their retention, since when, and who said so."""

    reason: str
    since: datetime
    by: str


def purge_date(ended_at: datetime, retention_days: int) -> datetime:
    """When an envelope that ended at `ended_at` is due for purge under `retention_days`."""
    return ended_at + timedelta(days=retention_days)
