"""Administrators: staff and roles."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.admin import broadcast as admin_broadcast
from bot.handlers.admin import staff as admin_staff
from bot.handlers.filters import HasRole
from bot.ui.keyboards.admin import staff_list_keyboard
from bot.ui.texts import roles_text
from portcrm.enums import Role
from portcrm.services.identity.staff import all_staff

# a staff list is short, but a message must stay under Telegram's 4096 characters whatever its size
_MAX_LINES = 60


async def staff_list(message: Message, session: AsyncSession) -> None:
    staff = await all_staff(session)
    lines = [_("<b>Staff ({count})</b>").format(count=len(staff))]
    for member in staff[:_MAX_LINES]:
        roles = roles_text(member.role_set)
        inactive = "" if member.active else " " + _("(deactivated)")
        lines.append(
            f"• {html.escape(member.name)} — {roles} (<code>{member.telegram_user_id}</code>){inactive}"
        )
    if len(staff) > _MAX_LINES:
        lines.append(_("… and {count} more").format(count=len(staff) - _MAX_LINES))
    lines.append(_("Press a name to change roles; /addstaff adds a member."))
    await message.answer("\n".join(lines), reply_markup=staff_list_keyboard(staff[:_MAX_LINES]))


def build_router() -> Router:
    """Only administrators."""
    router = Router(name=__name__)
    router.message.filter(HasRole(Role.ADMIN))
    router.callback_query.filter(HasRole(Role.ADMIN))
    router.message.register(staff_list, Command("staff"))
    router.include_router(admin_staff.build_router())
    router.include_router(admin_broadcast.build_router())
    return router
