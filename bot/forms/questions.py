"""Each step's question, kept with the form, so a paused form can ask it again when it resumes.

A step's question is what the handler that moved the form to that step said last in the chat (a new
message rather than the edit that settles the previous prompt; an edit when that is how it asked). It is
noted as sent (bot/telegram/outgoing.py) and kept in the form's data under QUESTIONS, by state. One move
keeps the question it finds: coming back from another form to a step already asked (the complaint
follow-up returning to the draft it interrupted), whose handler says something else than the question.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    ForceReply,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    TelegramObject,
)

from bot.forms.kinds import group_of
from bot.telegram.outgoing import SentText, noting

QUESTIONS = "questions"  # key of the form's data: {state: {"text": html, "markup": json or None}}
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


class RememberQuestions(BaseMiddleware):
    """An inner middleware of message and button handlers: the question of the step a handler moved to."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        state: FSMContext | None = data.get("state")
        if state is None:
            return await handler(event, data)
        with noting() as sent:
            result = await handler(event, data)
        if sent:
            await _keep(state, data.get("raw_state"), sent)
        return result


def question_for(data: dict[str, Any], state: str) -> tuple[str, Markup | None] | None:
    """The question kept for this step of a form whose data this is: its text and its keyboard."""
    asked = (data.get(QUESTIONS) or {}).get(state)
    if not asked:
        return None
    return str(asked["text"]), _markup(asked.get("markup"))


async def _keep(state: FSMContext, before: str | None, sent: list[SentText]) -> None:
    after = await state.get_state()
    if after is None or after == before:
        return
    here = [s for s in sent if s.chat_id == state.key.chat_id]
    question = next((s for s in reversed(here) if not s.edited), here[-1] if here else None)
    if question is None:
        return
    questions = dict((await state.get_data()).get(QUESTIONS) or {})
    returning = before is not None and group_of(before) != group_of(after) and after in questions
    if not returning:
        questions[after] = {"text": question.text, "markup": question.markup}
        await state.update_data({QUESTIONS: questions})


def _markup(raw: dict[str, Any] | None) -> Markup | None:
    if not raw:
        return None
    if "inline_keyboard" in raw:
        return InlineKeyboardMarkup.model_validate(raw)
    if "keyboard" in raw:
        return ReplyKeyboardMarkup.model_validate(raw)
    if raw.get("remove_keyboard"):
        return ReplyKeyboardRemove.model_validate(raw)
    return ForceReply.model_validate(raw)
