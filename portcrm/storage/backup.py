"""Consistent online backups: SQLite's backup API (safe under concurrent writers), pg_dump for PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from portcrm.errors import N_, InvalidInput


def _sqlite_backup(source: str, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # copies a consistent snapshot page by page, WAL included
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise RuntimeError("backup failed its integrity check")
    finally:
        dst.close()
        src.close()


async def backup(database_url: str, target: Path) -> Path:
    url = make_url(database_url)
    if await asyncio.to_thread(target.exists):
        raise InvalidInput(N_("The backup file {path} already exists."), path=str(target))
    if url.get_backend_name() == "sqlite":
        if not url.database or not await asyncio.to_thread(Path(url.database).exists):
            raise InvalidInput(N_("There is no database file at {path}."), path=str(url.database))
        await asyncio.to_thread(_sqlite_backup, url.database, target)
        return target
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise InvalidInput(N_("pg_dump is needed to back up PostgreSQL and was not found."))
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    process = await asyncio.create_subprocess_exec(
        pg_dump, "--format=custom", f"--file={target}", f"--dbname={dsn}", stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"pg_dump failed: {stderr.decode(errors='replace').strip()}")
    return target
