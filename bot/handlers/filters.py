"""Audience filters, set once on each audience's parent router; plain filters run inline, not on a thread."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject
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


def run_plain_filters_inline(root: Router) -> Router:
    """Every filter below `root` that is a plain function (a magic filter such as `F.text`, a predicate)
    made a coroutine function.

    aiogram runs a callback that is not a coroutine function on a thread of the default executor
    (aiogram/dispatcher/event/handler.py, `CallableObject.call`: `asyncio.to_thread`), so each such filter
    checked on the way to a handler cost an update a trip to a thread and back: the GIL handed over, a
    future, a wake-up of the event loop. These filters read attributes of the update and take
    microseconds; inline, they cost that. Handlers are coroutine functions already.
    """
    for router in root.chain_tail:
        for observer in router.observers.values():
            on_observer = observer._handler.filters or []  # where router.message.filter(...) keeps them
            for filter_object in [*on_observer, *(f for h in observer.handlers for f in h.filters or [])]:
                _inline(filter_object)
    return root


def _inline(filter_object: FilterObject) -> None:
    if filter_object.awaitable:
        return
    plain = filter_object.callback

    async def inline(*args: Any, **kwargs: Any) -> Any:
        return plain(*args, **kwargs)

    filter_object.callback = inline  # the parameters it is passed were read from `plain` already
    filter_object.awaitable = True
