"""`portcrm demo`: a demo port, the sandbox and the bot in one process, chatted in the terminal.

- demo.py (here): the database, kept from run to run (`--fresh` seeds it anew), what happens after a fresh
  seed (`after_seed`), and the sandbox and the bot started around a session.
- demo_session.py: the personas' chats followed as the bot writes to them; demo_commands.py: what the user
  types (`:help` lists it); demo_screen.py: how messages are printed and where their files are saved;
  demo_jobs.py: the scheduled jobs run now.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from aiogram import Bot, Dispatcher
from pydantic import SecretStr

from bot.pipeline.i18n import build_i18n
from bot.runtime.app import build_bot, build_dispatcher
from bot.runtime.demo_commands import choose, converse, play, tour
from bot.runtime.demo_feeds import play_feeds
from bot.runtime.demo_jobs import run_jobs_now
from bot.runtime.demo_screen import Screen
from bot.runtime.demo_session import DemoSession
from bot.runtime.logs import configure_logging
from portcrm.demo import DEMO_PERSONAS, seed_demo
from portcrm.demo.accounts import telegram_accounts
from portcrm.errors import Conflict
from portcrm.settings import Settings
from portcrm.storage import migrate
from portcrm.storage.db import Database
from sandbox import BotAPISandbox

DEMO_TOKEN = "100000001:PORTCRM-demo-sandbox-token"  # noqa: S105 - only the local sandbox accepts it
DEMO_HOTLINE = "+86 574 8765 0000"  # an example number: the demo port is not a real one
DEMO_COMPLAINT_ADDRESS = "complaints@demo-port.example"
PORT = (29.9386, 121.8453)  # Beilun, Ningbo: where a persona is when they share their location
Gettext = Callable[[str], str]


def files_folder(database: Path) -> Path:
    """Where the photos and documents the bot sends are saved: next to the demo database."""
    return database.with_name(f"{database.stem}-files")


def _database_url(path: Path, *, fresh: bool) -> str:
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite+aiosqlite:///{path.resolve()}"


async def prepare_database(path: Path, settings: Settings, _: Gettext, *, fresh: bool = False) -> str:
    """The demo database's URL: an earlier run's database is kept (brought to the newest schema) unless
    `fresh`; an empty one is seeded relative to today, then played forward by `after_seed`."""
    url = await asyncio.to_thread(_database_url, path, fresh=fresh)
    await migrate.upgrade_async(url)
    db = Database(url)
    try:
        async with db.session() as session:
            try:
                await seed_demo(session, today=dt.datetime.now(settings.tz).date(), tz=settings.tz)
            except Conflict:  # seeded by an earlier run: its data, and what was done with it, stay
                return url
        await after_seed(db, settings, _)
    finally:
        await db.dispose()
    return url


async def after_seed(db: Database, settings: Settings, _: Gettext) -> None:
    """What happens to a freshly seeded port before anyone chats: the terminal's and the carrier's example
    reports come in by the real paths (bot/runtime/demo_feeds.py), and their pushes are seen arriving once
    the bot is up. The scheduled jobs run after it at every start (`run_demo`), each once per period."""
    await play_feeds(db, settings, _)


async def run_demo(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    configure_logging(logging.WARNING, secrets=[DEMO_TOKEN])
    personas = {p.key: p for p in DEMO_PERSONAS}
    if args.persona is not None and args.persona not in personas:
        keys = ", ".join(personas)
        print(_("Unknown persona {key}. Choose one of: {keys}").format(key=args.persona, keys=keys))
        return 2
    if args.fresh or not args.db.exists():
        print(_("Seeding the demo port into {path} …").format(path=args.db))
    else:
        opening = _("Opening the demo port in {path} as the last run left it (--fresh starts over).")
        print(opening.format(path=args.db))
    url = await prepare_database(args.db, settings, _, fresh=args.fresh)
    demo_settings = settings.model_copy(
        update={
            "bot_token": SecretStr(DEMO_TOKEN),
            "database_url": url,
            "bot_username": "portcrm_demo_bot",
            # /services names the hotline and the complaint mailbox (example values unless configured)
            "hotline": settings.hotline or DEMO_HOTLINE,
            "complaint_address": settings.complaint_address or DEMO_COMPLAINT_ADDRESS,
        }
    )
    interactive = sys.stdin.isatty() and not args.say
    screen = Screen(_, files_folder(args.db), settings.tz, live=interactive and sys.stdout.isatty())
    db = Database(url)
    try:
        # this morning's jobs, as the scheduler would have run them: their pushes go out once the bot is up
        if ran := await run_jobs_now(db, settings, _, quiet=True):
            print("\n".join([_("The scheduled jobs ran:"), *ran]))
        async with BotAPISandbox() as sandbox:
            sandbox.add_bot(DEMO_TOKEN, username="portcrm_demo_bot", first_name="PortCRM")
            demo_settings = demo_settings.model_copy(update={"telegram_api_url": sandbox.base_url})
            await _open_chats(sandbox, db)
            session = DemoSession(
                sandbox,
                DEMO_TOKEN,
                db,
                demo_settings,
                DEMO_PERSONAS,
                screen,
                _,
                here=PORT,
                interactive=interactive,
            )
            async with _bot_running(demo_settings, db):
                return await _converse(session, args)
    finally:
        await db.dispose()


async def _open_chats(sandbox: BotAPISandbox, db: Database) -> None:
    """Everyone in the port with a Telegram account has started the bot before: it may write to them."""
    async with db.session() as session:
        accounts = await telegram_accounts(session)
    for user_id, name in accounts:
        sandbox.open_chat(DEMO_TOKEN, sandbox.add_user(user_id, name))


@contextlib.asynccontextmanager
async def _bot_running(settings: Settings, db: Database) -> AsyncIterator[Dispatcher]:
    """The bot polling the sandbox, with its outbox sender and scheduler, from start-up to shutdown."""
    bot: Bot = build_bot(settings)
    dispatcher = build_dispatcher(db, settings, build_i18n(settings), polling=True)
    started = asyncio.Event()
    dispatcher.startup.register(started.set)
    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1))
    waiting = asyncio.create_task(started.wait())
    await asyncio.wait({polling, waiting}, return_when=asyncio.FIRST_COMPLETED)
    try:
        if polling.done():  # start-up failed: say why
            waiting.cancel()
            polling.result()
        yield dispatcher
    finally:
        with contextlib.suppress(RuntimeError):
            await dispatcher.stop_polling()
        await polling


async def _converse(session: DemoSession, args: argparse.Namespace) -> int:
    follower = asyncio.create_task(session.follow(), name="demo-follow")
    try:
        if session.interactive:
            key = args.persona or await choose(session)
            if key is None:
                return 0
            session.become(key)
            await converse(session)
        else:
            session.become(args.persona or "manager")
            await play(session, args.say or tour(session))
        return 0
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
