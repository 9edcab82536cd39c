"""Marketers make one-time invite links from chat, to forward to a customer's contact."""

from __future__ import annotations

import datetime as dt
import html

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.filters import HasRole
from bot.ui.button_replies import answer
from bot.ui.callbacks.invites import InviteContact
from bot.ui.keyboards.invites import contact_keyboard
from portcrm.enums import Role
from portcrm.models import Contact, Customer, Invite
from portcrm.port_time import format_port_time
from portcrm.services.identity.invites import (
    create_invite,
    create_invite_for_contact,
    deep_link,
    invite_candidates,
)
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings


async def invite(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    bot: Bot,
) -> None:
    code, _sep, name = (command.args or "").strip().partition(" ")
    if not code:
        await message.answer(_("Usage: /invite CUSTOMER_CODE [contact name]"))
        return
    ttl = dt.timedelta(days=settings.invite_ttl_days)
    if name.strip():
        issued = await create_invite(session, code, name, ttl=ttl, created_by_id=identity.staff_id)
    else:
        customer, contacts = await invite_candidates(session, code)
        if len(contacts) > 1:
            await message.answer(
                _("Whom at {company} should the invite link be for?").format(
                    company=html.escape(customer.name)
                ),
                reply_markup=contact_keyboard(contacts),
            )
            return
        issued = await create_invite(session, code, ttl=ttl, created_by_id=identity.staff_id)
    await message.answer(await _invite_text(*issued, settings, bot, identity.locale))


async def contact_chosen(
    query: CallbackQuery,
    callback_data: InviteContact,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    bot: Bot,
) -> None:
    ttl = dt.timedelta(days=settings.invite_ttl_days)
    issued = await create_invite_for_contact(
        session, callback_data.contact_id, ttl=ttl, created_by_id=identity.staff_id
    )
    await answer(query)
    if isinstance(query.message, Message):
        await query.message.edit_text(await _invite_text(*issued, settings, bot, identity.locale))


async def _invite_text(
    invite: Invite, contact: Contact, customer: Customer, settings: Settings, bot: Bot, locale: str
) -> str:
    username = settings.bot_username or (await bot.me()).username or ""
    expires = format_port_time(invite.expires_at, settings.tz, locale)
    return _(
        "One-time invite link for {contact} of {company}, valid until {expires}. "
        "Forward it to them; it links the first Telegram account that opens it.\n{link}"
    ).format(
        contact=html.escape(contact.name),
        company=html.escape(customer.name),
        expires=expires,
        link=html.escape(deep_link(username, invite)),
    )


def build_router() -> Router:
    """Market department, managers and admins."""
    router = Router(name=__name__)
    allowed = HasRole(Role.MARKET, Role.MANAGER, Role.ADMIN)
    router.message.filter(allowed)
    router.callback_query.filter(allowed)
    router.message.register(invite, Command("invite"))
    router.callback_query.register(contact_chosen, InviteContact.filter())
    return router
