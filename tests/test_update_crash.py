"""`portcrm run` killed with SIGKILL mid-handler, after polling had confirmed the update: it is not lost."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from portcrm.i18n import gettext_for
from portcrm.models import ReceivedUpdate
from portcrm.settings import PROJECT_ROOT
from portcrm.storage.db import Database
from sandbox import BotAPISandbox
from tests.test_sender_crash import _stop, _wait

pytestmark = pytest.mark.slow  # scheduled first (tests/conftest.py)

TOKEN = "7000005:PORTCRM-update-crash"
USER = 9851


def run_env(database_url: str, sandbox: BotAPISandbox, token: str) -> dict[str, str]:
    """The environment of a `portcrm run` child against this sandbox, the scheduler off."""
    return {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "PORTCRM_DATABASE_URL": database_url,
        "PORTCRM_BOT_TOKEN": token,
        "PORTCRM_TELEGRAM_API_URL": sandbox.base_url,
        "PORTCRM_RUN_SCHEDULER": "false",
    }


async def _start_bot(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.runtime.cli",
            "run",
            env=env,
            cwd=log.parent,
            stdout=output,
            stderr=output,
        )


async def test_an_update_cut_off_by_a_crash_is_handled_after_the_restart(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    async with BotAPISandbox() as sandbox:
        sandbox.add_bot(TOKEN)
        user = sandbox.add_user(USER, "Crash", language_code="en")
        sandbox.state.bots[TOKEN].started.add(USER)
        env = run_env(database_url, sandbox, TOKEN)
        log = tmp_path / "bot.log"
        bot = await _start_bot(env, log)
        try:

            async def polling() -> bool:
                return bool(sandbox.calls_to("setMyCommands"))

            await _wait("the bot polling", polling, bot, log)
            # the reply never gets an answer: the handler is stuck mid-update when the process dies
            sandbox.faults.add("sendMessage", "timeout", delay=60, chat_id=USER)
            update_id = sandbox.send_text(TOKEN, user, "/help")["update_id"]

            async def stuck_and_confirmed() -> bool:
                confirmed = all(u["update_id"] != update_id for u in sandbox.state.bots[TOKEN].updates)
                async with db.session() as session:
                    row = await session.get(ReceivedUpdate, update_id)
                    started = row is not None and row.started_at is not None and row.handled_at is None
                    await session.commit()
                return confirmed and started and not sandbox.faults.pending

            await _wait("the update confirmed and its handler stuck", stuck_and_confirmed, bot, log)
            os.kill(bot.pid, signal.SIGKILL)
            await asyncio.wait_for(bot.wait(), timeout=10)
            assert sandbox.messages(USER, TOKEN) == []  # Telegram will not send it again: only we have it

            bot = await _start_bot(env, log)

            async def answered() -> bool:
                return bool(sandbox.messages(USER, TOKEN))

            await _wait("the replayed update answered", answered, bot, log)
            await sandbox.wait_idle(quiet=0.5)
        finally:
            await _stop(bot)
    async with db.session() as session:
        row = await session.scalar(select(ReceivedUpdate).where(ReceivedUpdate.update_id == update_id))
        await session.commit()
    await db.dispose()
    [reply] = sandbox.messages(USER, TOKEN)
    assert gettext_for("en")("/services") in (reply.text or "")
    assert row is not None
    assert (row.attempts, row.handled_at is not None) == (2, True)
