"""The buttons of /find and /history: the matches, a card's History, and the history's filters and pages."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.find import CustomerHistory, CustomerHistoryPage, CustomerOpen
from bot.ui.callbacks.hotline import PhoneComplaintStart
from bot.ui.views.archive import SECTION_NAMES
from portcrm.services.archive.cards import CustomerCard
from portcrm.services.archive.history import HistoryPage
from portcrm.services.archive.search import CustomerMatch

CHOSEN = "✓ "  # marks the filter in force


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


def card_keyboard(card: CustomerCard, *, phone_complaint: bool = False) -> InlineKeyboardMarkup:
    """History; and for those who run the hotline, logging a complaint this company made by phone."""
    data = CustomerHistory(customer_id=card.customer_id).pack()
    row = [InlineKeyboardButton(text="🕘 " + _("History"), callback_data=data)]
    if phone_complaint:
        start = PhoneComplaintStart(customer_id=card.customer_id).pack()
        row.append(InlineKeyboardButton(text="☎ " + _("Phone complaint"), callback_data=start))
    return InlineKeyboardMarkup(inline_keyboard=[row])


def history_keyboard(page: HistoryPage) -> InlineKeyboardMarkup | None:
    """A filter per section the viewer reads (when more than one), and ◀ ▶ within the filter in force."""
    rows = []
    if len(page.sections) > 1:
        choices = [(None, _("All")), *((s, str(SECTION_NAMES[s])) for s in page.sections)]
        filters = [
            InlineKeyboardButton(
                text=(CHOSEN if section == page.section else "") + label,
                callback_data=CustomerHistoryPage(
                    customer_id=page.customer_id, page=0, section=section
                ).pack(),
            )
            for section, label in choices
        ]
        rows += [filters[n : n + 2] for n in range(0, len(filters), 2)]
    navigation = []
    for step, arrow in ((-1, "◀"), (1, "▶")):
        if 0 <= page.page + step < page.pages:
            data = CustomerHistoryPage(
                customer_id=page.customer_id, page=page.page + step, section=page.section
            )
            navigation.append(InlineKeyboardButton(text=arrow, callback_data=data.pack()))
    if navigation:
        rows.append(navigation)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
