"""All routers, composed in one place in a fixed order: errors, everyone, admin, staff, customer, unlinked,
fallback.

Routers are built per dispatcher (a router can belong to one parent only), so tests and several bots in
one process each get their own. Every message and button handler below the root answers its refusals
through `errors.AnswerRefusals` (see bot/handlers/errors.py) and keeps the question of a form step it moves
to (bot/forms/questions.py); every message meets `paused_forms.LeaveFormOnCommand` first, so a command is
never a form's answer.
"""

from __future__ import annotations

from aiogram import Router

from bot.forms.questions import RememberQuestions
from bot.handlers import (
    admin,
    common,
    customer,
    desk_group,
    errors,
    fallback,
    linking,
    membership,
    paused_forms,
    staff,
    unlinked,
)
from bot.handlers.filters import run_plain_filters_inline
from bot.handlers.staff import privacy as staff_privacy


def build_root_router() -> Router:
    root = Router(name="root")
    refusals, questions = errors.AnswerRefusals(), RememberQuestions()
    # inner middlewares of a router serve its sub-routers' handlers too
    root.message.middleware(refusals)
    root.callback_query.middleware(refusals)
    root.message.middleware(questions)
    root.callback_query.middleware(questions)
    root.message.outer_middleware(paused_forms.LeaveFormOnCommand())  # before any filter: no form's answer
    root.include_routers(
        errors.build_router(),
        paused_forms.build_router(),
        membership.build_router(),
        desk_group.build_router(),  # every message in a forum supergroup stops there: no replies in it
        common.build_router(),
        linking.build_router(),
        admin.build_router(),
        staff.build_router(),
        staff_privacy.build_router(),
        customer.build_router(),
        unlinked.build_router(),
        fallback.build_router(),
    )
    return run_plain_filters_inline(root)
