"""How a failing handler is answered: a refusal with its reason, a fault with an apology; the bot goes on.

Refusals. A handler calls the service and lets its `DomainError` propagate: no handler catches one.
`AnswerRefusals`, an inner middleware of every message and button handler (installed on the root router
in bot/handlers/__init__.py), answers it with `error_text(error)`: a message with a message, a button with
an alert. It runs inside the handler's own context, which aiogram's errors observer does not have (that
observer runs outside the whole pipeline and receives the update's data, not the handler's): the user's
chosen language, the chat's turn, the conversation state and the handler's flags. A handler whose refusal
reads otherwise says so once, where it is registered, in its `refusal` flag:

    router.message.register(reach_typed, ..., flags=on_refusal(leave=FSMContext.clear))

- `leave`: the conversation ends when the service refuses for good (the complaint moved on, someone else
  answered first): it is left before the reason is given. Bad input (`InvalidInput`) keeps it, since the
  corrected value may come next.
- `retry_in`: bad input puts the user in this state, for a command that took its input inline.
- `reply`, for a button: `ALERT` (the default) pops up; `EDIT` puts the reason in place of the message the
  button is on; `MESSAGE` sends it to that chat. Those two are for handlers that answered the button
  before calling the service (a button is answered once).
- `frame`: the reason in a sentence, a lazy text such as __("Not recorded: {reason}").
- `markup`: the reply markup sent with the reason, from the error and the user.

A refusal is an answer, not a fault: it is never logged as an incident nor tried again
(bot/telegram/retries.py `is_transient`), and its update is marked handled like any other.

Faults. Anything else propagates to aiogram's errors observer, `on_error`: a translated apology with an
incident id, logged with the same id. A failure that may pass reaches it only on the update's last attempt
(see bot/pipeline/inbox.py). A refusal raised outside any handler (in a filter or middleware) is answered
there too, the plain way.

The apology is sent like a handler's reply, with its retries, and like every request it stays out of the
chat's retry_after window (bot/telegram/retry_after.py): the fault is often Telegram's own 429, and an
apology sent at once would be refused again. A button press is answered with it in an alert, unless the
press was answered already (by the throttle, or at its deadline: bot/telegram/callback_answers.py) or can
no longer be (too old, or the alert could not be given); then the apology goes to the chat as a message.
An apology that cannot be delivered is logged in one line: the incident itself was logged with its
traceback.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Bot, Router
from aiogram.dispatcher.flags import get_flag
from aiogram.exceptions import AiogramError
from aiogram.filters import ExceptionTypeFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import (
    CallbackQuery,
    ErrorEvent,
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    TelegramObject,
)
from aiogram.utils.i18n import gettext as _

from bot.pipeline.redelivery import Redeliver
from bot.telegram.callback_answers import answers_of, chat_of_press
from bot.telegram.retries import handling_update
from bot.telegram.retry_after import patience
from bot.ui.texts import error_text
from portcrm.errors import DomainError, InvalidInput
from portcrm.services.identity.users import Identity

log = logging.getLogger(__name__)

REFUSAL = "refusal"  # the handler flag read by AnswerRefusals
APOLOGY_PATIENCE = 30.0  # seconds an apology waits for the chat's retry_after window; it holds nothing
ALERT_LIMIT = 200  # characters of a button's alert
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply | None


class Reply(enum.Enum):
    """Where a button's refusal is shown."""

    ALERT = "alert"
    EDIT = "edit"
    MESSAGE = "message"


@dataclass(frozen=True, slots=True)
class Refusal:
    """How one handler's refusal is answered (the module docstring says what each field does)."""

    leave: Callable[[FSMContext], Awaitable[object]] | None = None
    retry_in: State | None = None
    reply: Reply = Reply.ALERT
    frame: Any = None  # a lazy gettext text with {reason}, translated when the refusal is answered
    markup: Callable[[DomainError, Identity], Markup] | None = None


PLAIN = Refusal()


def on_refusal(**how: Any) -> dict[str, Refusal]:
    """Handler flags saying how its refusal is answered, e.g. `flags=on_refusal(leave=FSMContext.clear)`."""
    return {REFUSAL: Refusal(**how)}


class AnswerRefusals(BaseMiddleware):
    """An inner middleware of message and button handlers: a DomainError is answered, not raised further."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except DomainError as error:
            how: Refusal = get_flag(data, REFUSAL, default=PLAIN)
            await answer_refusal(event, error, how, data.get("state"), data.get("identity"))
            return None


async def answer_refusal(
    event: TelegramObject,
    error: DomainError,
    how: Refusal,
    state: FSMContext | None = None,
    identity: Identity | None = None,
) -> None:
    """The reason, the way `how` says; without a state or an identity (outside a handler) the plain way."""
    if state is not None:
        if isinstance(error, InvalidInput):
            if how.retry_in is not None:
                await state.set_state(how.retry_in)
        elif how.leave is not None:
            await how.leave(state)
    text = error_text(error)
    if how.frame is not None:
        text = str(how.frame).format(reason=text)
    markup = how.markup(error, identity) if how.markup is not None and identity is not None else None
    if isinstance(event, Message):
        await event.answer(text, reply_markup=markup)
    elif isinstance(event, CallbackQuery):
        if how.reply is Reply.ALERT:
            await event.answer(text[:ALERT_LIMIT], show_alert=True)
        elif not isinstance(event.message, Message):  # too old to edit or reply to: a new message
            assert event.bot is not None
            await event.bot.send_message(event.from_user.id, text, reply_markup=markup)
        elif how.reply is Reply.EDIT:
            inline = markup if isinstance(markup, InlineKeyboardMarkup) else None
            await event.message.edit_text(text, reply_markup=inline)
        else:
            await event.message.answer(text, reply_markup=markup)


async def on_error(event: ErrorEvent) -> None:
    update, error = event.update, event.exception
    try:
        if isinstance(error, DomainError):
            asked = update.message or update.callback_query
            if asked is not None:
                await answer_refusal(asked, error, PLAIN)
            return
        incident = uuid.uuid4().hex[:8].upper()
        log.error("incident %s: update %s failed", incident, update.update_id, exc_info=error)
        text = _(
            "Sorry, something went wrong on our side. Please try again later. Incident: {incident}"
        ).format(incident=incident)
        # retried as a reply is, and sent once the chat's retry_after window (often the fault) has passed
        with handling_update(), patience(APOLOGY_PATIENCE):
            await _apologise(event, text)
    except (AiogramError, TimeoutError) as failure:  # blocked, Telegram down, the chat's window too long
        log.warning("could not deliver the error reply for update %s: %s", update.update_id, failure)
    except Exception:  # a bug of ours: log, don't loop
        log.exception("could not deliver the error reply for update %s", update.update_id)


async def _apologise(event: ErrorEvent, text: str) -> None:
    update = event.update
    if update.message is not None:
        await update.message.answer(text)
        return
    query = update.callback_query
    if query is None:
        return
    bot: Bot | None = query.bot
    answers = answers_of(bot) if bot is not None else None
    if (answers is None or answers.can_answer(query.id)) and await query.answer(
        text[:ALERT_LIMIT], show_alert=True
    ):
        return
    if bot is not None:  # answered for it already, or too old: an alert can no longer be shown
        await bot.send_message(chat_of_press(query), text)


def build_router() -> Router:
    router = Router(name=__name__)
    # an update left for Telegram to deliver again is not answered: the webhook answers 500 instead
    router.errors.register(on_error, ~ExceptionTypeFilter(Redeliver))
    return router
