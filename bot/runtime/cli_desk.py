"""`portcrm desk attach|show|detach`: the staff supergroup where each complaint gets its forum topic."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from portcrm.audit import Actor
from portcrm.settings import Settings
from portcrm.storage.db import Database

Gettext = Callable[[str], str]


async def desk_attach(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    """Check the group with the Bot API (a forum where the bot manages topics), then attach it."""
    from bot.handlers.desk_group import check_forum
    from bot.runtime.app import build_bot
    from portcrm.services.complaints import topics

    if args.chat_id >= 0:
        raise topics.NotAForum()
    bot = build_bot(settings)
    try:
        from aiogram.exceptions import TelegramBadRequest

        try:
            await check_forum(bot, args.chat_id)
        except TelegramBadRequest as error:  # the bot is not in that chat, or it does not exist
            print(_("portcrm: Telegram refused: {reason}").format(reason=error.message))
            return 1
    finally:
        await bot.session.close()
    db = Database(settings.database_url)
    try:
        async with db.session(Actor(label="cli", source="cli")) as session:
            queued = await topics.attach(session, args.chat_id, "cli")
    finally:
        await db.dispose()
    print(
        _("Group {chat_id} is now the complaint desk; open complaints getting a topic: {count}.").format(
            chat_id=args.chat_id, count=queued
        )
    )
    return 0


async def desk_show(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    from portcrm.services.complaints import topics

    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            group = await topics.attached(session)
    finally:
        await db.dispose()
    if group is None:
        print(_("No complaint desk group is attached."))
        return 0
    when = group.attached_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    print(
        _("Complaint desk group {chat_id}, attached by {who} on {when}.").format(
            chat_id=group.chat_id, who=group.attached_by, when=when
        )
    )
    return 0


async def desk_detach(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    from portcrm.services.complaints import topics

    db = Database(settings.database_url)
    try:
        async with db.session(Actor(label="cli", source="cli")) as session:
            chat_id = await topics.detach(session)
    finally:
        await db.dispose()
    if chat_id is None:
        print(_("No complaint desk group is attached."))
        return 1
    print(_("Group {chat_id} is no longer the complaint desk.").format(chat_id=chat_id))
    return 0


COMMANDS = {"desk attach": desk_attach, "desk show": desk_show, "desk detach": desk_detach}
