"""The repository ports over one AsyncSession (the unit of work's transaction), by subject.

Reads go through the ORM row classes and come back as domain objects; nothing outside
this package sees a row or a session. Writes that can lose a race (a stale version, a
revision or audit sequence number someone else took, a duplicate id or slug) raise
ConcurrencyConflict, which the application's retry loop understands (`shared.py`).
"""
