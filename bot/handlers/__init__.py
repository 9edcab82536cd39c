"""All routers, composed in one place in a fixed order: errors, everyone, admin, staff, customer, unlinked,
fallback.

Routers are built per dispatcher (a router can belong to one parent only), so tests and several bots in
one process each get their own. Every message and button handler below the root answers its refusals
through `errors.AnswerRefusals` (see bot/handlers/errors.py).
"""

from __future__ import annotations

from aiogram import Router

from bot.handlers import admin, common, customer, errors, fallback, linking, membership, staff, unlinked
from bot.handlers.staff import privacy as staff_privacy


def build_root_router() -> Router:
    root = Router(name="root")
    refusals = errors.AnswerRefusals()
    root.message.middleware(refusals)  # an inner middleware of a router serves its sub-routers' handlers too
    root.callback_query.middleware(refusals)
    root.include_routers(
        errors.build_router(),
        membership.build_router(),
        common.build_router(),
        linking.build_router(),
        admin.build_router(),
        staff.build_router(),
        staff_privacy.build_router(),
        customer.build_router(),
        unlinked.build_router(),
        fallback.build_router(),
    )
    return root
