"""The buttons of /find and /history: the matches, a card's History, and the history's pages."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.find import CustomerHistory, CustomerHistoryPage, CustomerOpen
from portcrm.services.archive.cards import CustomerCard
from portcrm.services.archive.history import HistoryPage
from portcrm.services.archive.search import CustomerMatch


def results_keyboard(matches: list[CustomerMatch], history: bool = False) -> InlineKeyboardMarkup:
    """A button per customer: its card, or (for /history) its history."""
    builder = InlineKeyboardBuilder()
    for n, match in enumerate(matches, start=1):
        data = (
            CustomerHistory(customer_id=match.customer_id)
            if history
            else CustomerOpen(customer_id=match.customer_id)
        )
        builder.button(text=f"{n}. {match.code} {match.name}"[:60], callback_data=data)
    builder.adjust(1)
    return builder.as_markup()


def card_keyboard(card: CustomerCard) -> InlineKeyboardMarkup:
    data = CustomerHistory(customer_id=card.customer_id).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="🕘 " + _("History"), callback_data=data)]]
    )


def history_keyboard(page: HistoryPage) -> InlineKeyboardMarkup | None:
    navigation = []
    if page.page > 0:
        data = CustomerHistoryPage(customer_id=page.customer_id, page=page.page - 1).pack()
        navigation.append(InlineKeyboardButton(text="◀", callback_data=data))
    if page.page < page.pages - 1:
        data = CustomerHistoryPage(customer_id=page.customer_id, page=page.page + 1).pack()
        navigation.append(InlineKeyboardButton(text="▶", callback_data=data))
    return InlineKeyboardMarkup(inline_keyboard=[navigation]) if navigation else None
