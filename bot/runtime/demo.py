"""`portcrm demo`: a seeded demo port, the sandbox and the bot in one process, chatted in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from pydantic import SecretStr

from bot.pipeline.i18n import build_i18n
from bot.runtime.app import build_bot, build_dispatcher
from bot.runtime.demo_feeds import play_feeds
from bot.runtime.logs import configure_logging
from portcrm.demo import DEMO_PERSONAS, DemoPersona, seed_demo
from portcrm.settings import Settings
from portcrm.storage import migrate
from portcrm.storage.db import Database
from sandbox import BotAPISandbox
from sandbox.terminal import TerminalChat

DEMO_TOKEN = "100000001:PORTCRM-demo-sandbox-token"  # noqa: S105 - only the local sandbox accepts it
TOUR = ("/start", "/help")
Gettext = Callable[[str], str]
Feeds = Callable[[TerminalChat, DemoPersona], Awaitable[None]]


def _remove_database(path: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite+aiosqlite:///{path.resolve()}"


async def prepare_database(path: Path, settings: Settings) -> str:
    """A fresh demo database: the old file (and its WAL) removed, migrated, seeded relative to today."""
    url = await asyncio.to_thread(_remove_database, path)
    await migrate.upgrade_async(url)
    db = Database(url)
    try:
        async with db.session() as session:
            await seed_demo(session, today=dt.datetime.now(settings.tz).date(), tz=settings.tz)
    finally:
        await db.dispose()
    return url


async def run_demo(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    configure_logging(logging.WARNING, secrets=[DEMO_TOKEN])
    personas = {p.key: p for p in DEMO_PERSONAS}
    if args.persona is not None and args.persona not in personas:
        keys = ", ".join(personas)
        print(_("Unknown persona {key}. Choose one of: {keys}").format(key=args.persona, keys=keys))
        return 2
    print(_("Seeding the demo port into {path} …").format(path=args.db))
    url = await prepare_database(args.db, settings)
    demo_settings = settings.model_copy(
        update={
            "bot_token": SecretStr(DEMO_TOKEN),
            "database_url": url,
            "bot_username": "portcrm_demo_bot",
            "run_scheduler": False,  # the demo's data is fixed; reminders would only interrupt the chat
        }
    )
    async with BotAPISandbox() as sandbox:
        sandbox.add_bot(DEMO_TOKEN, username="portcrm_demo_bot", first_name="PortCRM")
        demo_settings = demo_settings.model_copy(update={"telegram_api_url": sandbox.base_url})
        db = Database(url)
        bot = build_bot(demo_settings)
        dispatcher = build_dispatcher(db, demo_settings, build_i18n(demo_settings), polling=True)
        polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1))

        async def feeds(chat: TerminalChat, persona: DemoPersona) -> None:
            await play_feeds(db, demo_settings, chat, watching=persona.key == "customer", _=_)

        try:
            return await _converse(args, sandbox, personas, _, feeds)
        finally:
            with contextlib.suppress(RuntimeError):
                await dispatcher.stop_polling()
            await polling
            await db.dispose()


async def _converse(
    args: argparse.Namespace,
    sandbox: BotAPISandbox,
    personas: dict[str, DemoPersona],
    _: Gettext,
    feeds: Feeds,
) -> int:
    interactive = sys.stdin.isatty() and not args.say
    persona = personas[args.persona] if args.persona else None
    if persona is None:
        persona = await _choose(personas, _) if interactive else personas["customer"]
        if persona is None:
            return 0
    chat = _chat_as(sandbox, persona, _)
    played = False

    async def send(line: str) -> None:
        """Send a line; after the first (the bot may now write to this chat) the terminal's reports come."""
        nonlocal played
        await chat.send(line)
        if not played:
            played = True
            await feeds(chat, persona)

    if not interactive:
        for line in args.say or TOUR:
            print(f"> {line}")
            await send(line)
        return 0
    print(_("Type a message and press Enter. #N presses button N, :persona switches, :quit leaves."))
    while (line := await chat.prompt("> ")) is not None:
        line = line.strip()
        if line in (":quit", ":q"):
            break
        if line == ":persona":
            if (chosen := await _choose(personas, _)) is not None:
                chat = _chat_as(sandbox, chosen, _)
            continue
        if line:
            try:
                await send(line)
            except LookupError:
                print(_("There is no button with that number."))
    return 0


def _chat_as(sandbox: BotAPISandbox, persona: DemoPersona, _: Gettext) -> TerminalChat:
    user = sandbox.add_user(persona.telegram_user_id, persona.first_name, language_code=persona.language_code)
    print(_("You are now: {description}").format(description=persona.describe(_)))
    return TerminalChat(sandbox, DEMO_TOKEN, user)


async def _choose(personas: dict[str, DemoPersona], _: Gettext) -> DemoPersona | None:
    ordered = list(personas.values())
    print(_("Who do you want to be?"))
    for number, persona in enumerate(ordered, start=1):
        print(f"  {number}. {persona.describe(_)}")
    while True:
        try:
            answer = await asyncio.to_thread(input, "# ")
        except EOFError:
            return None
        if answer.strip().isdigit() and 1 <= int(answer) <= len(ordered):
            return ordered[int(answer) - 1]
        print(_("Please type a number from 1 to {count}.").format(count=len(ordered)))
