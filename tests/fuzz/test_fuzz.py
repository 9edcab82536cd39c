"""Thousands of generated updates through the real dispatcher: the bot never fails, never stays silent,
answers in the reader's language, and never shows one company's data to another's contact.

Updates come from `generate` (hypothesis, derandomized: the same programs on every run); all oracles are
checked at the end of each session, see `tests/fuzz/session.py`.
"""

from __future__ import annotations

import os

import pytest

from tests.fuzz.session import fuzz_session, generate
from tests.fuzz.strategies import Burst, programs
from tests.fuzz.world import LANGUAGES, STAFF_ROLES

# thousands of updates: one backend is enough for CI's time budget; scheduled first (tests/conftest.py)
pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]

# 1: about 1,100 updates, about 2 minutes on SQLite on a loaded 2-core machine (CI's budget); the bot
# handles some 10-17 updates a second there. PORTCRM_FUZZ_SCALE=7 sends about 11,800 (issue 7 asks 10,000).
SCALE = float(os.environ.get("PORTCRM_FUZZ_SCALE", "1"))
CUSTOMERS = [f"{tag}.{language}" for tag in "AB" for language in LANGUAGES] + [
    f"anon.{lang}" for lang in LANGUAGES
]
STAFF = [f"staff.{role.value}" for role in STAFF_ROLES]


def _count(n: int) -> int:
    return max(1, int(n * SCALE))


async def test_customers_and_strangers_survive_generated_updates(database_url: str) -> None:
    async with fuzz_session(database_url) as driver:
        await driver.run(generate(programs(CUSTOMERS), _count(150)))


async def test_staff_survive_generated_updates(database_url: str) -> None:
    async with fuzz_session(database_url) as driver:
        await driver.run(generate(programs(STAFF), _count(80)))


async def test_a_flood_from_one_user_with_throttling_on(database_url: str) -> None:
    """Throttling slows a flood, then sets updates aside with a notice: silence is allowed, nothing else."""
    flood = (Burst(tuple((f"{n}",) for n in range(30))),)
    async with fuzz_session(database_url, throttled=True, user_rate_limit=5.0) as driver:
        await driver.run(
            [("A.en", flood), ("staff.finance", flood), *generate(programs(CUSTOMERS), _count(10))]
        )
