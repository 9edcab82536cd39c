"""What the fault tests share: a bot whose retries wait briefly, and the records they check."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.telegram.retries import RetryHandlerCalls
from portcrm.models import Complaint, ReceivedUpdate
from portcrm.storage.db import Database
from tests.harness import RunningBot

# Long enough for a loaded machine's slowest honest call, short enough that a test waits little for a hang
ATTEMPT_TIMEOUT = 2.0


def quick_retries(app: RunningBot) -> RetryHandlerCalls:
    """The bot's retry policy, with the back-off and per-try timeout shortened for tests."""
    [retries] = [m for m in app.bot.session.middleware if isinstance(m, RetryHandlerCalls)]
    retries.attempt_timeout, retries.backoff = ATTEMPT_TIMEOUT, 0.05
    return retries


async def complaints(db: Database) -> list[Complaint]:
    async with db.session() as session:
        rows = list(await session.scalars(select(Complaint).order_by(Complaint.id)))
        await session.commit()
    return rows


async def received(db: Database, update_id: int) -> ReceivedUpdate:
    async with db.session() as session:
        row = await session.get(ReceivedUpdate, update_id)
        await session.commit()
    assert row is not None
    return row


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Everything logged at ERROR or above: an apology's incident, or an exception out of the dispatcher."""
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
