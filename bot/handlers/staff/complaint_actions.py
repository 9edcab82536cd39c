"""The complaint card's steps: assign, acknowledge, investigate, note, ask, propose and close.

Each press is checked again by the service (who may act, and the complaint's current stage): a stale or
forged button changes nothing and is answered with the reason. Text steps go through a short form.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.forms.desk import DESK, DeskForm, start_form
from bot.handlers.errors import on_refusal
from bot.handlers.filters import HasRole
from bot.handlers.staff.complaints import card_text, desk_user
from bot.handlers.staff.queue import DESK_ROLES
from bot.ui.button_replies import answer
from bot.ui.callbacks.desk import DeskAction, DeskAssignee, DeskRootCause, DeskStep
from bot.ui.keyboards.desk import assignee_keyboard, card_keyboard, root_cause_keyboard
from portcrm.calendar import PortCalendar
from portcrm.enums import ComplaintStatus
from portcrm.labels import ROOT_CAUSE_NAMES
from portcrm.services.complaints import desk
from portcrm.services.complaints.desk import ROOT_CAUSES
from portcrm.services.complaints.queue import desk_card
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings

S = ComplaintStatus
# text steps: the stage the button needs, the form it opens, and its prompt
_TEXT_STEPS: dict[DeskStep, tuple[frozenset[ComplaintStatus], State, str]] = {
    DeskStep.NOTE: (desk.ACTIVE, DeskForm.note, "note"),
    DeskStep.ASK: (frozenset({S.INVESTIGATING}), DeskForm.question, "ask"),
    DeskStep.PROPOSE: (frozenset({S.INVESTIGATING}), DeskForm.resolution, "propose"),
}


def _prompt(kind: str) -> str:
    if kind == "note":
        return _("Write the note for complaint {ticket} (the customer will not see it), or send /cancel.")
    if kind == "ask":
        return _("Write your question to the customer about complaint {ticket}, or send /cancel.")
    return _("Write the resolution you propose for complaint {ticket}, or send /cancel.")


async def step(
    query: CallbackQuery,
    callback_data: DeskAction,
    session: AsyncSession,
    settings: Settings,
    identity: Identity,
    state: FSMContext,
) -> None:
    user, cid = desk_user(identity), callback_data.complaint_id
    match callback_data.step:
        case DeskStep.ACKNOWLEDGE:
            await desk.acknowledge(session, cid, user, default_locale=settings.default_locale)
        case DeskStep.INVESTIGATE:
            await desk.start_investigation(session, cid, user, default_locale=settings.default_locale)
        case DeskStep.TAKE:
            await desk.assign(session, cid, user, user.staff_id)
        case DeskStep.ASSIGN:
            staff = await desk.assignable_staff(session, cid, user)
            await answer(query)
            await _send(query, _("Who should handle it?"), assignee_keyboard(cid, staff))
            return
        case DeskStep.CLOSE:
            complaint = await desk.expect_step(session, cid, user, frozenset({S.RESOLVED}))
            await answer(query)
            text = _("What was the root cause of complaint {ticket}?").format(ticket=complaint.ticket)
            await _send(query, text, root_cause_keyboard(cid))
            return
        case text_step:
            statuses, form, kind = _TEXT_STEPS[text_step]
            complaint = await desk.expect_step(session, cid, user, statuses)
            await _send(query, _prompt(kind).format(ticket=complaint.ticket))
            await start_form(private_state(state, query), form, cid)  # once asked (bot/forms/steps.py)
            await answer(query)
            return
    await answer(query, _("Done."))
    await _refresh(query, cid, session, settings, identity)


async def assignee_chosen(
    query: CallbackQuery,
    callback_data: DeskAssignee,
    session: AsyncSession,
    settings: Settings,
    identity: Identity,
) -> None:
    await desk.assign(session, callback_data.complaint_id, desk_user(identity), callback_data.staff_id)
    await answer(query, _("Done."))
    await _refresh(query, callback_data.complaint_id, session, settings, identity, edit=False)


async def root_cause_chosen(
    query: CallbackQuery,
    callback_data: DeskRootCause,
    session: AsyncSession,
    identity: Identity,
    state: FSMContext,
) -> None:
    if callback_data.cause not in ROOT_CAUSES:
        await answer(query, _("This button is no longer valid."), alert=True)
        return
    complaint = await desk.expect_step(
        session, callback_data.complaint_id, desk_user(identity), frozenset({S.RESOLVED})
    )
    text = _(
        "Root cause: {cause}. Now write the corrective action that stops it recurring, or send /cancel. "
        "The customer will see it as “What we changed”; the root cause stays with us."
    )
    await _send(query, text.format(cause=_(ROOT_CAUSE_NAMES[callback_data.cause])))
    # once asked (bot/forms/steps.py): the root cause buttons ask again meanwhile
    await start_form(
        private_state(state, query), DeskForm.corrective_action, complaint.id, root_cause=callback_data.cause
    )
    await answer(query)


async def text_given(
    message: Message, session: AsyncSession, settings: Settings, identity: Identity, state: FSMContext
) -> None:
    form, current = await DESK.read(state), await state.get_state()
    cid, user, text = int(form["complaint_id"]), desk_user(identity), message.text or ""
    locale = settings.default_locale
    if current == DeskForm.note.state:
        await desk.add_note(session, cid, user, text)
    elif current == DeskForm.question.state:
        await desk.ask_customer(session, cid, user, text, default_locale=locale)
    elif current == DeskForm.resolution.state:
        await desk.propose_resolution(session, cid, user, text, default_locale=locale)
    else:
        await desk.close(session, cid, user, str(form.get("root_cause")), text, default_locale=locale)
    await state.clear()
    await message.answer(_("Saved."))
    card = await desk_card(session, cid, user, PortCalendar(settings))
    await message.answer(card_text(card, settings), reply_markup=card_keyboard(card, user.staff_id))


async def _refresh(
    query: CallbackQuery,
    complaint_id: int,
    session: AsyncSession,
    settings: Settings,
    identity: Identity,
    *,
    edit: bool = True,
) -> None:
    """The card again after a step, in place of the pressed one (a new message after a list's choice)."""
    user = desk_user(identity)
    card = await desk_card(session, complaint_id, user, PortCalendar(settings))
    text, keyboard = card_text(card, settings), card_keyboard(card, user.staff_id)
    if edit and isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=keyboard)
    else:
        await _send(query, text, keyboard)


