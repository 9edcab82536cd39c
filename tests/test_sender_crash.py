"""`portcrm worker` killed with SIGKILL mid-delivery and restarted: everything arrives, at most one twice."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from asyncio.subprocess import Process
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portcrm.enums import NotificationStatus
from portcrm.messaging import outbox
from portcrm.models import Notification
from portcrm.settings import PROJECT_ROOT
from portcrm.storage.db import Database
from sandbox import BotAPISandbox

pytestmark = pytest.mark.slow  # scheduled first (tests/conftest.py)

TOKEN = "7000003:PORTCRM-crash-token"
CHATS = range(9100, 9124)
PER_CHAT = 5  # 120 notifications: about five seconds of sending at 25 a second
HELD = CHATS[9]
DEADLINE = 60.0  # seconds, starting the worker included (slow on a busy machine)


async def _start_worker(env: dict[str, str], log: Path) -> Process:
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.runtime.cli",
            "worker",
            env=env,
            cwd=log.parent,
            stdout=output,
            stderr=output,
        )


async def _stop(worker: Process) -> None:
    if worker.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            worker.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(worker.wait(), timeout=10)
        except TimeoutError:
            worker.kill()
            await worker.wait()


async def _wait(what: str, done: Callable[[], Awaitable[bool]], worker: Process, log: Path) -> None:
    """Until `done`, failing with the worker's log if it dies or takes longer than DEADLINE seconds."""
    deadline = time.monotonic() + DEADLINE
    while not await done():
        if worker.returncode is not None or time.monotonic() > deadline:
            output = await asyncio.to_thread(log.read_text)
            raise AssertionError(f"no {what} (worker exit code {worker.returncode}):\n{output[-3000:]}")
        await asyncio.sleep(0.05)


async def _kill_mid_delivery(
    db: Database, database_url: str, tmp_path: Path, *, held: list[int], window: int
) -> tuple[Counter[str | None], int, list[str]]:
    """Run a worker until a send to each `held` chat is in flight, kill -9 it, restart it, let it finish.

    Telegram takes the first message to each held chat but the answer never comes: the worker dies waiting.
    Returns how often each text arrived, how many had arrived at the kill, and every text enqueued.
    """
    async with BotAPISandbox() as sandbox:
        sandbox.add_bot(TOKEN)
        for chat in CHATS:
            sandbox.send_text(TOKEN, sandbox.add_user(chat, f"User {chat}"), "/start")
        texts = [f"notice {n} for {chat}" for chat in CHATS for n in range(PER_CHAT)]
        for chat in held:
            sandbox.faults.add("sendMessage", "timeout", delay=60, apply=True, chat_id=chat)
        async with db.session() as session:
            for i, text in enumerate(texts):
                chat = int(text.rsplit(" ", 1)[1])
                await outbox.enqueue(session, key=f"crash:{i}", kind="test", chat_id=chat, text=text)
            await session.commit()

        def delivered() -> list[str | None]:
            return [m.text for chat in CHATS for m in sandbox.messages(chat, TOKEN)]

        async def in_flight() -> bool:
            return all(sandbox.messages(chat, TOKEN) for chat in held)

        async def all_recorded() -> bool:
            async with db.session() as session:
                pending = await session.scalar(
                    select(func.count()).where(Notification.status != NotificationStatus.SENT)
                )
                await session.commit()
            return pending == 0

        env = {
            **os.environ,
            "PYTHONPATH": str(PROJECT_ROOT),
            "PORTCRM_DATABASE_URL": database_url,
            "PORTCRM_BOT_TOKEN": TOKEN,
            "PORTCRM_TELEGRAM_API_URL": sandbox.base_url,
            "PORTCRM_RUN_SCHEDULER": "false",
            "PORTCRM_DELIVERY_WINDOW": str(window),
        }
        log = tmp_path / "worker.log"
        worker = await _start_worker(env, log)
        try:
            await _wait("a send in flight", in_flight, worker, log)
            os.kill(worker.pid, signal.SIGKILL)
            await asyncio.wait_for(worker.wait(), timeout=10)
            killed_after = len(delivered())
            worker = await _start_worker(env, log)
            await _wait("complete delivery", all_recorded, worker, log)
        finally:
            await _stop(worker)
    return Counter(delivered()), killed_after, texts


async def test_a_killed_worker_restarts_and_delivers_every_notification_once_but_one(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    counts, killed_after, texts = await _kill_mid_delivery(db, database_url, tmp_path, held=[HELD], window=1)

    assert 0 < killed_after < len(texts)  # the kill came in the middle of the work
    assert set(counts) == set(texts)
    repeated = {text: count for text, count in counts.items() if count > 1}
    assert repeated == {f"notice 0 for {HELD}": 2}  # sent, not yet recorded when killed: the only repeat


async def test_with_a_window_of_three_a_kill_repeats_at_most_the_three_in_flight(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    held = [CHATS[2], CHATS[5], CHATS[9]]
    counts, killed_after, texts = await _kill_mid_delivery(db, database_url, tmp_path, held=held, window=3)

    assert 0 < killed_after < len(texts)
    assert set(counts) == set(texts)
    repeated = {text: count for text, count in counts.items() if count > 1}
    assert repeated == {f"notice 0 for {chat}": 2 for chat in held}
