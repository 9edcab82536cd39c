"""Fixtures that run an import against the test database with the port's clock and an importing actor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.importing import ImportKind, ImportReport, import_file, import_rows
from tests.importing.support import DEFAULT_LOCALE, EXAMPLES, IMPORTER, PORT_TZ, SEQUENCE, Run, table


@pytest.fixture
def run_rows(session: AsyncSession) -> Run:
    async def run(kind: ImportKind | str, text: str, **kw: Any) -> ImportReport:
        kw.setdefault("default_locale", DEFAULT_LOCALE)
        return await import_rows(session, kind, table(text), actor=IMPORTER, tz=PORT_TZ, **kw)

    return run


@pytest.fixture
def run_file(session: AsyncSession) -> Run:
    async def run(kind: ImportKind | str, path: Path, **kw: Any) -> ImportReport:
        kw.setdefault("default_locale", DEFAULT_LOCALE)
        return await import_file(session, kind, path, actor=IMPORTER, tz=PORT_TZ, **kw)

    return run


@pytest.fixture
def import_examples(run_file: Run) -> Callable[[], Awaitable[list[ImportReport]]]:
    async def run_all() -> list[ImportReport]:
        return [await run_file(kind, EXAMPLES / f"{kind}.csv") for kind in SEQUENCE]

    return run_all
