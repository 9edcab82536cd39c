"""Port staff: the parent router for every department; department routers attach below it."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.filters import IsStaff
from bot.handlers.staff import archive as staff_archive
from bot.handlers.staff import complaint_actions as staff_complaint_actions
from bot.handlers.staff import complaints as staff_complaints
from bot.handlers.staff import credit as staff_credit
from bot.handlers.staff import exports as staff_exports
from bot.handlers.staff import finance as staff_finance
from bot.handlers.staff import find as staff_find
from bot.handlers.staff import grades as staff_grades
from bot.handlers.staff import hotline as staff_hotline
from bot.handlers.staff import inquiries as staff_inquiries
from bot.handlers.staff import invites as staff_invites
from bot.handlers.staff import leads as staff_leads
from bot.handlers.staff import mailbox as staff_mailbox
from bot.handlers.staff import operations as staff_operations
from bot.handlers.staff import queue as staff_queue
from bot.handlers.staff import reports as staff_reports
from bot.handlers.staff import visits as staff_visits
from bot.ui.texts import roles_text
from portcrm.services.identity.users import Identity


async def whoami(message: Message, identity: Identity) -> None:
    roles = roles_text(identity.roles)
    await message.answer(
        _("<b>{name}</b>\nRoles: {roles}\nTelegram ID: <code>{telegram_id}</code>").format(
            name=html.escape(identity.staff_name or ""), roles=roles, telegram_id=identity.telegram_user_id
        )
    )


def build_router() -> Router:
    """Every staff member, whatever the department; department routers attach below this one."""
    router = Router(name=__name__)
    router.message.filter(IsStaff())
    router.callback_query.filter(IsStaff())
    router.message.register(whoami, Command("whoami"))
    router.include_router(staff_complaints.build_router())
    router.include_router(staff_queue.build_router())
    router.include_router(staff_complaint_actions.build_router())
    router.include_router(staff_hotline.build_router())
    router.include_router(staff_finance.build_router())
    router.include_router(staff_credit.build_router())
    router.include_router(staff_operations.build_router())
    router.include_router(staff_find.build_router())
    router.include_router(staff_inquiries.build_router())
    router.include_router(staff_invites.build_router())
    router.include_router(staff_archive.build_router())
    router.include_router(staff_visits.build_router())
    router.include_router(staff_leads.build_router())
    router.include_router(staff_mailbox.build_router())
    router.include_router(staff_reports.build_router())
    router.include_router(staff_grades.build_router())
    router.include_router(staff_exports.build_router())
    return router
