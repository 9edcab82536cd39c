"""Customers' contacts: the parent router for everything a linked customer can do."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.customer import account, complaints, inquiries, privacy, surveys, tracking
from bot.handlers.filters import IsCustomer


def build_router() -> Router:
    """Only users linked to a customer's contact; each feature's router attaches below this one."""
    router = Router(name=__name__)
    router.message.filter(IsCustomer())
    router.callback_query.filter(IsCustomer())
    router.include_router(account.build_router())
    router.include_router(privacy.build_router())
    router.include_router(tracking.build_router())
    router.include_router(complaints.build_router())
    router.include_router(inquiries.build_router())
    router.include_router(surveys.build_router())
    return router
