"""Plain-function filters (magic filters, predicates) run on the event loop: aiogram would send each one to a
thread of the default executor on every update that reaches it (bot/handlers/filters.py)."""

from __future__ import annotations

import threading

from aiogram import F, Router
from aiogram.types import Chat, Message, User

from bot.handlers import build_root_router
from bot.handlers.filters import run_plain_filters_inline


def test_every_filter_of_the_bot_is_a_coroutine_function() -> None:
    root = build_root_router()
    plain = [
        (router.name, name, filter_object.callback)
        for router in root.chain_tail
        for name, observer in router.observers.items()
        for handler in observer.handlers
        for filter_object in [*(observer._handler.filters or []), *(handler.filters or [])]
        if not filter_object.awaitable
    ]
    assert plain == []


async def test_a_plain_filter_is_checked_on_the_event_loop_s_thread_with_its_own_arguments() -> None:
    router, threads, seen = Router(), [], []

    def long_enough(message: Message) -> bool:
        threads.append(threading.get_ident())
        return len(message.text or "") > 3

    async def handler(message: Message) -> None:
        seen.append(message.text)

    router.message.filter(F.chat.type == "private")
    router.message.register(handler, F.text, long_enough)
    run_plain_filters_inline(router)
    chat, user = Chat(id=1, type="private"), User(id=1, is_bot=False, first_name="A")
    for text in ("hi", "hello"):
        message = Message(message_id=1, date=0, chat=chat, from_user=user, text=text)
        await router.propagate_event("message", message)
    assert seen == ["hello"]
    assert threads == [threading.get_ident()] * 2
