"""Audience filters, set once on each audience's parent router."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from portcrm.enums import Role
from portcrm.services.identity.users import Identity


class IsCustomer(Filter):
    async def __call__(self, event: TelegramObject, identity: Identity | None = None) -> bool:
        return identity is not None and identity.is_customer


class IsStaff(Filter):
    async def __call__(self, event: TelegramObject, identity: Identity | None = None) -> bool:
        return identity is not None and identity.is_staff


class HasRole(Filter):
    def __init__(self, *roles: Role) -> None:
        self.roles = roles

    async def __call__(self, event: TelegramObject, identity: Identity | None = None) -> bool:
        return identity is not None and identity.has_any(*self.roles)
