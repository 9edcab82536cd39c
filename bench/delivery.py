"""Greetings through the outbox: the real OutboxSender against the Bot API sandbox, beside raw aiogram.

`count` greetings (notification rows of kind greeting to as many started users) go out twice:
(a) flood control off and the rate lifted, the sender's own ceiling, measured beside raw
    `bot.send_message` of the same messages to the same sandbox (one at a time, and `--window` at a time),
    with the CPU each spent per message in this process (steadier than the rate on a loaded machine);
(b) at the broadcast rate (25/s) with the sandbox enforcing Telegram's limits: the rate achieved and 429s.
The sandbox runs in a process of its own, so the sender and the baseline each have a core to themselves.

    .venv/bin/python -m bench.delivery [--count 10000] [--window 32] [--database-url postgresql+asyncpg://...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import logging
import math
import multiprocessing
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from multiprocessing.connection import Connection
from typing import Any

from aiogram import Bot
from sqlalchemy import func, select

from bench.common import machine, pg_database, print_table, sqlite_file, sqlite_url, stopwatch
from bot.delivery import OutboxSender
from bot.runtime.app import build_bot
from bot.runtime.heap import freeze_start_up_heap
from portcrm.enums import NotificationStatus
from portcrm.models import Notification
from portcrm.settings import Settings
from portcrm.storage import migrate
from portcrm.storage.db import Database

TOKEN = "7000009:PORTCRM-bench-delivery"
FIRST_USER = 5_000_000
TEXT = "Happy Spring Festival, {name}! Thank you for shipping through our port this year."
COLUMNS = (
    "idempotency_key",
    "kind",
    "chat_id",
    "text",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)


# --- the sandbox, in its own process, answering commands over a pipe ------------------------------------


def _serve_sandbox(conn: Connection, count: int) -> None:
    asyncio.run(_sandbox_main(conn, count))


async def _sandbox_main(conn: Connection, count: int) -> None:
    from sandbox import BotAPISandbox

    accepted: list[tuple[float, int]] = []  # when the flood check let a message through, and its chat
    async with BotAPISandbox() as sandbox:
        sandbox.add_bot(TOKEN)
        for user_id in range(FIRST_USER, FIRST_USER + count):
            sandbox.add_user(user_id, f"Customer {user_id}")
            sandbox.state.bots[TOKEN].started.add(user_id)
        flood, check = sandbox.flood, sandbox.flood.check

        def recording(token: str, chat_id: int, *, is_group: bool) -> None:
            check(token, chat_id, is_group=is_group)
            accepted.append((time.monotonic(), chat_id))

        flood.check = recording  # type: ignore[method-assign]
        conn.send(sandbox.base_url)
        while True:
            command, arg = await asyncio.to_thread(conn.recv)
            if command == "stop":
                return
            if command == "reset":  # a new phase: flood control on or off, nothing counted yet
                flood.enabled = bool(arg)
                flood.reset()
                accepted.clear()
                sandbox.state.calls.clear()
                conn.send(None)
            elif command == "count":
                conn.send(len(accepted))
            elif command == "stats":
                conn.send(_stats(accepted, sandbox.state.calls))


def _stats(accepted: list[tuple[float, int]], calls: list[Any]) -> dict[str, Any]:
    times = [t for t, _ in accepted]
    busiest, start = 0, 0
    for end, t in enumerate(times):  # the most messages any one-second window held
        while times[start] <= t - 1.0:
            start += 1
        busiest = max(busiest, end - start + 1)
    return {
        "accepted": len(accepted),
        "chats": len({chat for _, chat in accepted}),
        "refused_429": sum(1 for c in calls if c.status == 429 and not c.injected),
        "span": times[-1] - times[0] if len(times) > 1 else 0.0,
        "busiest_second": busiest,
    }


@contextlib.contextmanager
def sandbox_process(count: int) -> Iterator[tuple[str, Connection]]:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(target=_serve_sandbox, args=(child, count))
    process.start()
    try:
        yield parent.recv(), parent
    finally:
        parent.send(("stop", None))
        process.join(10)


def _ask(conn: Connection, command: str, arg: Any = None) -> Any:
    conn.send((command, arg))
    return conn.recv()


# --- the outbox ---------------------------------------------------------------------------------------


def _rows(phase: str, count: int) -> list[tuple[Any, ...]]:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    chats = range(FIRST_USER, FIRST_USER + count)
    return [
        (
            f"greeting:{phase}:{chat}",
            "greeting",
            chat,
            TEXT.format(name=f"Customer {chat}"),
            "pending",
            0,
            now,
            now,
        )
        for chat in chats
    ]


async def insert_greetings(url: str, phase: str, count: int) -> None:
    """One phase's greetings, all pending and due, in one bulk insert."""
    rows = _rows(phase, count)
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(url.split(":///", 1)[1])) as conn, conn:
            marks = ", ".join("?" * len(COLUMNS))
            conn.executemany(
                f"INSERT INTO notifications ({', '.join(COLUMNS)}) VALUES ({marks})",
                [(*row[:6], *(str(d) for d in row[6:])) for row in rows],
            )
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        await conn.copy_records_to_table("notifications", records=rows, columns=COLUMNS)
    finally:
        await conn.close()


