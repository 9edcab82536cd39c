"""A command in the middle of a form: the form is paused, the command runs, and the form can be resumed.

`LeaveFormOnCommand`, an outer middleware of the root router's messages, sees a text starting with "/"
before any handler does, so no form ever takes a command as its answer. Except for /cancel, which the
forms answer themselves, the form in progress is paused (bot/forms/paused.py): nothing typed is lost, the
user is told with a Continue button, and the command runs as if no form had been open. A form's own
command (/complaint, /visit, ...) sent bare while that form is paused offers to continue it or start over
instead of silently starting a new one. Continue asks the form's last question again (bot/forms/questions.py)
and waits for its answer; Start over runs the command as if sent again. A button of the paused step's
question, pressed all the same, resumes the form and is taken as its answer; /cancel with no form open
discards the paused ones.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, MessageEntity, TelegramObject
from aiogram.utils.i18n import gettext as _

from bot.forms.kinds import group_of, kind_of, started_by
from bot.forms.paused import PausedForm, discard, pause, paused_form, paused_forms, resume
from bot.forms.questions import question_for
from bot.ui.button_replies import SEND_FAILURES, answer, drop_buttons, reply, settle
from bot.ui.callbacks.forms import PausedFormAction, PausedStep
from bot.ui.keyboards.forms import paused_keyboard, resume_or_restart_keyboard
from bot.ui.views.forms import (
    back_to,
    back_to_without_question,
    discarded,
    paused_note,
    starting_over,
    unfinished_offer,
)

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class LeaveFormOnCommand(BaseMiddleware):
    """An outer middleware of the root router's messages (bot/handlers/__init__.py)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        state: FSMContext | None = data.get("state")
        if not isinstance(event, Message) or state is None or not (event.text or "").startswith("/"):
            return await handler(event, data)
        command, has_args = _command(event.text or "")
        paused = await pause(state) if command != "cancel" else None
        if paused is not None:
            data["raw_state"] = None  # the handlers' state filters see the form left
        offered = started_by(command) if not has_args else None
        offering = offered is not None and await paused_form(state, offered) is not None
        if paused is not None and not (offering and paused.group == offered):
            await _tell(event, paused_note(paused.group), paused_keyboard(paused.group))
        if offering:
            assert offered is not None
            await _tell(event, unfinished_offer(offered), resume_or_restart_keyboard(offered))
            return None  # the choice decides whether the command runs
        return await handler(event, data)


async def continue_form(query: CallbackQuery, callback_data: PausedFormAction, state: FSMContext) -> None:
    paused = await paused_form(state, callback_data.form)
    if paused is None:
        await _stale(query)
        return
    current = await state.get_state()
    if current is not None:  # another form is open: it is paused in its turn, and said so first
        await reply(query, paused_note(group_of(current)), paused_keyboard(group_of(current)))
    await settle(query, back_to(paused.group))
    await _ask_again(query, paused)
    await resume(state, paused)  # once its question is out (bot/forms/steps.py)


async def discard_form(query: CallbackQuery, callback_data: PausedFormAction, state: FSMContext) -> None:
    if await paused_form(state, callback_data.form) is None:
        await _stale(query)
        return
    await discard(state, callback_data.form)
    await settle(query, discarded(callback_data.form))


async def start_over(
    query: CallbackQuery, callback_data: PausedFormAction, state: FSMContext, **data: Any
) -> None:
    command = kind_of(callback_data.form).command
    paused = await paused_form(state, callback_data.form)
    if paused is None or command is None or not isinstance(query.message, Message):
        await _stale(query)
        return
    await discard(state, callback_data.form)
    await settle(query, starting_over(callback_data.form))
    await _run_again(query, query.message, command, state, data)


async def answer_paused_question(query: CallbackQuery, state: FSMContext, data: dict[str, Any]) -> bool:
    """A press that no handler took, on a button of a paused form's question: the person answered the
    question in front of them (a second /complaint had put its form aside a moment after asking, say).
    The form resumes at that step and the press is routed again, as its answer; False when it is not one."""
    if not query.data or await state.get_state() is not None:
        return False
    paused = await paused_answering(state, query.data)
    if paused is None:
        return False
    await resume(state, paused)
    await _route_again("callback_query", query, state, paused.state, data)
    return True


async def paused_answering(state: FSMContext, pressed: str) -> PausedForm | None:
    """The paused form whose current question carries a button with this payload, if any."""
    for form in await paused_forms(state):
        asked = question_for(form.data, form.state)
        markup = asked[1] if asked else None
        if isinstance(markup, InlineKeyboardMarkup) and any(
            button.callback_data == pressed for row in markup.inline_keyboard for button in row
        ):
            return form
    return None


async def _ask_again(query: CallbackQuery, paused: PausedForm) -> None:
    asked = question_for(paused.data, paused.state)
    if asked is None:  # paused before its questions were kept
        await reply(query, back_to_without_question(paused.group))
        return
    text, markup = asked
    assert query.bot is not None
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    await query.bot.send_message(chat_id, text, reply_markup=markup)


async def _run_again(
    query: CallbackQuery, shown: Message, command: str, state: FSMContext, data: dict[str, Any]
) -> None:
    """The form's command as if the user had sent it again: its own handler starts the form afresh.

    Routed from the top, through the message observers' middlewares (this module's one finds nothing
    paused now) and filters, with the press's dependencies (session, identity, state) and a fresh state.
    """
    assert query.bot is not None
    text = f"/{command}"
    message = Message(
        message_id=shown.message_id,
        date=shown.date,
        chat=shown.chat,
        from_user=query.from_user,
        text=text,
        entities=[MessageEntity(type="bot_command", offset=0, length=len(text))],
    ).as_(query.bot)
    await _route_again("message", message, state, await state.get_state(), data)


async def _route_again(
    kind: str, event: TelegramObject, state: FSMContext, raw_state: str | None, data: dict[str, Any]
) -> None:
    """`event` routed from the top router, with the update's dependencies and the conversation as now."""
    router: Router = data["event_router"]
    while router.parent_router is not None:
        router = router.parent_router
    skip = {"handler", "event_router", "state", "raw_state"}
    forwarded = {key: value for key, value in data.items() if key not in skip}
    await router.propagate_event(kind, event, state=state, raw_state=raw_state, **forwarded)


async def _tell(message: Message, text: str, markup: InlineKeyboardMarkup) -> None:
    """A courtesy: the form is safe on the shelf whether or not the note arrives."""
    try:
        await message.answer(text, reply_markup=markup)
    except SEND_FAILURES as error:
        log.warning("the note about a paused form was lost: %s", error)


async def _stale(query: CallbackQuery) -> None:
    await answer(query, _("This button is no longer valid."), alert=True)
    await drop_buttons(query)


def _command(text: str) -> tuple[str, bool]:
    """ "/Visit@port_bot C001" → ("visit", True): the command's name, and whether it came with arguments."""
    head, _sep, rest = text[1:].partition(" ")
    return head.split("@", 1)[0].lower(), bool(rest.strip())


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(continue_form, PausedFormAction.filter(F.step == PausedStep.CONTINUE))
    router.callback_query.register(discard_form, PausedFormAction.filter(F.step == PausedStep.DISCARD))
    router.callback_query.register(start_over, PausedFormAction.filter(F.step == PausedStep.START_OVER))
    return router
