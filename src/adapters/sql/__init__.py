"""Persistence over SQLAlchemy (async): SQLite embedded, PostgreSQL or MySQL/MariaDB in production.

The composition root needs:

    engine = create_engine(url)                     # adapters.sql.engine
    sessions = create_session_factory(engine)
    uow_factory = sql_unit_of_work_factory(sessions, blob_store)
    migrate.upgrade(url)                            # adapters.sql.migrate: the only way the schema is made
"""

from undersign.adapters.sql.engine import create_engine, create_session_factory
from undersign.adapters.sql.unit_of_work import SqlUnitOfWork, sql_unit_of_work_factory

__all__ = ["SqlUnitOfWork", "create_engine", "create_session_factory", "sql_unit_of_work_factory"]
