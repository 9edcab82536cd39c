"""/find and /history for every staff member: look a customer up, open the card, read the change history.

What each one may read of the card and the history is the services' rule (archive/cards.py, history.py).
"""

from __future__ import annotations

import datetime as dt
import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.filters import IsStaff
from bot.ui.button_replies import answer
from bot.ui.callbacks.find import CustomerHistory, CustomerHistoryPage, CustomerOpen
from bot.ui.keyboards.find import card_keyboard, history_keyboard, results_keyboard
from bot.ui.views.customer_card import card_text, results_text
from bot.ui.views.history import history_text
from portcrm.services.archive.cards import customer_card
from portcrm.services.archive.history import customer_history
from portcrm.services.archive.search import CustomerMatch, find_customers
from portcrm.services.complaints.hotline import may_log_calls
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings

log = logging.getLogger(__name__)


def _chosen(matches: list[CustomerMatch]) -> CustomerMatch | None:
    """The one customer meant: the only match, or the only exact code, USCC or phone match."""
    if len(matches) == 1:
        return matches[0]
    if matches and matches[0].exact and not matches[1].exact:
        return matches[0]
    return None


def _today(settings: Settings) -> dt.date:
    return dt.datetime.now(settings.tz).date()


async def find_command(
    message: Message, command: CommandObject, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    query = (command.args or "").strip()
    if not query:
        await message.answer(
            _(
                "Send a customer code, name, pinyin initials, USCC or a contact's phone after /find, "
                "for example <code>/find nbyy</code>."
            )
        )
        return
    matches = await find_customers(session, query)
    chosen = _chosen(matches)
    if chosen is None:
        await message.answer(
            results_text(query, matches), reply_markup=results_keyboard(matches) if matches else None
        )
        return
    card = await customer_card(session, identity, chosen.customer_id, _today(settings))
    keyboard = card_keyboard(card, phone_complaint=may_log_calls(identity.roles))
    await message.answer(card_text(card, settings.tz, identity.locale), reply_markup=keyboard)


async def history_command(
    message: Message, command: CommandObject, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    query = (command.args or "").strip()
    if not query:
        await message.answer(
            _("Send a customer code or name after /history, for example <code>/history C00012</code>.")
        )
        return
    matches = await find_customers(session, query)
    chosen = _chosen(matches)
    if chosen is None:
        keyboard = results_keyboard(matches, history=True) if matches else None
        await message.answer(results_text(query, matches), reply_markup=keyboard)
        return
    page = await customer_history(session, identity, chosen.customer_id)
    await message.answer(
        history_text(page, settings.tz, identity.locale), reply_markup=history_keyboard(page)
    )


async def open_card(
    query: CallbackQuery,
    callback_data: CustomerOpen,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    bot: Bot,
) -> None:
    card = await customer_card(session, identity, callback_data.customer_id, _today(settings))
    await answer(query)
    # a new message: the result list stays, so the next customer is one press away
    await bot.send_message(
        identity.telegram_user_id,
        card_text(card, settings.tz, identity.locale),
        reply_markup=card_keyboard(card, phone_complaint=may_log_calls(identity.roles)),
    )


async def open_history(
    query: CallbackQuery,
    callback_data: CustomerHistory,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    bot: Bot,
) -> None:
    page = await customer_history(session, identity, callback_data.customer_id)
    await answer(query)
    await bot.send_message(
        identity.telegram_user_id,
        history_text(page, settings.tz, identity.locale),
        reply_markup=history_keyboard(page),
    )


async def turn_history_page(
    query: CallbackQuery,
    callback_data: CustomerHistoryPage,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    page = await customer_history(
        session, identity, callback_data.customer_id, callback_data.page, callback_data.section
    )
    if page.page != callback_data.page or not isinstance(query.message, Message):
        # a page that no longer exists, or a forged one (a section not theirs was refused by the service)
        await answer(query, _("This button is no longer valid."), alert=True)
        return
    await answer(query)
    await _edit(query.message, history_text(page, settings.tz, identity.locale), history_keyboard(page))


async def _edit(message: Message, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    try:
        await message.edit_text(text, reply_markup=keyboard)
    except TelegramBadRequest as error:
        # a doubled tap asks for the page already shown; anything else is a real problem
        if "message is not modified" not in error.message:
            raise
        log.debug("message %s already up to date", message.message_id)


def build_router() -> Router:
    """Any staff member, whatever the department; customers and unlinked users never get here."""
    router = Router(name=__name__)
    router.message.filter(IsStaff())
    router.callback_query.filter(IsStaff())
    router.message.register(find_command, Command("find"))
    router.message.register(history_command, Command("history"))
    router.callback_query.register(open_card, CustomerOpen.filter())
    router.callback_query.register(open_history, CustomerHistory.filter())
    router.callback_query.register(turn_history_page, CustomerHistoryPage.filter())
    return router
