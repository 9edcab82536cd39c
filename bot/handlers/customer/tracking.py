"""Cargo status: /track NUMBER (or the number pasted alone), /shipments, and the status card's buttons."""

from __future__ import annotations

import datetime as dt
import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ui.button_replies import answer
from bot.ui.callbacks.tracking import ShipmentOpen, ShipmentsPage, SubscriptionToggle
from bot.ui.keyboards.tracking import shipments_keyboard, status_card_keyboard
from bot.ui.views.tracking import shipments_text, status_card_text
from portcrm.services.identity.users import Identity
from portcrm.services.tracking import shipments as tracking
from portcrm.services.tracking.free_time.rules import FreeTimeRules
from portcrm.services.tracking.free_time.tariff import Tariff
from portcrm.settings import Settings

log = logging.getLogger(__name__)


async def track_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    tariff: Tariff,
) -> None:
    if not command.args:
        await message.answer(
            _(
                "Send the B/L, booking or container number after /track, for example "
                "<code>/track MSKU1234565</code>. You can also just paste the number."
            )
        )
        return
    await _reply_with_card(message, session, identity, settings, tariff, command.args)


async def track_pasted(
    message: Message, session: AsyncSession, identity: Identity, settings: Settings, tariff: Tariff
) -> None:
    await _reply_with_card(message, session, identity, settings, tariff, message.text or "")


def _today(settings: Settings) -> dt.date:
    return dt.datetime.now(settings.tz).date()


def _pasted_number(message: Message) -> bool:
    """Only a message that reads as a shipment number: any other chat falls through to the fallback."""
    return tracking.looks_like_identifier(message.text or "")


def _free_time(settings: Settings, tariff: Tariff) -> FreeTimeRules:
    """What the card counts free time by: the tariff loaded at start-up, the port's calendar and clock."""
    return FreeTimeRules.from_settings(tariff, settings)


async def _reply_with_card(
    message: Message, session: AsyncSession, identity: Identity, settings: Settings, tariff: Tariff, text: str
) -> None:
    card = await tracking.track(
        session, identity, text, today=_today(settings), free_time=_free_time(settings, tariff)
    )
    await message.answer(
        status_card_text(card, settings.tz, identity.locale), reply_markup=status_card_keyboard(card)
    )


async def shipments_command(
    message: Message, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    page = await tracking.active_shipments(session, identity)
    await message.answer(
        shipments_text(page, settings.tz, identity.locale), reply_markup=shipments_keyboard(page)
    )


async def turn_page(
    query: CallbackQuery,
    callback_data: ShipmentsPage,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    page = await tracking.active_shipments(session, identity, callback_data.page)
    if page.page != callback_data.page or not isinstance(query.message, Message):
        # a page that no longer exists (the list got shorter) or a forged one
        await answer(query, _("This button is no longer valid."), alert=True)
        return
    await answer(query)
    text = shipments_text(page, settings.tz, identity.locale)
    await _edit(query.message, text, shipments_keyboard(page))


async def open_shipment(
    query: CallbackQuery,
    callback_data: ShipmentOpen,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    tariff: Tariff,
    bot: Bot,
) -> None:
    card = await tracking.status_card(
        session,
        identity,
        callback_data.shipment_id,
        today=_today(settings),
        free_time=_free_time(settings, tariff),
    )
    await answer(query)
    # a new message: the list (or the pushed update) the button sits on stays as it was
    await bot.send_message(
        identity.telegram_user_id,
        status_card_text(card, settings.tz, identity.locale),
        reply_markup=status_card_keyboard(card),
    )


async def toggle_subscription(
    query: CallbackQuery,
    callback_data: SubscriptionToggle,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    tariff: Tariff,
    bot: Bot,
) -> None:
    card = await tracking.set_subscription(
        session,
        identity,
        callback_data.shipment_id,
        callback_data.on,
        today=_today(settings),
        free_time=_free_time(settings, tariff),
    )
    if card.subscribed:
        await answer(query, _("Subscribed: you will get a message for every new event."))
    else:
        await answer(query, _("Unsubscribed: no more messages about this shipment."))
    text, keyboard = status_card_text(card, settings.tz, identity.locale), status_card_keyboard(card)
    if isinstance(query.message, Message):
        await _edit(query.message, text, keyboard)
    else:  # too old to edit: show the card afresh
        await bot.send_message(identity.telegram_user_id, text, reply_markup=keyboard)


async def _edit(message: Message, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    try:
        await message.edit_text(text, reply_markup=keyboard)
    except TelegramBadRequest as error:
        # a doubled tap asks for the screen already shown; anything else is a real problem
        if "message is not modified" not in error.message:
            raise
        log.debug("message %s already up to date", message.message_id)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(track_command, Command("track"))
    router.message.register(shipments_command, Command("shipments"))
    router.message.register(track_pasted, StateFilter(None), F.text, ~F.text.startswith("/"), _pasted_number)
    router.callback_query.register(open_shipment, ShipmentOpen.filter())
    router.callback_query.register(turn_page, ShipmentsPage.filter())
    router.callback_query.register(toggle_subscription, SubscriptionToggle.filter())
    return router
