"""The revocations of signers' certificates, inside the unit of work's transaction.

`add` lets the database decide who revoked a serial first, through its primary key, and
leaves the transaction usable whichever way it went:
- PostgreSQL and SQLite: INSERT ... ON CONFLICT DO NOTHING, which inserts nothing (rowcount
  0) where the serial is taken, waiting for a writer of the same serial that has not
  committed yet;
- MySQL/MariaDB, whose no-op ON DUPLICATE KEY UPDATE counts as a row matched (SQLAlchemy
  asks for found rows) and whose INSERT IGNORE would hide other errors too: a plain INSERT
  inside a savepoint, rolled back to on a duplicate key. (Not on SQLite: there the driver
  would let the savepoint's release commit the whole unit of work.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Dialect, Insert, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from undersign.adapters.sql.repositories.shared import FRESH, rowcount
from undersign.adapters.sql.tables.base import column_values
from undersign.adapters.sql.tables.certificates import CertificateRevocationRow
from undersign.domain.certificate_revocation import CertificateRevocation


class SqlCertificateRevocations:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, revocation: CertificateRevocation) -> bool:
        values = column_values(CertificateRevocationRow.from_domain(revocation))
        dialect = self._session.get_bind().dialect
        if dialect.name in ("postgresql", "sqlite"):
            result = await self._session.execute(_insert_unless_present(dialect).values(values))
            return rowcount(result) == 1
        return await self._insert_in_savepoint(values)

    async def get(self, serial: str) -> CertificateRevocation | None:
        row = await self._session.get(CertificateRevocationRow, serial, populate_existing=True)
        return row.to_domain() if row else None

    async def all(self) -> list[CertificateRevocation]:
        rows = await self._session.scalars(
            select(CertificateRevocationRow)
            .order_by(CertificateRevocationRow.revoked_at, CertificateRevocationRow.serial)
            .execution_options(**FRESH)
        )
        return [row.to_domain() for row in rows]

    async def _insert_in_savepoint(self, values: dict[str, Any]) -> bool:
        try:
            async with self._session.begin_nested():
                await self._session.execute(insert(CertificateRevocationRow).values(values))
        except IntegrityError:  # the primary key is the table's only constraint: the serial is taken
            return False
        return True


def _insert_unless_present(dialect: Dialect) -> Insert:
    module = postgresql if dialect.name == "postgresql" else sqlite
    statement = module.insert(CertificateRevocationRow)
    return statement.on_conflict_do_nothing(index_elements=[CertificateRevocationRow.serial])
