"""What every table shares: the declarative Base, its naming convention and the portable column types.

Portability rules (SQLite, PostgreSQL, MySQL/MariaDB):
- identifiers, hashes and enum values are bounded strings compared byte-wise (`Id`), so
  keyset order and uniqueness are the same everywhere (MySQL's default collation is
  case-insensitive and would make "aB" equal to "Ab");
- text the domain does not bound is `Text`;
- timestamps go in as UTC and come back timezone-aware (`UtcDateTime`);
- JSON is stored as text we serialise ourselves (`JsonText`), so what comes back is exactly
  what went in whatever the server does to JSON values (the audit chain hashes it).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Dialect,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    inspect,
)
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeEngine

ID_LENGTH = 64

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def Id(length: int = ID_LENGTH) -> TypeEngine[str]:  # noqa: N802 - reads as a type in column definitions
    """A string compared byte by byte (code point order, like Python's), on every server."""
    return (
        String(length)
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
        .with_variant(mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb")
    )


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC, microseconds included.

    PostgreSQL keeps the zone (timestamptz); SQLite and MySQL store naive UTC, and the
    zone is put back when reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return mysql.DATETIME(fsp=6)
        return DateTime(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing to store a naive datetime: {value!r}")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JsonText(TypeDecorator[Any]):
    """JSON kept as the exact text we wrote (LONGTEXT on MySQL, whose TEXT stops at 64 KB)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # Not through dialect.type_descriptor(): PostgreSQL's drivers adapt Text to their
        # String type, which then compiles (and compares, in autogenerate) as VARCHAR.
        if dialect.name in ("mysql", "mariadb"):
            return mysql.LONGTEXT()
        return Text()

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


def Blob() -> TypeEngine[bytes]:  # noqa: N802 - reads as a type in column definitions
    """Bytes of any size (LONGBLOB on MySQL, whose BLOB stops at 64 KB)."""
    return LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


# MySQL/MariaDB: transactional tables in full Unicode, whatever the server's defaults.
BLOB_KEY_LENGTH = 512
MYSQL_TABLE_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    __table_args__: Any = MYSQL_TABLE_OPTIONS


def column_values(row: Base) -> dict[str, Any]:
    """A row's column attributes as a dict, for bulk INSERT and UPDATE statements."""
    return {attr.key: getattr(row, attr.key) for attr in inspect(type(row)).column_attrs}
