"""The buttons of cargo status: the status card's (un)subscribe, and /shipments' list and pages."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.tracking import ShipmentOpen, ShipmentsPage, SubscriptionToggle
from portcrm.services.tracking.shipments import PAGE_SIZE, ShipmentPage
from portcrm.services.tracking.status_cards import StatusCard


def status_card_keyboard(card: StatusCard) -> InlineKeyboardMarkup | None:
    """(Un)subscribe; a completed shipment has no more news, so it offers only the way out."""
    if card.subscribed:
        label, wanted = "🔕 " + _("Unsubscribe"), False
    elif not card.completed:
        label, wanted = "🔔 " + _("Subscribe to updates"), True
    else:
        return None
    data = SubscriptionToggle(shipment_id=card.shipment_id, on=wanted).pack()
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=data)]])


def shipments_keyboard(page: ShipmentPage) -> InlineKeyboardMarkup | None:
    """A button per shipment, two to a row, then ◀ ▶ where there is a page to turn to."""
    if not page.lines:
        return None
    builder = InlineKeyboardBuilder()
    for number, line in enumerate(page.lines, start=page.page * PAGE_SIZE + 1):
        builder.button(
            text=f"{number}. {line.reference}", callback_data=ShipmentOpen(shipment_id=line.shipment_id)
        )
    builder.adjust(2)
    navigation = []
    if page.page > 0:
        navigation.append(
            InlineKeyboardButton(text="◀", callback_data=ShipmentsPage(page=page.page - 1).pack())
        )
    if page.page < page.pages - 1:
        navigation.append(
            InlineKeyboardButton(text="▶", callback_data=ShipmentsPage(page=page.page + 1).pack())
        )
    if navigation:
        builder.row(*navigation)
    return builder.as_markup()