async def until_settled(db: Database, conn: Connection, count: int) -> None:
    """Until the sandbox has taken `count` messages and none is pending (asking the sandbox costs the
    database nothing, so the measurement does not slow the sender down)."""
    while True:
        if await asyncio.to_thread(_ask, conn, "count") >= count:
            break
        await asyncio.sleep(0.02)
    while True:
        async with db.session() as session:
            pending = await session.scalar(
                select(func.count()).where(Notification.status == NotificationStatus.PENDING)
            )
            await session.commit()
        if not pending:
            return
        await asyncio.sleep(0.05)


# --- the runs -----------------------------------------------------------------------------------------


@contextlib.contextmanager
def cpu_time() -> Iterator[list[float]]:
    """`with cpu_time() as took:` … `took[0]` is this process's CPU seconds (all its threads) afterwards:
    steadier than wall time on a shared machine, and what a CPU-bound run's rate follows."""
    took: list[float] = []
    start = time.process_time()
    try:
        yield took
    finally:
        took.append(time.process_time() - start)


async def raw_sends(bot: Bot, count: int, window: int) -> float:
    """Seconds for plain `send_message` of the same greetings, `window` at a time."""
    chats = iter(range(FIRST_USER, FIRST_USER + count))

    async def worker() -> None:
        for chat_id in chats:
            await bot.send_message(chat_id, TEXT.format(name=f"Customer {chat_id}"))

    with stopwatch() as took:
        await asyncio.gather(*(worker() for _ in range(window)))
    return took[0]


async def sender_run(
    db: Database, bot: Bot, settings: Settings, conn: Connection, count: int, **options: Any
) -> float:
    """Seconds from starting an OutboxSender until it has sent `count` messages and nothing is pending."""
    task = asyncio.create_task(OutboxSender(db, bot, settings, interval=0.05, **options).run())
    try:
        with stopwatch() as took:
            await until_settled(db, conn, count)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return took[0]


def _checked(conn: Connection, count: int) -> dict[str, Any]:
    stats = _ask(conn, "stats")
    if stats["accepted"] != count or stats["chats"] != count:
        print(f"  !! expected {count} messages to as many chats, the sandbox saw {stats}")
    return stats


