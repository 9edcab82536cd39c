"""`portcrm mail serve|list`: the complaint mailbox without the bot, and the mails kept for staff."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Callable

from portcrm.settings import ConfigError, Settings
from portcrm.storage import migrate
from portcrm.storage.db import Database

Gettext = Callable[[str], str]


async def mail_serve(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    """The SMTP receiver and the mail sender until SIGINT or SIGTERM (for a mail-only process)."""
    from bot.runtime.logs import configure_logging
    from portcrm.mail.receiver import mail_server
    from portcrm.mail.sender import MailSender

    if not settings.mail_listen and not settings.smtp_host:
        raise ConfigError("PORTCRM_MAIL_LISTEN or PORTCRM_SMTP_HOST: set at least one to serve mail")
    secrets = [settings.smtp_password.get_secret_value()] if settings.smtp_password else []
    configure_logging(secrets=secrets)
    await migrate.upgrade_in_child(settings.database_url)
    db = Database(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    sender = asyncio.create_task(MailSender(db, settings).run()) if settings.smtp_host else None
    try:
        async with mail_server(db, settings):
            await stop.wait()
    finally:
        if sender is not None:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        await db.dispose()
    return 0


async def mail_list(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    from portcrm.services.complaints.mailbox import kept_mails

    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            kept = await kept_mails(session, limit=max(1, args.limit))
    finally:
        await db.dispose()
    if not kept:
        print(_("No mails are waiting: every mail came from a known contact."))
    for item in kept:
        when = item.received_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
        sender = f"{item.sender_name} <{item.sender}>" if item.sender_name else item.sender
        print(f"{when}  {sender}")
        print("    " + _("Subject: {subject}").format(subject=item.subject or "—"))
        print("    " + item.excerpt)
    return 0


COMMANDS = {"mail serve": mail_serve, "mail list": mail_list}
