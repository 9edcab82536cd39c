"""/broadcast: segment, text, preview with the recipient count, then Confirm enqueues one message each."""

from __future__ import annotations

import uuid

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.forms import broadcast as form
from bot.forms.broadcast import BroadcastForm
from bot.forms.steps import advance
from bot.handlers.filters import HasRole
from bot.ui.button_replies import answer, show
from bot.ui.callbacks.admin import ALL, BroadcastCancel, BroadcastConfirm, BroadcastGrade, BroadcastType
from bot.ui.keyboards.admin import (
    broadcast_confirm_keyboard,
    broadcast_grade_keyboard,
    broadcast_type_keyboard,
)
from bot.ui.views.broadcast import preview, segment_text
from portcrm.enums import CustomerType, Grade, Role
from portcrm.services.development import broadcasts
from portcrm.services.identity.users import Identity

STALE = "This button is no longer valid."


async def start(message: Message, state: FSMContext) -> None:
    await message.answer(
        _("<b>Broadcast</b>\nWhich customers? Choose a type.")
        + "\n"
        + _("Send /cancel to stop at any time."),
        reply_markup=broadcast_type_keyboard(),
    )
    await form.DRAFT.start(state, id=str(uuid.uuid4()))  # once asked (bot/forms/steps.py)
    await state.set_state(BroadcastForm.customer_type)


async def type_chosen(query: CallbackQuery, callback_data: BroadcastType, state: FSMContext) -> None:
    if callback_data.customer_type != ALL and callback_data.customer_type not in set(CustomerType):
        await answer(query, _(STALE), alert=True)
        return
    await form.DRAFT.update(state, customer_type=callback_data.customer_type)
    # the question replaces the type buttons: if it never arrives they are still there to press
    await advance(state, BroadcastForm.grade, show(query, _("Which grade?"), broadcast_grade_keyboard()))
    await answer(query)


async def grade_chosen(query: CallbackQuery, callback_data: BroadcastGrade, state: FSMContext) -> None:
    if callback_data.grade != ALL and callback_data.grade not in set(Grade):
        await answer(query, _(STALE), alert=True)
        return
    draft = await form.DRAFT.update(state, grade=callback_data.grade)
    question = _("Type the message (at most {limit} characters). It is sent as plain text.")
    text = segment_text(form.segment(draft)) + "\n\n" + question.format(limit=broadcasts.MAX_TEXT)
    await advance(state, BroadcastForm.text, show(query, text))
    await answer(query)


async def text_given(message: Message, state: FSMContext, session: AsyncSession) -> None:
    text = broadcasts.check_text(message.text)
    draft = await form.DRAFT.update(state, text=text)
    segment = form.segment(draft)
    count = await broadcasts.count_recipients(session, segment)
    question = message.answer(preview(segment, count, text), reply_markup=broadcast_confirm_keyboard())
    await advance(state, BroadcastForm.confirm, question)


async def confirmed(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    assert identity.staff_id is not None
    draft = await form.DRAFT.read(state)
    if not draft.get("text"):
        await answer(query, _(STALE), alert=True)
        return
    added = await broadcasts.send_broadcast(
        session, identity.staff_id, str(draft["id"]), form.segment(draft), str(draft["text"])
    )
    await state.clear()
    await answer(query)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(
            _("Broadcast queued for {count} recipients; it goes out at Telegram's pace.").format(count=added)
        )


async def cancelled(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await answer(query)
    if isinstance(query.message, Message):
        await query.message.edit_text(_("Cancelled. Nothing was sent."), reply_markup=None)


async def cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled. Nothing was sent."))


async def use_the_buttons(message: Message) -> None:
    await message.answer(_("Please use the buttons above, or send /cancel to stop."))


def build_router() -> Router:
    """Administrators only (also filtered by the admin router that includes this one)."""
    router = Router(name=__name__)
    router.message.filter(HasRole(Role.ADMIN))
    router.callback_query.filter(HasRole(Role.ADMIN))
    not_command = ~F.text.startswith("/")
    router.message.register(start, Command("broadcast"))
    router.message.register(cancel, Command("cancel"), StateFilter(BroadcastForm))
    router.callback_query.register(type_chosen, BroadcastType.filter(), BroadcastForm.customer_type)
    router.callback_query.register(grade_chosen, BroadcastGrade.filter(), BroadcastForm.grade)
    router.callback_query.register(confirmed, BroadcastConfirm.filter(), BroadcastForm.confirm)
    router.callback_query.register(cancelled, BroadcastCancel.filter(), StateFilter(BroadcastForm))
    router.message.register(text_given, BroadcastForm.text, F.text, not_command)
    router.message.register(use_the_buttons, StateFilter(BroadcastForm), not_command)
    return router
