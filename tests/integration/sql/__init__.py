"""The persistence contract by subject: one suite, run against the fakes and against each SQL backend.

A backend is a unit-of-work factory over an empty, migrated database: a SQLite file, or a
fresh database (dropped afterwards) on the session's PostgreSQL or MariaDB server
(tests/conftest.py starts them once per session, or takes their URLs from the environment).
The `backend` and `tenants` fixtures are in conftest.py, the aggregates the tests build in helpers.py.
"""
