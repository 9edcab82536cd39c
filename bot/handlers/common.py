"""Commands for everyone: /start (with invite links), /help, /language, /services."""

from __future__ import annotations

import dataclasses
import html

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.errors import on_refusal
from bot.handlers.linking import profile_of, welcome_linked
from bot.ui.callbacks.common import LanguageChoice
from bot.ui.keyboards.language import LANGUAGE_NAMES, language_keyboard
from bot.ui.keyboards.linking import invite_refused, share_phone_for
from bot.ui.menus import install_personal_menu
from bot.ui.texts import SERVICES
from bot.ui.views.help import help_text
from portcrm.services.identity import users as identity_service
from portcrm.services.identity.invites import redeem_invite
from portcrm.services.identity.profiles import contact_profile
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings


async def start_with_invite(
    message: Message, command: CommandObject, session: AsyncSession, identity: Identity, bot: Bot, i18n: I18n
) -> None:
    contact, customer = await redeem_invite(session, command.args or "", identity.telegram_user_id)
    linked = await identity_service.identify(session, profile_of(message), identity.locale)
    await welcome_linked(message, identity, linked, contact, customer, bot, i18n)


async def start(message: Message, session: AsyncSession, identity: Identity, bot: Bot, i18n: I18n) -> None:
    if identity.is_staff:
        greeting = _("Hello, {name}. What would you like to do today?").format(
            name=html.escape(identity.staff_name or "")
        )
    elif (profile := await contact_profile(session, identity)) is not None:
        greeting = _("Welcome back, {contact} of {company}.").format(
            contact=html.escape(profile.contact_name), company=html.escape(profile.customer_name)
        )
    else:
        greeting = _(
            "Welcome to the port's customer service assistant. To see your shipments, invoices and "
            "complaints, ask your account manager for a personal invite link."
        )
    await message.answer(greeting + "\n\n" + help_text(identity), reply_markup=share_phone_for(identity))
    await install_personal_menu(bot, i18n, identity)


async def help_command(message: Message, identity: Identity) -> None:
    await message.answer(help_text(identity), reply_markup=share_phone_for(identity))


async def services(message: Message, settings: Settings) -> None:
    lines = [_("<b>Our services</b>")]
    line = _("• <b>{name}</b>: {description}")
    lines += [line.format(name=name, description=description) for name, description in SERVICES]
    if settings.hotline or settings.complaint_address:
        lines.append("")
    if settings.hotline:
        lines.append(
            _("Hotline for questions and complaints: {number}").format(number=html.escape(settings.hotline))
        )
    if settings.complaint_address:
        lines.append(
            _("Complaint mailbox: {address}").format(address=html.escape(settings.complaint_address))
        )
    if settings.hotline or settings.complaint_address:
        lines.append(_("You can also file a complaint here with /complaint."))
    await message.answer("\n".join(lines))


async def language(message: Message, identity: Identity) -> None:
    await message.answer(_("Choose your language:"), reply_markup=language_keyboard(identity.locale))


async def language_chosen(
    query: CallbackQuery,
    callback_data: LanguageChoice,
    session: AsyncSession,
    identity: Identity,
    bot: Bot,
    i18n: I18n,
) -> None:
    await identity_service.set_locale(session, identity.telegram_user_id, callback_data.locale)
    chosen = dataclasses.replace(identity, locale=callback_data.locale)
    with i18n.use_locale(callback_data.locale):
        text = _("Language set to {language}.").format(language=LANGUAGE_NAMES[callback_data.locale])
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text(text)
    await install_personal_menu(bot, i18n, chosen)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(
        start_with_invite, CommandStart(deep_link=True), flags=on_refusal(markup=invite_refused)
    )
    router.message.register(start, CommandStart())
    router.message.register(help_command, Command("help"))
    router.message.register(services, Command("services"))
    router.message.register(language, Command("language"))
    router.callback_query.register(language_chosen, LanguageChoice.filter())
    return router
