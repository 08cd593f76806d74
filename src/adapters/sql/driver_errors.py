"""Reading a driver's error code, the same way for every question asked of it."""

from __future__ import annotations


def driver_error_code(orig: BaseException | None) -> int | str:
    """MySQL/MariaDB's error number (an int), else PostgreSQL's SQLSTATE ("" if there is none).

    MySQL drivers raise (errno, message) and their sqlstate is too coarse to use; asyncpg
    calls the SQLSTATE `sqlstate`, psycopg `pgcode`.
    """
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):
        return args[0]
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or ""
