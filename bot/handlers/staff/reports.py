"""/report: the manager's five charts as one album, then the workbook with their numbers."""

from __future__ import annotations

import asyncio
import datetime as dt

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, InputMediaPhoto, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.filters import HasRole
from portcrm.calendar import PortCalendar
from portcrm.enums import Role
from portcrm.i18n import gettext_for
from portcrm.services.identity.users import Identity
from portcrm.services.reports.figures import build_report
from portcrm.settings import Settings


async def report(
    message: Message, session: AsyncSession, identity: Identity, settings: Settings, bot: Bot
) -> None:
    today = dt.datetime.now(settings.tz).date()
    figures = await build_report(
        session, today, PortCalendar(settings), settings.revisit_cadence_days, tz=settings.tz
    )
    gettext = gettext_for(identity.locale)
    # matplotlib costs ~40 MB resident: loaded when a manager first asks for a report, not at start-up
    from portcrm.services.reports.charts import render_charts
    from portcrm.services.reports.workbook import render_workbook

    # drawing takes a moment of CPU: off the event loop, after the transaction has ended
    charts = await asyncio.to_thread(render_charts, figures, identity.locale)
    workbook = await asyncio.to_thread(render_workbook, figures, gettext)
    caption = _("<b>Management report</b>, {date}").format(date=today.isoformat())
    notes = [
        _("Time to resolve: working days, customer time excluded. Receivables: per currency, days past due."),
        _("Revisits: customers visited within their grade's cadence in the last 90 days."),
    ]
    media = [
        InputMediaPhoto(
            media=BufferedInputFile(png, filename=f"report-{index}.png"),
            caption="\n".join([caption, *notes]) if index == 1 else None,
        )
        for index, png in enumerate(charts, start=1)
    ]
    await bot.send_media_group(message.chat.id, media=media)
    await message.answer_document(
        BufferedInputFile(workbook, filename=f"report-{today.isoformat()}.xlsx"),
        caption=_("The numbers behind the charts, one sheet per chart."),
    )


def build_router() -> Router:
    """Managers only."""
    router = Router(name=__name__)
    router.message.filter(HasRole(Role.MANAGER))
    router.callback_query.filter(HasRole(Role.MANAGER))
    router.message.register(report, Command("report"))
    return router
