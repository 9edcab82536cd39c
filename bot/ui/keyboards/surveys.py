"""The buttons of the satisfaction survey: a question's scores, and the comment step's Skip."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.surveys import SurveyScore, SurveyShow, SurveySkip
from portcrm.services.care.surveys import STEPS, Score


def question_keyboard(survey_id: int, step: int, score: Score, chosen: int | None) -> InlineKeyboardMarkup:
    """1 to 5 (the score given already ticked), and Back from the second question on."""
    builder = InlineKeyboardBuilder()
    for value in range(1, 6):
        data = SurveyScore(survey_id=survey_id, dimension=step // 2, score=score, value=value)
        builder.button(text=f"✓{value}" if value == chosen else str(value), callback_data=data)
    if step > 0:
        builder.button(text=_("◀ Back"), callback_data=SurveyShow(survey_id=survey_id, step=step - 1))
    builder.adjust(5, 1)
    return builder.as_markup()


def comment_keyboard(survey_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Skip"), callback_data=SurveySkip(survey_id=survey_id))
    builder.button(text=_("◀ Back"), callback_data=SurveyShow(survey_id=survey_id, step=STEPS - 1))
    builder.adjust(2)
    return builder.as_markup()
