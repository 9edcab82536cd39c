"""Deletion requests (PIPL): admins and managers list them and erase the person's data, after a confirmation.

The confirmation names the contact by number, not by name: the press that confirms is itself recorded
(received updates) while the erasure runs, and must not carry the name the erasure removes.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot.forms import paused
from bot.handlers.filters import HasRole
from bot.ui.button_replies import answer
from bot.ui.callbacks.privacy import ErasureAsk, ErasureConfirm
from bot.ui.keyboards.privacy import erasure_keyboard, erasure_requests_keyboard
from portcrm.labels import person_name
from portcrm.services.complaints.notices import clip
from portcrm.services.identity.users import Identity
from portcrm.services.privacy.erasure import ERASERS
from portcrm.services.privacy.rights import execute_deletion, open_deletion, open_deletions
from portcrm.services.receivables.ledger import fit
from portcrm.settings import Settings

MAX_LISTED = 10  # buttons under one message; older requests come first


def _day(at: dt.datetime, identity: Identity, settings: Settings) -> str:
    return format_date(at.astimezone(settings.tz).date(), format="medium", locale=identity.locale)


async def list_requests(
    message: Message, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    assert identity.staff_id is not None
    requests = await open_deletions(session, identity.staff_id)
    if not requests:
        await message.answer(_("No personal data deletion requests are waiting."))
        return
    lines = [_("<b>Personal data deletion requests</b> (oldest first)")]
    for request in requests[:MAX_LISTED]:
        lines.append(
            _("#{number} {contact} of {company} ({code}), asked on {date}").format(
                number=request.request_id,
                contact=html.escape(clip(request.contact, 60)),
                company=html.escape(clip(request.company, 60)),
                code=html.escape(request.code),
                date=_day(request.requested_at, identity, settings),
            )
        )
    if len(requests) > MAX_LISTED:
        lines.append(_("…and {count} more.").format(count=len(requests) - MAX_LISTED))
    listed = [request.request_id for request in requests[:MAX_LISTED]]
    await message.answer(fit(lines), reply_markup=erasure_requests_keyboard(listed))


async def erase_asked(
    query: CallbackQuery,
    callback_data: ErasureAsk,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    assert identity.staff_id is not None
    request = await open_deletion(session, callback_data.request_id, identity.staff_id)
    await answer(query)
    if isinstance(query.message, Message):
        await query.message.answer(
            _(
                "Erase the personal data of contact #{contact_id} of {company} ({code}), who asked on "
                "{date}?\n\nTheir name, phone, email, birthday and notes are removed, their Telegram "
                "account is unlinked and their messages to the bot are deleted. Invoices, payments, "
                "shipments and complaints stay, without their personal details. This cannot be undone."
            ).format(
                contact_id=request.contact_id,
                company=html.escape(clip(request.company, 80)),
                code=html.escape(request.code),
                date=_day(request.requested_at, identity, settings),
            ),
            reply_markup=erasure_keyboard(request.request_id),
        )


async def erase_confirmed(
    query: CallbackQuery,
    callback_data: ErasureConfirm,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    bot: Bot,
    fsm_storage: BaseStorage,
) -> None:
    assert identity.staff_id is not None
    if not isinstance(query.message, Message) or query.message.reply_markup is None:
        await answer(query)
        return  # answered already; the buttons are gone
    if not callback_data.go:
        await answer(query)
        await query.message.edit_text(_("Cancelled. Nothing was erased."))
        return
    erasure = await execute_deletion(
        session, callback_data.request_id, identity.staff_id, default_locale=settings.default_locale
    )
    await forget_conversations(fsm_storage, bot, erasure.telegram_user_ids)
    await answer(query)
    await query.message.edit_text(
        _(
            "Done: the personal data of contact #{contact_id} was erased and the request is closed. "
            "They have been told. The contact is now listed as “{label}”."
        ).format(contact_id=erasure.contact_id, label=html.escape(person_name(erasure.label, _)))
    )


async def forget_conversations(storage: BaseStorage, bot: Bot, telegram_user_ids: Iterable[int]) -> None:
    """A half-filled form of an erased person holds what they typed, and so do their paused forms: they go
    with the rest."""
    for user_id in telegram_user_ids:
        key = StorageKey(bot_id=bot.id, chat_id=user_id, user_id=user_id)  # their private chat
        await storage.set_state(key, None)
        await storage.set_data(key, {})
        await paused.forget_all(storage, key)


def build_router() -> Router:
    """Admins and managers, who are alerted to deletion requests; the services check the role again."""
    router = Router(name=__name__)
    router.message.filter(HasRole(*ERASERS))
    router.callback_query.filter(HasRole(*ERASERS))
    router.message.register(list_requests, Command("privacy_requests"))
    router.callback_query.register(erase_asked, ErasureAsk.filter())
    router.callback_query.register(erase_confirmed, ErasureConfirm.filter())
    return router
