"""Moments given by callers (list filters, cursors, validation times), checked before they are used."""

from __future__ import annotations

from datetime import UTC, datetime

from undersign.domain.errors import InvalidInput


def in_utc(moment: datetime, name: str) -> datetime:
    """`moment` in UTC; InvalidInput if it has no UTC offset or falls outside the years 1 to 9999 in UTC
    (9999-12-31T23:00:00-05:00 is in the year 10000 there)."""
    if moment.utcoffset() is None:
        raise InvalidInput(f"{name} needs a UTC offset, such as 2026-01-05T09:00:00Z or +02:00")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"{name} is out of range: it must fall between the years 1 and 9999 in UTC") from None
