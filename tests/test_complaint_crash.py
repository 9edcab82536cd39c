"""`portcrm run` killed with SIGKILL while a complaint is being submitted, restarted too late to answer the
button: the replayed Submit still tells the user their ticket in a message, once."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from portcrm.enums import NotificationStatus
from portcrm.i18n import gettext_for
from portcrm.models import Complaint, Notification, ReceivedUpdate
from portcrm.storage.db import Database
from sandbox import BotAPISandbox, SandboxUser, SentMessage
from tests.factories import make_contact, make_customer
from tests.test_sender_crash import _stop, _wait
from tests.test_update_crash import _start_bot, run_env

pytestmark = pytest.mark.slow  # scheduled first (tests/conftest.py)

TOKEN = "7000006:PORTCRM-complaint-crash"
USER = 9861
TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
en = gettext_for("en")


async def _next(
    sandbox: BotAPISandbox, user: SandboxUser, after: object, wanted: Callable[[SentMessage], bool]
) -> SentMessage:
    message = await sandbox.wait_for_reply(user, after=after, token=TOKEN, timeout=30)  # type: ignore[arg-type]
    while not wanted(message):
        message = await sandbox.wait_for_reply(user, after=message, token=TOKEN, timeout=30)
    return message


def _new(text: str) -> Callable[[SentMessage], bool]:
    return lambda m: not m.edited and (m.text or "").startswith(text)


async def _to_summary(sandbox: BotAPISandbox, user: SandboxUser) -> tuple[SentMessage, int]:
    """A billing complaint, no shipment, no files: up to the summary with its Submit button; returns it
    and the update that asked for it."""
    ask = await _next(sandbox, user, sandbox.send_text(TOKEN, user, "/complaint"), _new("New complaint"))
    describe = _new(en("Please describe the problem"))
    await _next(sandbox, user, sandbox.press(TOKEN, user, ask, en("Billing")), describe)
    files = await _next(
        sandbox, user, sandbox.send_text(TOKEN, user, "The invoice is wrong."), _new(en("You can add up to"))
    )
    skip = sandbox.press(TOKEN, user, files, en("Skip"))
    summary = await _next(sandbox, user, skip, _new("Please check your complaint"))
    return summary, skip["update_id"]


async def _count(db: Database, model: Any) -> int:
    async with db.session() as session:
        count = await session.scalar(select(func.count()).select_from(model))
        await session.commit()
    return int(count or 0)


async def test_a_submit_cut_off_by_a_crash_is_confirmed_in_a_message_after_a_late_restart(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    async with db.session() as session:
        customer = await make_customer(session)
        await make_contact(session, customer, name="王芳", telegram_user_id=USER)
        await session.commit()
    async with BotAPISandbox() as sandbox:
        sandbox.add_bot(TOKEN)
        user = sandbox.add_user(USER, "Crash", language_code="en")
        env = run_env(database_url, sandbox, TOKEN)
        log = tmp_path / "bot.log"
        bot = await _start_bot(env, log)
        try:

            async def polling() -> bool:
                return bool(sandbox.calls_to("setMyCommands"))

            await _wait("the bot polling", polling, bot, log)
            summary, skipped = await _to_summary(sandbox, user)

            async def handled(update_id: int) -> bool:
                async with db.session() as session:
                    row = await session.get(ReceivedUpdate, update_id)
                    await session.commit()
                return row is not None and row.handled_at is not None

            await _wait("the summary's update handled", lambda: handled(skipped), bot, log)
            # after the commit the handler's first call to Telegram never gets an answer: it is stuck there
            sandbox.faults.add("sendMessage", "timeout", chat_id=USER)
            sandbox.faults.add("answerCallbackQuery", "timeout")
            update_id = sandbox.press(TOKEN, user, summary, en("Submit"))["update_id"]

            async def committed_and_stuck() -> bool:
                confirmed = all(u["update_id"] != update_id for u in sandbox.state.bots[TOKEN].updates)
                async with db.session() as session:
                    row = await session.get(ReceivedUpdate, update_id)
                    stuck = row is not None and row.started_at is not None and row.handled_at is None
                    filed = await session.scalar(select(func.count()).select_from(Complaint))
                    await session.commit()
                return confirmed and stuck and filed == 1 and len(sandbox.faults.pending) == 1

            await _wait("the complaint committed and its handler stuck", committed_and_stuck, bot, log)
            os.kill(bot.pid, signal.SIGKILL)
            await asyncio.wait_for(bot.wait(), timeout=10)
            mark = sandbox.mark()
            # the restart comes later than Telegram waits for a button's answer
            sandbox.faults.clear()
            sandbox.faults.add("answerCallbackQuery", 400, description=TOO_OLD, times=3)

            bot = await _start_bot(env, log)
            async with db.session() as session:
                ticket = await session.scalar(select(Complaint.ticket))
                await session.commit()
            assert ticket is not None
            thanks = en("Thank you. Your complaint is registered as <b>{ticket}</b>.").format(ticket=ticket)
            plain = thanks.replace("<b>", "").replace("</b>", "")

            async def told() -> bool:
                return any(m.text and m.text.startswith(plain) for m in sandbox.replies(user, mark, TOKEN))

            await _wait("the confirmation after the restart", told, bot, log)

            await _wait("the replayed update marked handled", lambda: handled(update_id), bot, log)
            await sandbox.wait_idle(quiet=0.5)
            told_again = [m for m in sandbox.replies(user, mark, TOKEN) if (m.text or "").startswith(plain)]
            assert len(told_again) == 1, "once: the outbox does not send it as well"
        finally:
            await _stop(bot)
    async with db.session() as session:
        row = await session.get(ReceivedUpdate, update_id)
        notice = await session.scalar(select(Notification).where(Notification.kind == "complaint_registered"))
        await session.commit()
    assert await _count(db, Complaint) == 1
    await db.dispose()
    assert row is not None
    assert row.attempts == 2
    assert notice is not None
    assert notice.status == NotificationStatus.SENT
