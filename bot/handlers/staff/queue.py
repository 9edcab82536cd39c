"""/queue: the open complaints a staff member's departments own, filtered, ordered and paged."""

from __future__ import annotations

import html
import re

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.filters import HasRole
from bot.handlers.staff.complaints import desk_user, sla_text
from bot.ui.button_replies import answer
from bot.ui.callbacks.desk import DeskQueue
from bot.ui.keyboards.desk import queue_keyboard
from bot.ui.views.desk import FILTER_NAMES
from portcrm.calendar import PortCalendar
from portcrm.enums import Role
from portcrm.labels import COMPLAINT_CATEGORY_NAMES, COMPLAINT_STATUS_NAMES
from portcrm.services.complaints.notices import clip
from portcrm.services.complaints.queue import QueueFilter, QueueLine, QueueOrder, QueuePage, desk_queue
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings

DESK_ROLES = (Role.MARKET, Role.OPERATIONS, Role.FINANCE, Role.MANAGER)


async def show_queue(message: Message, session: AsyncSession, settings: Settings, identity: Identity) -> None:
    view = DeskQueue(status=QueueFilter.ALL, mine=False, order=QueueOrder.NEWEST, page=0)
    text, keyboard = await _render(view, session, settings, identity)
    await message.answer(text, reply_markup=keyboard)


async def change_view(
    query: CallbackQuery,
    callback_data: DeskQueue,
    session: AsyncSession,
    settings: Settings,
    identity: Identity,
) -> None:
    text, keyboard = await _render(callback_data, session, settings, identity)
    await answer(query)
    message = query.message
    if not isinstance(message, Message):
        return
    if _shown(message, text, keyboard):
        return  # the view shown already: Telegram refuses an edit that changes nothing
    await message.edit_text(text, reply_markup=keyboard)


async def _render(
    view: DeskQueue, session: AsyncSession, settings: Settings, identity: Identity
) -> tuple[str, InlineKeyboardMarkup]:
    page = await desk_queue(
        session,
        desk_user(identity),
        PortCalendar(settings),
        status=view.status,
        mine=view.mine,
        order=view.order,
        page=view.page,
    )
    view = view.model_copy(update={"page": page.page})
    return _queue_text(page, view), queue_keyboard(page, view)


def _shown(message: Message, text: str, keyboard: InlineKeyboardMarkup) -> bool:
    """Whether the message already shows this text and keyboard (compared as Telegram stores them)."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    current = message.reply_markup.model_dump(exclude_none=True) if message.reply_markup else None
    return message.text == plain and current == keyboard.model_dump(exclude_none=True)


def _queue_text(page: QueuePage, view: DeskQueue) -> str:
    title = _("<b>Complaint queue</b> — {filter}").format(filter=FILTER_NAMES[view.status])
    if view.mine:
        title += " · " + _("assigned to me")
    if not page.lines:
        return "\n".join([title, "", _("No open complaints here.")])
    lines = [
        title,
        _("Page {page} of {pages}, {total} in all").format(
            page=page.page + 1, pages=page.pages, total=page.total
        ),
        "",
    ]
    lines += [_line(line) for line in page.lines]
    return "\n".join(lines)


def _line(line: QueueLine) -> str:
    c = line.complaint
    parts = [
        f"<b>{c.ticket}</b>",
        html.escape(clip(line.customer_name, 40), quote=False),
        _(COMPLAINT_CATEGORY_NAMES[c.category]),
        _(COMPLAINT_STATUS_NAMES[c.status]),
    ]
    if (sla := sla_text(line.sla, c.status)) is not None:
        parts.append(sla)
    return " · ".join(parts)


def build_router() -> Router:
    """Below the staff router; the desk's departments only."""
    router = Router(name=__name__)
    router.message.filter(HasRole(*DESK_ROLES))
    router.callback_query.filter(HasRole(*DESK_ROLES))
    router.message.register(show_queue, Command("queue"))
    router.callback_query.register(change_view, DeskQueue.filter())
    return router
