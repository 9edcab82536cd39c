"""What the fault tests share: a bot whose retries wait briefly, and the records they check."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.telegram.callback_answers import answers_of
from bot.telegram.retries import RetryHandlerCalls
from portcrm.models import Complaint, ReceivedUpdate
from portcrm.storage.db import Database
from sandbox import BotAPISandbox
from tests.harness import RunningBot

# Long enough for a loaded machine's slowest honest call, short enough that a test waits little for a hang
ATTEMPT_TIMEOUT = 2.0


def quick_retries(app: RunningBot) -> RetryHandlerCalls:
    """The bot's retry policy, with the back-off and per-try timeout shortened for tests (a button's
    answer's too)."""
    [retries] = [m for m in app.bot.session.middleware if isinstance(m, RetryHandlerCalls)]
    retries.attempt_timeout, retries.backoff = ATTEMPT_TIMEOUT, 0.05
    answers = answers_of(app.bot)
    assert answers is not None
    answers.try_timeout, answers.backoff = ATTEMPT_TIMEOUT, 0.05
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


def strict(sandbox: BotAPISandbox) -> None:
    """`running_bot(before_start=strict)`: Telegram's flood limits on, as in production."""
    sandbox.flood.enabled = True


async def refused(app: RunningBot, chat_id: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Until the sandbox has answered a request for this chat with 429: its retry_after window is open."""

    def seen() -> bool | None:
        chats = (chat_id, str(chat_id))
        return any(c.status == 429 and c.params.get("chat_id") in chats for c in app.sandbox.calls) or None

    if await app.sandbox.state.changed.wait_until(seen, timeout) is None:
        raise TimeoutError(f"no 429 for chat {chat_id} within {timeout}s")
