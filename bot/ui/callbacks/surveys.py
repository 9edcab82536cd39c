"""Callback data of the satisfaction survey: ids and small numbers only, re-checked by the service."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from portcrm.services.care.surveys import START_PREFIX, Score


class SurveyStart(CallbackData, prefix=START_PREFIX):
    """The invitation's button (written by the core): resume at the first unanswered question."""

    survey_id: int


class SurveyScore(CallbackData, prefix="svsc"):
    survey_id: int
    dimension: int  # index in the order the questions are asked
    score: Score
    value: int


class SurveyShow(CallbackData, prefix="svbk"):
    """Go back to a question (a step; the last step is the comment)."""

    survey_id: int
    step: int


class SurveySkip(CallbackData, prefix="svsk"):
    """Finish without a comment."""

    survey_id: int