def private_state(state: FSMContext, query: CallbackQuery) -> FSMContext:
    """The conversation of the staff member's private chat, where a step's question is asked and answered:
    a button pressed on a card in the desk group asks there too, not in the group's topic (where what
    staff write goes to the customer)."""
    chat = query.message.chat if query.message is not None else None
    if chat is None or chat.type == ChatType.PRIVATE:
        return state
    user_id = query.from_user.id
    key = StorageKey(bot_id=state.key.bot_id, chat_id=user_id, user_id=user_id)
    return FSMContext(storage=state.storage, key=key)


async def _send(query: CallbackQuery, text: str, keyboard: object = None) -> None:
    assert query.bot is not None
    await query.bot.send_message(query.from_user.id, text, reply_markup=keyboard)  # type: ignore[arg-type]


async def cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled. Nothing was saved."))


def build_router() -> Router:
    """Below the staff router; the desk's departments only (the service decides per complaint)."""
    router = Router(name=__name__)
    router.message.filter(HasRole(*DESK_ROLES))
    router.callback_query.filter(HasRole(*DESK_ROLES))
    form = StateFilter(DeskForm)
    router.message.register(cancel, Command("cancel"), form)
    # the complaint moved on: the form cannot succeed any more (bad text keeps it)
    router.message.register(
        text_given, form, F.text, ~F.text.startswith("/"), flags=on_refusal(leave=FSMContext.clear)
    )
    router.callback_query.register(step, DeskAction.filter())
    router.callback_query.register(assignee_chosen, DeskAssignee.filter())
    router.callback_query.register(root_cause_chosen, DeskRootCause.filter())
    return router