async def bench(url: str, base_url: str, conn: Connection, args: argparse.Namespace) -> None:
    count, window = args.count, args.window
    settings = Settings(
        _env_file=None, bot_token=TOKEN, database_url=url, telegram_api_url=base_url, telegram_rate=math.inf
    )  # the client's overall pace lifted: the sender paces itself here, and the ceiling is measured
    db, bot = Database(url), build_bot(settings)
    backend = "PostgreSQL" if db.engine.url.get_backend_name() == "postgresql" else "SQLite"
    rows: list[list[object]] = []
    try:
        if not args.limited_only:
            for concurrency in (1, window):
                _ask(conn, "reset", False)
                with cpu_time() as raw_cpu:
                    seconds = await raw_sends(bot, count, concurrency)
                _checked(conn, count)
                raw = count / seconds
                _ask(conn, "reset", False)
                await insert_greetings(url, f"ceiling-{concurrency}", count)
                with cpu_time() as sender_cpu:
                    seconds = await sender_run(
                        db, bot, settings, conn, count, rate=math.inf, window=concurrency
                    )
                _checked(conn, count)
                sent = count / seconds
                raw_us, sender_us = raw_cpu[0] / count * 1e6, sender_cpu[0] / count * 1e6
                rows.append([f"raw send_message, {concurrency} at a time", count, raw, "", raw_us, ""])
                rows.append(
                    [
                        f"OutboxSender, window {concurrency}",
                        count,
                        sent,
                        f"{sent / raw:.2f}",
                        sender_us,
                        f"{raw_us / sender_us:.2f}",
                    ]
                )
            # as `portcrm run` has it: what start-up built frozen out of the collector's sight
            _ask(conn, "reset", False)
            await insert_greetings(url, "ceiling-frozen", count)
            frozen = freeze_start_up_heap()
            try:
                with cpu_time() as frozen_cpu:
                    seconds = await sender_run(db, bot, settings, conn, count, rate=math.inf, window=window)
            finally:
                gc.unfreeze()
            _checked(conn, count)
            frozen_us = frozen_cpu[0] / count * 1e6
            rows.append(
                [
                    f"OutboxSender, window {window}, {frozen:,} start-up objects frozen",
                    count,
                    count / seconds,
                    f"{count / seconds / raw:.2f}",
                    frozen_us,
                    f"{raw_us / frozen_us:.2f}",
                ]
            )
            print_table(
                f"(a) ceiling, flood control off, rate lifted ({backend})",
                rows,
                ["run", "messages", "msg/s", "sender / raw", "CPU µs/msg", "raw / sender CPU"],
            )
        _ask(conn, "reset", True)
        await insert_greetings(url, "limited", args.limited_count)
        seconds = await sender_run(db, bot, settings, conn, args.limited_count)
        stats = _checked(conn, args.limited_count)
        achieved = (stats["accepted"] - 1) / stats["span"] if stats["span"] else 0.0
        print_table(
            f"(b) at PORTCRM_BROADCAST_RATE={settings.broadcast_rate:g}, flood control on ({backend})",
            [
                [
                    args.limited_count,
                    seconds,
                    achieved,
                    f"{achieved / settings.broadcast_rate:.3f}",
                    stats["busiest_second"],
                    stats["refused_429"],
                ]
            ],
            ["messages", "seconds", "msg/s", "achieved / limit", "busiest second", "429s"],
        )
    finally:
        await bot.session.close()
        await db.dispose()


@contextlib.asynccontextmanager
async def database(server_url: str | None) -> AsyncIterator[str]:
    if server_url is None:
        url = sqlite_url(sqlite_file())
        await asyncio.to_thread(migrate.upgrade, url)
        yield url
        return
    async with pg_database(server_url) as url:
        await asyncio.to_thread(migrate.upgrade, url)
        yield url


async def amain(args: argparse.Namespace) -> None:
    print(f"machine: {machine()}")
    with sandbox_process(max(args.count, args.limited_count)) as (base_url, conn):
        async with database(args.database_url) as url:
            await bench(url, base_url, conn, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="greetings per run (default 10,000)")
    parser.add_argument("--limited-count", type=int, help="greetings for the 25/s run (default: --count)")
    parser.add_argument("--window", type=int, default=32, help="sends in flight for the concurrent runs")
    parser.add_argument("--database-url", help="a PostgreSQL server URL (a throwaway database is made)")
    parser.add_argument("--limited-only", action="store_true", help="only (b), the run at the rate limit")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 300 greetings, 50 at the limit")
    args = parser.parse_args()
    if args.quick:
        args.count, args.limited_count = 300, 50
    args.limited_count = args.limited_count or args.count
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()
