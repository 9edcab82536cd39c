"""/grades: the grading run's proposals, five a page, each approved or rejected by a manager."""

from __future__ import annotations

import html
from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.filters import HasRole
from bot.ui.button_replies import answer
from bot.ui.callbacks.reports import GradeDecision, GradesPage
from bot.ui.keyboards.reports import grades_keyboard
from portcrm.enums import EvaluationStatus, Role
from portcrm.models import Customer, GradeEvaluation
from portcrm.services.complaints.notices import clip
from portcrm.services.grading.scores import approve_evaluation, pending_evaluations, reject_evaluation
from portcrm.services.identity.users import Identity
from portcrm.services.receivables.ledger import fit

PAGE_SIZE = 5
_MAX_REASON = 120  # five proposals of five reasons each stay far below 4096 characters


def reason_text(reason: dict[str, Any]) -> str:
    """A stored reason in the reader's language when it carries a message id, else its English text."""
    msgid, params = reason.get("msgid"), reason.get("params") or {}
    if msgid:
        try:
            text = _(msgid).format(**{k: html.escape(str(v)) for k, v in params.items()})
        except (KeyError, IndexError, ValueError):  # a translation out of step with its parameters
            text = html.escape(str(reason.get("text") or msgid))
    else:
        text = html.escape(str(reason.get("text") or ""))
    return clip(text, _MAX_REASON)


def page_view(
    proposals: list[tuple[GradeEvaluation, Customer]], page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not proposals:
        return _("No grade proposals are waiting for a decision."), None
    pages = (len(proposals) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    lines = [_("<b>Grade proposals</b> (page {page} of {pages})").format(page=page + 1, pages=pages)]
    shown = proposals[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    for evaluation, customer in shown:
        lines += [
            "",
            _("<b>{code}</b> {name}: {previous} → {proposed} (score {score})").format(
                code=html.escape(customer.code),
                name=html.escape(clip(customer.name, 60)),
                previous=evaluation.previous_grade.value,
                proposed=evaluation.proposed_grade.value,
                score=evaluation.score,
            ),
        ]
        lines += [f"• {reason_text(reason)}" for reason in evaluation.reasons if isinstance(reason, dict)]
    decisions = [(evaluation.id, customer.code) for evaluation, customer in shown]
    return fit(lines), grades_keyboard(decisions, page, pages)


async def list_grades(message: Message, session: AsyncSession) -> None:
    text, markup = page_view(await pending_evaluations(session), 0)
    await message.answer(text, reply_markup=markup)


async def turn_page(query: CallbackQuery, callback_data: GradesPage, session: AsyncSession) -> None:
    text, markup = page_view(await pending_evaluations(session), callback_data.page)
    await answer(query)
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)


async def decide(
    query: CallbackQuery, callback_data: GradeDecision, session: AsyncSession, identity: Identity
) -> None:
    assert identity.staff_id is not None
    action = approve_evaluation if callback_data.approve else reject_evaluation
    evaluation = await action(session, callback_data.evaluation_id, identity.staff_id)
    approved = evaluation.status == EvaluationStatus.APPROVED
    await answer(query, _("Grade approved.") if approved else _("Proposal rejected."))
    text, markup = page_view(await pending_evaluations(session), 0)
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)


def build_router() -> Router:
    """Managers only: they approve grades."""
    router = Router(name=__name__)
    router.message.filter(HasRole(Role.MANAGER))
    router.callback_query.filter(HasRole(Role.MANAGER))
    router.message.register(list_grades, Command("grades"))
    router.callback_query.register(turn_page, GradesPage.filter())
    router.callback_query.register(decide, GradeDecision.filter())
    return router
