"""The satisfaction survey conversation: one message edited in place, question by question, then a comment.

Every button carries the survey id and the question, so a press works after a restart or on an old
message; the service saves each score at once and checks the survey is the presser's own.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.errors import on_refusal
from bot.ui.button_replies import answer, same_markup
from bot.ui.callbacks.surveys import SurveyScore, SurveyShow, SurveySkip, SurveyStart
from bot.ui.keyboards.surveys import comment_keyboard, question_keyboard
from portcrm.labels import SERVQUAL_EXPLANATIONS, SERVQUAL_NAMES
from portcrm.services.care.surveys import (
    STEPS,
    Score,
    SurveyProgress,
    finish_survey,
    question_at,
    record_score,
    survey_progress,
)
from portcrm.services.identity.users import Identity


class SurveyForm(StatesGroup):
    comment = State()


def question_screen(progress: SurveyProgress, step: int) -> tuple[str, InlineKeyboardMarkup]:
    dimension, score = question_at(step)
    prompt = (
        _("What level of service do you expect here? (1 = low, 5 = very high)")
        if score == Score.EXPECTATION
        else _("How did we do? (1 = poor, 5 = excellent)")
    )
    text = "\n".join(
        [
            _("<b>Service quality survey</b> · question {number} of {total}").format(
                number=step + 1, total=STEPS
            ),
            "",
            f"<b>{_(SERVQUAL_NAMES[dimension])}</b>: {_(SERVQUAL_EXPLANATIONS[dimension])}",
            "",
            prompt,
        ]
    )
    return text, question_keyboard(progress.survey_id, step, score, progress.scores.get(step))


def comment_screen(survey_id: int) -> tuple[str, InlineKeyboardMarkup]:
    text = _("Thank you! Would you like to add a comment? Write it as a message, or press Skip.")
    return text, comment_keyboard(survey_id)


def thanks_text() -> str:
    return _("Thank you for taking part in our survey! Your answers help us serve you better.")


async def start(
    query: CallbackQuery,
    callback_data: SurveyStart,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    bot: Bot,
) -> None:
    progress = await survey_progress(session, callback_data.survey_id, identity.contact_id)
    await _show(query, state, bot, progress, progress.next_step)


async def scored(
    query: CallbackQuery,
    callback_data: SurveyScore,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    bot: Bot,
) -> None:
    data = callback_data
    progress = await record_score(
        session, data.survey_id, identity.contact_id, data.dimension, data.score, data.value
    )
    await _show(query, state, bot, progress, progress.next_step)


async def go_back(
    query: CallbackQuery,
    callback_data: SurveyShow,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    bot: Bot,
) -> None:
    progress = await survey_progress(session, callback_data.survey_id, identity.contact_id)
    # never past the first unanswered question, whatever the button says
    furthest = STEPS if progress.next_step is None else progress.next_step
    step = min(max(callback_data.step, 0), furthest)
    await _show(query, state, bot, progress, step if step < STEPS else None)


async def skipped(
    query: CallbackQuery,
    callback_data: SurveySkip,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    bot: Bot,
) -> None:
    await finish_survey(session, callback_data.survey_id, identity.contact_id, None)
    if await state.get_state() == SurveyForm.comment.state:
        await state.clear()
    await answer(query)
    await _edit(query, bot, thanks_text(), None)


async def comment_written(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    await _finish(message, state, session, identity, message.text)


async def cancel(message: Message, state: FSMContext, session: AsyncSession, identity: Identity) -> None:
    """Leaving the comment step finishes the survey without one: the scores are all given."""
    await _finish(message, state, session, identity, None)


async def not_text(message: Message) -> None:
    await message.answer(_("Please write your comment as text, or press Skip."))


async def _finish(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity, comment: str | None
) -> None:
    survey_id = (await state.get_data()).get("survey_id")
    await finish_survey(session, int(survey_id or 0), identity.contact_id, comment)
    await state.clear()
    await message.answer(thanks_text())


async def _show(
    query: CallbackQuery, state: FSMContext, bot: Bot, progress: SurveyProgress, step: int | None
) -> None:
    if step is None:
        await _edit(query, bot, *comment_screen(progress.survey_id))
        # once the comment is asked for (bot/forms/steps.py); until then the last score's buttons ask again
        await state.set_state(SurveyForm.comment)
        await state.set_data({"survey_id": progress.survey_id})
    else:
        await _edit(query, bot, *question_screen(progress, step))
    await answer(query)


async def _edit(query: CallbackQuery, bot: Bot, text: str, markup: InlineKeyboardMarkup | None) -> None:
    message = query.message
    if not isinstance(message, Message):  # too old to edit: the survey goes on in a new message
        await bot.send_message(query.from_user.id, text, reply_markup=markup)
        return
    if markup is not None and same_markup(message.reply_markup, markup):
        return  # Telegram refuses an edit that changes nothing (a button pressed twice)
    await message.edit_text(text, reply_markup=markup)


def build_router() -> Router:
    router = Router(name=__name__)
    commenting = StateFilter(SurveyForm.comment)
    router.callback_query.register(start, SurveyStart.filter())
    router.callback_query.register(scored, SurveyScore.filter())
    router.callback_query.register(go_back, SurveyShow.filter())
    router.callback_query.register(skipped, SurveySkip.filter())
    # a comment too long may come again, shorter; any other refusal ends the comment step
    finishing = on_refusal(leave=FSMContext.clear)
    router.message.register(cancel, Command("cancel"), commenting, flags=finishing)
    router.message.register(comment_written, commenting, F.text, ~F.text.startswith("/"), flags=finishing)
    router.message.register(not_text, commenting, ~F.text)
    return router
