"""Where the data lives and how it is held.

- db.py: the engine and session factory (SQLite: one connection, every transaction `BEGIN IMMEDIATE`).
- transaction.py: the one way a service holds a transaction.
- sqlite_driver.py: SQLAlchemy's aiosqlite dialect with one trip to its thread per statement.
- group_commit.py: callers that finish together share one transaction (inbox marks, sender records).
- migrate.py: Alembic migrations configured in code; backup.py: consistent online backups.
"""
