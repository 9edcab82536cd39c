"""Staff cards for admins: roles toggled one button at a time, deactivation, and /addstaff."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.filters import HasRole
from bot.ui.button_replies import answer
from bot.ui.callbacks.admin import StaffActive, StaffOpen, StaffRoleToggle
from bot.ui.keyboards.admin import staff_card_keyboard
from bot.ui.texts import roles_text
from portcrm.enums import Role
from portcrm.errors import N_, InvalidInput
from portcrm.models import Staff
from portcrm.services.complaints.notices import clip
from portcrm.services.identity import staff as staff_service
from portcrm.services.identity.users import Identity

MAX_TELEGRAM_ID = 2**53  # Telegram's user ids fit in 52 bits
USAGE = N_("Usage: /addstaff &lt;Telegram ID&gt; &lt;name&gt;, for example /addstaff 123456789 王芳")


def card_text(member: Staff) -> str:
    status = _("active") if member.active else _("deactivated")
    return "\n".join(
        [
            f"<b>{html.escape(clip(member.name, 200))}</b>",
            _("Telegram ID: <code>{telegram_id}</code>").format(telegram_id=member.telegram_user_id or "—"),
            _("Roles: {roles}").format(roles=roles_text(member.role_set) or "—"),
            _("Status: {status}").format(status=status),
            "",
            _("Press a role to give or take it away."),
        ]
    )


def parse_addstaff(args: str | None) -> tuple[int, str]:
    telegram_id, _space, name = (args or "").strip().partition(" ")
    if not telegram_id.isdigit() or not 0 < int(telegram_id) < MAX_TELEGRAM_ID or not name.strip():
        raise InvalidInput(USAGE)
    return int(telegram_id), clip(name.strip(), 100)


async def add(message: Message, command: CommandObject, session: AsyncSession, identity: Identity) -> None:
    assert identity.staff_id is not None
    telegram_id, name = parse_addstaff(command.args)
    member, created = await staff_service.enrol_staff(session, identity.staff_id, telegram_id, name)
    note = (
        _("Staff member added with the market department role; change the roles below.")
        if created
        else _("That Telegram user is already a staff member; nothing was changed.")
    )
    await message.answer(note + "\n\n" + card_text(member), reply_markup=staff_card_keyboard(member))


async def open_card(
    query: CallbackQuery, callback_data: StaffOpen, session: AsyncSession, identity: Identity
) -> None:
    assert identity.staff_id is not None
    member = await staff_service.get_staff(session, identity.staff_id, callback_data.staff_id)
    await answer(query)
    if isinstance(query.message, Message):
        await query.message.answer(card_text(member), reply_markup=staff_card_keyboard(member))


async def toggle(
    query: CallbackQuery, callback_data: StaffRoleToggle, session: AsyncSession, identity: Identity
) -> None:
    assert identity.staff_id is not None
    member = await staff_service.toggle_role(
        session, identity.staff_id, callback_data.staff_id, callback_data.role
    )
    await _show(query, member)


async def activate(
    query: CallbackQuery, callback_data: StaffActive, session: AsyncSession, identity: Identity
) -> None:
    assert identity.staff_id is not None
    member = await staff_service.set_active(
        session, identity.staff_id, callback_data.staff_id, callback_data.active
    )
    await _show(query, member)


async def _show(query: CallbackQuery, member: Staff) -> None:
    await answer(query, _("Saved."))
    if isinstance(query.message, Message):
        await query.message.edit_text(card_text(member), reply_markup=staff_card_keyboard(member))


def build_router() -> Router:
    """Administrators only (also filtered by the admin router that includes this one)."""
    router = Router(name=__name__)
    router.message.filter(HasRole(Role.ADMIN))
    router.callback_query.filter(HasRole(Role.ADMIN))
    router.message.register(add, Command("addstaff"))
    router.callback_query.register(open_card, StaffOpen.filter())
    router.callback_query.register(toggle, StaffRoleToggle.filter())
    router.callback_query.register(activate, StaffActive.filter())
    return router
