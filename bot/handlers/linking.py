"""Linking by a shared phone number, and the PIPL notice with consent choices shown after any link."""

from __future__ import annotations

import html

from aiogram import Bot, F, Router
from aiogram.filters import Filter
from aiogram.types import (
    CallbackQuery,
    Message,
    ReplyKeyboardRemove,
    TelegramObject,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.errors import on_refusal
from bot.handlers.filters import IsCustomer
from bot.ui.button_replies import same_markup
from bot.ui.callbacks.privacy import NOTICE, ConsentToggle, NoticeDone
from bot.ui.keyboards.language import LANGUAGE_NAMES
from bot.ui.keyboards.linking import phone_refused
from bot.ui.keyboards.privacy import notice_keyboard
from bot.ui.menus import install_personal_menu
from bot.ui.views.help import help_text
from portcrm.errors import N_
from portcrm.models import Contact, Customer
from portcrm.services.identity import users as identity_service
from portcrm.services.identity.linking import link_by_phone
from portcrm.services.identity.users import Identity
from portcrm.services.privacy.rights import privacy_view, set_consent

PRIVACY_NOTICE = N_(
    "<b>Your personal information</b>\n"
    "Under the Personal Information Protection Law (PIPL, 个人信息保护法) we tell you what the port "
    "keeps about you and why.\n\n"
    "<b>What we hold:</b> your contact details (name, title, phone, email), your chat language, and the "
    "messages you send us about shipments and complaints.\n"
    "<b>Why:</b> to serve {company}: cargo status, invoices and complaint handling.\n"
    "Service messages about your shipments, invoices and complaints are always on.\n\n"
    "The choices below are optional and stay off unless you turn them on. See your data, change these "
    "choices or ask for deletion at any time with /privacy."
)


LANGUAGE_ON_FILE = N_(
    "I will write to you in {language}, the language on your company's file with the port. "
    "To change it, send /language."
)


class IsUnlinked(Filter):
    """Neither staff nor a customer's contact yet: the only users a shared phone number can link."""

    async def __call__(self, event: TelegramObject, identity: Identity | None = None) -> bool:
        return identity is not None and not (identity.is_staff or identity.is_customer)


def notice_text(company: str) -> str:
    return _(PRIVACY_NOTICE).format(company=html.escape(company))


async def send_privacy_notice(message: Message, company: str, greetings: bool, marketing: bool) -> None:
    await message.answer(notice_text(company), reply_markup=notice_keyboard(greetings, marketing))


async def contact_shared(
    message: Message, session: AsyncSession, identity: Identity, bot: Bot, i18n: I18n
) -> None:
    shared = message.contact
    assert shared is not None  # the filter guarantees it
    assert message.from_user is not None
    own = shared.user_id == message.from_user.id and message.forward_origin is None
    contact, customer = await link_by_phone(session, identity.telegram_user_id, shared.phone_number, own)
    linked = await identity_service.identify(session, profile_of(message), identity.locale)
    await welcome_linked(message, identity, linked, contact, customer, bot, i18n)


async def welcome_linked(
    message: Message,
    before: Identity,
    linked: Identity,
    contact: Contact,
    customer: Customer,
    bot: Bot,
    i18n: I18n,
) -> None:
    """A user just linked: the welcome, privacy notice and menu, in the language they read from now on.

    Linking can change it: before, the user read their Telegram app's language; now the contact's stored
    locale comes first (an explicit /language choice outranks both, see recipient_locale). The welcome is
    in the new language, like everything after it, and when the stored locale took over it says so, once:
    linking happens once.
    """
    with i18n.use_locale(linked.locale):
        lines = [
            _("Welcome, {contact}! Your Telegram account is now linked to {company}.").format(
                contact=html.escape(contact.name), company=html.escape(customer.name)
            ),
            "",
        ]
        if linked.locale != before.locale:
            lines += [_(LANGUAGE_ON_FILE).format(language=LANGUAGE_NAMES[linked.locale]), ""]
        lines.append(help_text(linked))
        await message.answer("\n".join(lines), reply_markup=ReplyKeyboardRemove())
        consents = (contact.consent_greetings, contact.consent_marketing)
        await send_privacy_notice(message, customer.name, *consents)
    await install_personal_menu(bot, i18n, linked)


def profile_of(message: Message) -> identity_service.TelegramProfile:
    user = message.from_user
    assert user is not None  # identity.IdentityMiddleware lets only users' updates in
    return identity_service.TelegramProfile(user.id, user.first_name, user.username, user.language_code)


async def notice_consent(
    query: CallbackQuery, callback_data: ConsentToggle, session: AsyncSession, identity: Identity
) -> None:
    view = await set_consent(session, identity.telegram_user_id, callback_data.consent, callback_data.on)
    await query.answer(_("Saved."))
    markup = notice_keyboard(view.greetings, view.marketing)
    if isinstance(query.message, Message) and not same_markup(query.message.reply_markup, markup):
        await query.message.edit_reply_markup(reply_markup=markup)


async def notice_done(query: CallbackQuery, session: AsyncSession, identity: Identity) -> None:
    view = await privacy_view(session, identity.telegram_user_id)
    await query.answer()
    if not isinstance(query.message, Message) or query.message.reply_markup is None:
        return  # already done: editing to the same text would be refused
    on, off = _("on"), _("off")
    summary = _(
        "Your choices are saved: festival and birthday greetings {greetings}, news and offers {marketing}."
    ).format(greetings=on if view.greetings else off, marketing=on if view.marketing else off)
    await query.message.edit_text(notice_text(view.company) + "\n\n" + summary)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(contact_shared, F.contact, IsUnlinked(), flags=on_refusal(markup=phone_refused))
    router.callback_query.register(notice_consent, ConsentToggle.filter(F.screen == NOTICE), IsCustomer())
    router.callback_query.register(notice_done, NoticeDone.filter(), IsCustomer())
    return router
