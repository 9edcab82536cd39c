"""/mailbox: the mails of the complaint mailbox that no complaint took (unknown senders), for the market
department to read and follow up by phone or by linking the address to a contact."""

from __future__ import annotations

import datetime as dt
import html

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.filters import HasRole
from portcrm.enums import MailStatus, Role
from portcrm.services.complaints.mailbox import KeptMail, kept_mails
from portcrm.settings import Settings

LISTED = 10  # mails in one message: each with its excerpt fits 4096 characters


def _item(mail: KeptMail, tz: dt.tzinfo) -> str:
    when = mail.received_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    sender = f"{mail.sender_name} <{mail.sender}>" if mail.sender_name else mail.sender
    lines = [f"<b>{when}</b> — {html.escape(sender)}"]
    if mail.status == MailStatus.AMBIGUOUS_SENDER:
        lines.append(_("(contacts of several companies have this address)"))
    lines.append(_("Subject: {subject}").format(subject=html.escape(mail.subject or "—")))
    lines.append(f"<i>{html.escape(mail.excerpt)}</i>")
    return "\n".join(lines)


async def mailbox(message: Message, session: AsyncSession, settings: Settings) -> None:
    kept = await kept_mails(session, limit=LISTED)
    if not kept:
        await message.answer(_("No mails are waiting: every mail came from a known contact."))
        return
    head = _("<b>Complaint mailbox</b>: mails from unknown senders, newest first")
    await message.answer("\n\n".join([head, *(_item(mail, settings.tz) for mail in kept)]))


def build_router() -> Router:
    router = Router(name=__name__)
    allowed = HasRole(Role.MARKET, Role.MANAGER)
    router.message.register(mailbox, Command("mailbox"), allowed)
    return router
