from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness import RunningBot, running_bot


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[RunningBot]:
    async with running_bot(database_url) as running:
        yield running
