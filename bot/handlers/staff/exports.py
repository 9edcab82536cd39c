"""/export: the customer archive, complaints or visits as an .xlsx file, as the staff member may see them."""

from __future__ import annotations

import datetime as dt

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.filters import HasRole
from bot.ui.button_replies import answer
from bot.ui.callbacks.exports import ExportChoice
from bot.ui.documents import send_workbook
from bot.ui.keyboards.exports import exports_keyboard
from portcrm.enums import Role
from portcrm.services.exports.staff import EXPORT_NAMES, exports_for, staff_export
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings


async def export_menu(message: Message, identity: Identity) -> None:
    await message.answer(
        _("What would you like in Excel?"), reply_markup=exports_keyboard(exports_for(identity))
    )


async def export_chosen(
    query: CallbackQuery,
    callback_data: ExportChoice,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    bot: Bot,
) -> None:
    sheets = await staff_export(session, identity, callback_data.kind)
    await answer(query)
    today = dt.datetime.now(settings.tz).date()
    caption = _("{export} as of {date}.").format(
        export=_(EXPORT_NAMES[callback_data.kind]), date=today.isoformat()
    )
    name = f"{_(EXPORT_NAMES[callback_data.kind])}-{today.isoformat()}.xlsx"
    await send_workbook(bot, query.from_user.id, sheets, name, caption, settings.tz)


def build_router() -> Router:
    """Market, operations, finance and managers; which export each may take is the service's rule."""
    router = Router(name=__name__)
    allowed = HasRole(Role.MARKET, Role.OPERATIONS, Role.FINANCE, Role.MANAGER)
    router.message.filter(allowed)
    router.callback_query.filter(allowed)
    router.message.register(export_menu, Command("export"))
    router.callback_query.register(export_chosen, ExportChoice.filter())
    return router
