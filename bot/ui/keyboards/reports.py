"""The buttons of the manager's screens: /grades' Approve and Reject per proposal, and its pages."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.ui.callbacks.reports import GradeDecision, GradesPage
from portcrm.services.complaints.notices import clip


def grades_keyboard(decisions: list[tuple[int, str]], page: int, pages: int) -> InlineKeyboardMarkup:
    """`decisions`: (evaluation id, customer code) of each proposal on the page, a row of two buttons each."""
    builder = InlineKeyboardBuilder()
    for evaluation_id, code in decisions:
        label = clip(code, 20)
        builder.button(
            text=_("Approve {code}").format(code=label),
            callback_data=GradeDecision(evaluation_id=evaluation_id, approve=True),
        )
        builder.button(
            text=_("Reject {code}").format(code=label),
            callback_data=GradeDecision(evaluation_id=evaluation_id, approve=False),
        )
    if page > 0:
        builder.button(text=_("« Previous"), callback_data=GradesPage(page=page - 1))
    if page < pages - 1:
        builder.button(text=_("Next »"), callback_data=GradesPage(page=page + 1))
    builder.adjust(*[2] * len(decisions), 2)
    return builder.as_markup()
