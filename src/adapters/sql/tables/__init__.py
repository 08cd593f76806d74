"""Row classes by subject: how each aggregate is laid out in tables, and the mapping to and from the domain.

The schema itself is made only by the Alembic migrations in `migrations/versions`; these
classes describe it for queries, and a test checks that the two agree.

Importing this package (or any module in it) imports every subject module below, so every
table is on `metadata` (Base.metadata), which is what Alembic's env.py and the schema tests
compare with the database. A new subject module must be added to this list.
"""

from __future__ import annotations

# Imported for their side effect: each module's row classes register their tables on Base.metadata.
from undersign.adapters.sql.tables import (  # noqa: F401
    access,
    audit,
    background,
    certificates,
    documents,
    envelopes,
    people,
    policies,
    webhooks,
)
from undersign.adapters.sql.tables.base import Base

metadata = Base.metadata
"""Every table, whichever module defines it."""

__all__ = ["metadata"]
